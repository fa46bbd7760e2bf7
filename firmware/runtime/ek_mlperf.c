/* The MLPerf Tiny DUT protocol (ek_mlperf.h) on top of the BSP and the generated model. */
#include "ek_mlperf.h"

#include <stddef.h>
#include <string.h>

#include "ek_bsp.h"
#include "ek_model_api.h"

#ifndef EK_MLPERF_ENERGY
#define EK_MLPERF_ENERGY 0
#endif

#define EK_MLPERF_FW_VERSION "ULPMark for tinyML Firmware V0.0.1"

/* The "db" buffer's state. The uint8 benchmarks shift their pixels in place when an
 * inference first needs them, so the buffer remembers whether that happened. */
typedef struct {
    const ek_mlperf_config_t *cfg;
    uint32_t expected; /* bytes announced by "db load" */
    uint32_t loaded;   /* bytes received since */
    int shifted;       /* db holds the int8 (pixel - 128) form of what was loaded */
    int have_result;
    uint64_t ticks;    /* the tick counter extended to 64 bits (see now_us) */
    uint32_t last_tick;
} ek_mlperf_state_t;

static ek_mlperf_state_t st;

/* --- output ------------------------------------------------------------------------ */

static void put_str(const char *s)
{
    while (*s) {
        ek_bsp_putc((uint8_t)*s++);
    }
}

static void put_line(const char *s)
{
    put_str(s);
    put_str("\r\n");
}

static void put_u64(uint64_t v)
{
    char digits[21];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0u);
    while (n > 0) {
        ek_bsp_putc((uint8_t)digits[--n]);
    }
}

/* printf("%0.3f") without a float printf: the product of a float and 1000 is exact in
 * double, so rounding it half to even reproduces the C library's correctly rounded
 * output digit for digit. */
static void put_fixed3(float value)
{
    double scaled = (double)value * 1000.0;
    if (scaled != scaled) {
        put_str("nan");
        return;
    }
    if (scaled < 0.0) {
        ek_bsp_putc('-');
        scaled = -scaled;
    }
    if (scaled >= 1e18) {
        put_str("inf");
        return;
    }
    uint64_t whole = (uint64_t)scaled;
    const double frac = scaled - (double)whole;
    if (frac > 0.5 || (frac == 0.5 && (whole & 1u))) {
        whole++;
    }
    put_u64(whole / 1000u);
    ek_bsp_putc('.');
    const unsigned milli = (unsigned)(whole % 1000u);
    ek_bsp_putc((uint8_t)('0' + milli / 100u));
    ek_bsp_putc((uint8_t)('0' + milli / 10u % 10u));
    ek_bsp_putc((uint8_t)('0' + milli % 10u));
}

static void put_error(const char *what, const char *detail)
{
    put_str("e-[");
    put_str(what);
    put_str(detail);
    put_line("]");
}

/* --- time ------------------------------------------------------------------------- */

#if !EK_MLPERF_ENERGY
/* Microseconds since boot. The BSP counter is 32 bits; each call folds the ticks since
 * the previous one into a 64-bit count, which stays exact while calls come less than
 * one counter wrap apart (171 s at 25 MHz): every timestamp of a benchmark window does. */
static uint64_t now_us(void)
{
    const uint32_t t = ek_bsp_ticks();
    st.ticks += (uint32_t)(t - st.last_tick);
    st.last_tick = t;
    return st.ticks * 1000000u / ek_bsp_ticks_per_second();
}
#endif

static void timestamp(void)
{
#if EK_MLPERF_ENERGY
    ek_mlperf_timestamp_pin();
#else
    put_str("m-lap-us-");
    put_u64(now_us());
    put_str("\r\n");
#endif
}

/* --- parsing ---------------------------------------------------------------------- */

static int parse_uint(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    if (s == NULL || *s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > 429496728u) {
            return 0;
        }
        v = v * 10u + (uint32_t)(*s - '0');
    }
    *out = v;
    return 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Splits `line` in place at spaces; returns the number of words (at most max). */
static int split_words(char *line, char **words, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        while (*p == ' ') {
            *p++ = '\0';
        }
        if (*p == '\0') {
            break;
        }
        words[n++] = p;
        while (*p && *p != ' ') {
            p++;
        }
    }
    return n;
}

/* --- the db buffer ------------------------------------------------------------------ */

static void db_load(const char *count)
{
    uint32_t n = 0;
    if (!parse_uint(count, &n) || n == 0u) {
        put_error("db load needs a byte count > 0", "");
        return;
    }
    if (n > st.cfg->db_capacity) {
        put_error("Supplied buffer size exceeds the maximum for ", st.cfg->model_id);
        return;
    }
    st.expected = n;
    st.loaded = 0;
    st.shifted = 0;
    put_str("m-[Expecting ");
    put_u64(n);
    put_line(" bytes]");
}

static void db_hex(const char *hex)
{
    const size_t digits = strlen(hex);
    if (st.expected == 0u) {
        put_error("db load N must come before the data", "");
        return;
    }
    if (digits % 2u != 0u) {
        put_error("Odd number of hex digits", "");
        return;
    }
    if (st.loaded >= st.expected) {
        put_error("All announced bytes are already loaded", "");
        return;
    }
    /* Check the whole chunk first, so a bad digit loads nothing of it. */
    for (size_t i = 0; i < digits; i++) {
        if (hex_value(hex[i]) < 0) {
            const char bad[2] = {hex[i], '\0'};
            put_error("Invalid hex digit: ", bad);
            return;
        }
    }
    for (size_t i = 0; i < digits && st.loaded < st.expected; i += 2u) {
        st.cfg->db[st.loaded++] = (uint8_t)(hex_value(hex[i]) << 4 | hex_value(hex[i + 1u]));
    }
    if (st.loaded == st.expected) {
        put_line("m-load-done"); /* digits past the announced count are ignored */
    }
}

static void db_print(void)
{
    static const char hexdigits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < st.loaded; i++) {
        uint8_t b = st.cfg->db[i];
        if (st.shifted) {
            b ^= 0x80u; /* show what was loaded, not its shifted form */
        }
        if (i % 8u == 0u) {
            put_str("m-buffer-");
        }
        ek_bsp_putc((uint8_t)hexdigits[b >> 4]);
        ek_bsp_putc((uint8_t)hexdigits[b & 0xFu]);
        put_str((i % 8u == 7u || i + 1u == st.loaded) ? "\r\n" : "-");
    }
}

/* --- inference -------------------------------------------------------------------- */

static const int8_t *model_input_source(void)
{
    const ek_mlperf_config_t *cfg = st.cfg;
    const ek_tensor_info_t *in = &ek_model_inputs[0];
    if (cfg->input_kind == EK_MLPERF_IN_UINT8_SHIFT) {
        if (!st.shifted) {
            for (uint32_t i = 0; i < in->bytes; i++) {
                cfg->db[i] ^= 0x80u; /* uint8 pixel - 128, as an int8 bit pattern */
            }
            st.shifted = 1;
        }
        return (const int8_t *)cfg->db;
    }
    if (cfg->input_kind == EK_MLPERF_IN_FLOAT32) {
        const float *x = (const float *)(const void *)cfg->db;
        for (uint32_t i = 0; i < in->bytes; i++) {
            /* the reference: round(value / scale) + zero point, clamped to int8; C's
             * round() takes halves away from zero. Out-of-range values clamp first so
             * the conversion to int stays defined (NaN clamps to the zero point). */
            float q = x[i] / in->scale;
            q = q > 1e6f ? 1e6f : q < -1e6f ? -1e6f : q == q ? q : 0.0f;
            int32_t r = (int32_t)q; /* toward zero; q - r is exact below 2^23 */
            const float frac = q - (float)r;
            r += frac >= 0.5f ? 1 : frac <= -0.5f ? -1 : 0;
            r += in->zero_point;
            cfg->staged[i] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
        }
        return cfg->staged;
    }
    return (const int8_t *)cfg->db;
}

/* The arena may reuse the input's bytes during an invoke, so every inference copies
 * its input in again (a memcpy: far below the model's own cost). */
static int infer_once(const int8_t *input)
{
    memcpy(ek_model_inputs[0].data, input, ek_model_inputs[0].bytes);
    return ek_model_invoke(NULL, NULL);
}

static void results(void)
{
    const ek_tensor_info_t *out = &ek_model_outputs[0];
    if (!st.have_result) {
        put_error("No inference has run yet", "");
        return;
    }
    put_str("m-results-[");
    if (st.cfg->output_kind == EK_MLPERF_OUT_MSE) {
        const float *x = (const float *)(const void *)st.cfg->db;
        float sum = 0.0f;
        for (uint32_t i = 0; i < out->bytes; i++) {
            const float diff = (float)(out->data[i] - out->zero_point) * out->scale - x[i];
            sum += diff * diff;
        }
        put_fixed3(sum / (float)out->bytes);
    } else {
        for (uint32_t i = 0; i < out->bytes; i++) {
            if (i) {
                ek_bsp_putc(',');
            }
            put_fixed3((float)(out->data[i] - out->zero_point) * out->scale);
        }
    }
    put_line("]");
}

static void infer(char **words, int n_words)
{
    uint32_t count = 1, warmups = 10; /* the reference firmware's defaults */
    if ((n_words > 1 && (!parse_uint(words[1], &count) || count == 0u)) ||
        (n_words > 2 && !parse_uint(words[2], &warmups))) {
        put_error("infer N [W]: N > 0 inferences after W >= 0 warm-ups", "");
        return;
    }
    const uint32_t needed = st.cfg->input_kind == EK_MLPERF_IN_FLOAT32
                                ? ek_model_inputs[0].bytes * 4u
                                : ek_model_inputs[0].bytes;
    if (st.loaded != needed) {
        put_str("e-[Input db has ");
        put_u64(st.loaded);
        put_str(" bytes, expected ");
        put_u64(needed);
        put_line("]");
        return;
    }
    const int8_t *input = model_input_source();
    put_str("m-warmup-start-");
    put_u64(warmups);
    put_str("\r\n");
    int status = 0;
    for (uint32_t i = 0; i < warmups; i++) {
        status |= infer_once(input);
    }
    put_line("m-warmup-done");
    put_str("m-infer-start-");
    put_u64(count);
    put_str("\r\n");
    ek_bsp_flush(); /* keep the UART out of the timed region */
    timestamp();
    for (uint32_t i = 0; i < count; i++) {
        status |= infer_once(input);
    }
    timestamp();
    put_line("m-infer-done");
    if (status != 0) {
        put_error("The model's invoke failed", "");
        return;
    }
    st.have_result = 1;
    results();
}

static void help(void)
{
    put_line(EK_MLPERF_FW_VERSION);
    put_line("");
    put_line("help         : Print this information");
    put_line("name         : Print the name of the device");
    put_line("timestamp    : Generate a timestamp");
    put_line("db SUBCMD    : Manipulate a generic byte buffer");
    put_line("  load N     : Allocate N bytes and set load counter");
    put_line("  db HH[HH]* : Load 8-bit hex byte(s) until N bytes");
    put_line("  print      : Print the loaded bytes as hex");
    put_line("infer N [W=10]: Load input, execute N inferences after W warmup loops");
    put_line("results      : Return the result fp32 vector");
}

static void dispatch(char *line)
{
    char *words[4];
    const int n = split_words(line, words, 4);
    const char *cmd = n > 0 ? words[0] : "";
    if (strcmp(cmd, "name") == 0) {
        put_str("m-name-dut-[");
        put_str(st.cfg->dut_name);
        put_line("]");
    } else if (strcmp(cmd, "timestamp") == 0) {
        timestamp();
    } else if (strcmp(cmd, "profile") == 0) {
        put_line("m-profile-[" EK_MLPERF_FW_VERSION "]");
        put_str("m-model-[");
        put_str(st.cfg->model_id);
        put_line("]");
    } else if (strcmp(cmd, "help") == 0) {
        help();
    } else if (strcmp(cmd, "db") == 0) {
        if (n < 2) {
            put_error("Command 'db' requires a subcommand", "");
        } else if (strcmp(words[1], "load") == 0) {
            db_load(n > 2 ? words[2] : NULL);
        } else if (strcmp(words[1], "print") == 0) {
            db_print();
        } else {
            db_hex(words[1]);
        }
    } else if (strcmp(cmd, "infer") == 0) {
        infer(words, n);
    } else if (strcmp(cmd, "results") == 0) {
        results();
    } else {
        put_error("Unknown command: ", cmd);
    }
    put_line("m-ready");
}

void ek_mlperf_run(const ek_mlperf_config_t *config)
{
    char line[EK_MLPERF_CMD_MAX + 1u];
    uint32_t len = 0;

    memset(&st, 0, sizeof st);
    st.cfg = config;
    st.last_tick = ek_bsp_ticks();
    put_line(EK_MLPERF_ENERGY ? "m-timestamp-mode-energy" : "m-timestamp-mode-performance");
    put_line("m-init-done");
    put_line("m-ready");
    for (;;) {
        const int c = ek_bsp_getc(EK_BSP_WAIT_FOREVER);
        if (c < 0) {
            continue;
        }
        if (c == '%') {
            line[len] = '\0';
            dispatch(line);
            len = 0;
        } else if (c == '\r' || c == '\n') {
            /* line endings a terminal adds are not part of a command */
        } else if (len < EK_MLPERF_CMD_MAX) {
            line[len++] = (char)c; /* past the limit the command is cut, as the reference does */
        }
    }
}
