/* Register-blocked portable CONV_2D; see ek_conv_blocked.h. */
#include "ek_conv_blocked.h"

/* The im2col column of output pixel `pix` (flattened over one batch) into lane `lane` of
 * the interleaved block: cols[4 * k + lane] (byte stores, no alignment assumed). */
static void gather(const ek_conv_blocked_params_t *p, const int8_t *in_b, int32_t pix, int8_t *cols,
                   int32_t lane)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t oy = pix / p->output.w, ox = pix % p->output.w;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
    const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
    const int8_t zp = (int8_t)p->input_zero_point;
    int8_t *dst = cols + lane;
    for (int32_t ky = 0; ky < p->filter.h; ++ky) {
        const int32_t y = y0 + ky * p->win.dilation_h;
        for (int32_t kx = 0; kx < p->filter.w; ++kx) {
            const int32_t x = x0 + kx * p->win.dilation_w;
            if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                for (int32_t c = 0; c < in_c; ++c, dst += EK_CONV_BLOCKED_PIXELS) {
                    *dst = zp;
                }
            } else {
                const int8_t *src = in_b + ((size_t)y * in_w + x) * in_c;
                for (int32_t c = 0; c < in_c; ++c, dst += EK_CONV_BLOCKED_PIXELS) {
                    *dst = src[c];
                }
            }
        }
    }
}

/* acc[2 * i + j] += sum_k cols[4 * k + i] * w[2 * k + j]: 4 pixels x 2 channels from two
 * pointers (RV32 has no register-indexed loads; immediate offsets are free), unrolled by 2
 * (more lets GCC hoist every load and spill accumulators). */
static void dot_4x2(const int8_t *cols, const int8_t *w, int32_t k, int32_t acc[8])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    int32_t a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    const int8_t *const end = w + 2 * (size_t)k;
#define EK_CB_STEP(o)                                                                    \
    do {                                                                                 \
        const int32_t v0 = w[2 * (o)], v1 = w[2 * (o) + 1];                              \
        const int32_t x0 = cols[4 * (o)], x1 = cols[4 * (o) + 1];                        \
        const int32_t x2 = cols[4 * (o) + 2], x3 = cols[4 * (o) + 3];                    \
        a0 += x0 * v0; a1 += x0 * v1; a2 += x1 * v0; a3 += x1 * v1;                      \
        a4 += x2 * v0; a5 += x2 * v1; a6 += x3 * v0; a7 += x3 * v1;                      \
    } while (0)
    if (k & 1) {
        EK_CB_STEP(0);
        cols += 4;
        w += 2;
    }
    while (w != end) {
        EK_CB_STEP(0);
        EK_CB_STEP(1);
        cols += 8;
        w += 4;
    }
#undef EK_CB_STEP
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
    acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
}

/* ek_requant_double_fast: the double rounding of TFLite in one 64-bit multiply (exact for
 * the non-negative multipliers the host always gives). */
static inline int8_t requant(const ek_conv_blocked_params_t *p, int32_t acc, int32_t c)
{
    return ek_clamp_s8(ek_requant_double_fast(acc, p->multiplier[c], p->shift[c]) + p->output_offset,
                       p->act.min, p->act.max);
}

void ek_conv_s8_blocked(const ek_conv_blocked_params_t *p, const int8_t *input, int8_t *output,
                        int8_t *scratch)
{
    const int32_t k = p->filter.h * p->filter.w * p->input.c, out_c = p->output.c;
    const int32_t pixels = p->output.h * p->output.w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        int8_t *out_b = output + (size_t)b * pixels * out_c;
        for (int32_t p0 = 0; p0 < pixels; p0 += EK_CONV_BLOCKED_PIXELS) {
            /* A short last block repeats its last pixel; only real pixels are stored. */
            const int32_t n = pixels - p0 < EK_CONV_BLOCKED_PIXELS ? pixels - p0 : EK_CONV_BLOCKED_PIXELS;
            for (int32_t i = 0; i < EK_CONV_BLOCKED_PIXELS; ++i) {
                gather(p, in_b, p0 + (i < n ? i : n - 1), scratch, i);
            }
            const int8_t *w = p->weights;
            for (int32_t c = 0; c < out_c; c += 2, w += 2 * (size_t)k) {
                const int32_t b0 = p->bias[c], b1 = p->bias[c + 1];
                int32_t acc[8] = {b0, b1, b0, b1, b0, b1, b0, b1};
                dot_4x2(scratch, w, k, acc);
                for (int32_t i = 0; i < n; ++i) {
                    int8_t *o = out_b + (size_t)(p0 + i) * out_c + c;
                    o[0] = requant(p, acc[2 * i], c);
                    if (c + 1 < out_c) {
                        o[1] = requant(p, acc[2 * i + 1], c + 1);
                    }
                }
            }
        }
    }
}
