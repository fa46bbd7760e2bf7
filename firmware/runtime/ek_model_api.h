/* The contract between a generated model (model.c / model.h) and the firmware runtime.
 *
 * `edgekit build` generates model.c, which defines every symbol below for one model;
 * the runtime (serial protocol, profiling) and main.c only use this header, so one
 * runtime serves every model and board.
 */
#ifndef EK_MODEL_API_H
#define EK_MODEL_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A monotonically increasing tick counter (DWT CYCCNT, CCOUNT, mcycle, a QEMU timer). */
typedef uint32_t (*ek_clock_fn)(void);

typedef struct {
    int8_t *data;          /* in the arena; int8 (or uint8 when the model's I/O is uint8) */
    uint32_t bytes;
    uint32_t ndim;
    const int32_t *shape;
    float scale;
    int32_t zero_point;
} ek_tensor_info_t;

extern const uint32_t ek_model_num_inputs;
extern const uint32_t ek_model_num_outputs;
extern const ek_tensor_info_t ek_model_inputs[];
extern const ek_tensor_info_t ek_model_outputs[];

extern const uint32_t ek_model_num_ops;
extern const char *const ek_model_op_types[];   /* "CONV_2D", ... one per op */
extern const uint32_t ek_model_arena_bytes;
extern const char ek_model_hash[];               /* hex SHA-256 of the .tflite, NUL-terminated */

/* Runs the model once on the static arena. When clock and op_ticks are not NULL,
 * op_ticks[i] receives clock() after op i minus clock() before it (ek_model_num_ops
 * entries). Returns 0 on success. */
int ek_model_invoke(ek_clock_fn clock, uint32_t *op_ticks);

/* What persists between invokes (resource variables, run-once initialisers) lives in
 * its own state region of ek_model_state_bytes bytes (0 for a stateless model). This
 * clears it: the next invoke starts as the first one after boot did. An LSTM's hidden and
 * cell state (variable tensors, kept in the arena over the whole schedule) are set back to
 * their quantized zero, as before the first invoke. */
extern const uint32_t ek_model_state_bytes;
void ek_model_reset_state(void);

#ifdef __cplusplus
}
#endif

#endif /* EK_MODEL_API_H */
