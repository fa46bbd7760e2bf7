/* The MLPerf Tiny / EEMBC ULPMark device-under-test (DUT) protocol.
 *
 * A firmware built with `edgekit build --mlperf kws01|vww01|ic01|ad01` serves this
 * protocol instead of edgekit's framed one, so MLCommons' benchmark runner (and
 * `edgekit mlperf`) can score it. The protocol is plain ASCII:
 *
 *   - a command is at most EK_MLPERF_CMD_MAX characters ended by '%'; longer input is
 *     cut to that length, as the reference firmware does;
 *   - every reply is a set of lines ending with "\r\n", closed by "m-ready";
 *     errors are "e-[...]" lines;
 *   - at boot: "m-timestamp-mode-performance" (or -energy), "m-init-done", "m-ready",
 *     and nothing else unasked afterwards.
 *
 * Commands: name, profile, help, timestamp, results, db load N, db HEX..., db print,
 * infer N [W]. Inputs go into a byte buffer with "db" and are turned into the model's
 * int8 input by the benchmark's rule (input_kind below) when "infer" runs.
 */
#ifndef EK_MLPERF_H
#define EK_MLPERF_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EK_MLPERF_CMD_MAX 80u

enum {
    EK_MLPERF_IN_INT8 = 0,        /* kws01: the bytes are the int8 input */
    EK_MLPERF_IN_UINT8_SHIFT = 1, /* ic01, vww01: uint8 pixels, the DUT subtracts 128 */
    EK_MLPERF_IN_FLOAT32 = 2      /* ad01: float32 features, quantized on the device */
};

enum {
    EK_MLPERF_OUT_SCORES = 0, /* the dequantized output vector */
    EK_MLPERF_OUT_MSE = 1     /* ad01: mean squared error between output and float input */
};

typedef struct {
    const char *model_id;  /* "kws01", "vww01", "ic01", "ad01" */
    const char *dut_name;  /* shown by "name" as m-name-dut-[...] */
    uint8_t input_kind;    /* EK_MLPERF_IN_* */
    uint8_t output_kind;   /* EK_MLPERF_OUT_* */
    uint8_t *db;           /* the "db" buffer: room for db_capacity bytes */
    uint32_t db_capacity;  /* one input window (ad01: 640 floats = 2,560 bytes) */
    int8_t *staged;        /* the model's int8 input once converted (NULL for IN_INT8) */
} ek_mlperf_config_t;

/* Prints the boot lines and serves commands forever. */
void ek_mlperf_run(const ek_mlperf_config_t *config);

/* Built with EK_MLPERF_ENERGY=1 (energy mode), "timestamp" drives a GPIO low for at
 * least 1 us instead of printing m-lap-us: the board's BSP must define this. */
void ek_mlperf_timestamp_pin(void);

#ifdef __cplusplus
}
#endif

#endif /* EK_MLPERF_H */
