/* TRANSPOSE_CONV kernels; see ek_transpose_conv.h. */
#include "ek_transpose_conv.h"

#include "ek_weighted_ref.h"

/* Input index reached by tap k from output position o (stride s, padding pad), or -1
 * when none: o + pad - k must be a non-negative multiple of s below `size` * s. */
static inline int32_t source_of(int32_t o, int32_t pad, int32_t k, int32_t s, int32_t size)
{
    const int32_t t = o + pad - k;
    if (t < 0 || t % s != 0 || t / s >= size) {
        return -1;
    }
    return t / s;
}

/* The gather loop for each activation type (int8: int32 accumulator and bias; int16x8:
 * int64 accumulator and bias, TFLite's TransposeConv<int64_t>). RQ(acc, p, oc) requantizes
 * and clamps. */
#define EK_DEFINE_TCONV_REF(NAME, PARAMS_T, IO_T, ACC_T, UACC_T, RQ)                              \
    void NAME(const PARAMS_T *p, const IO_T *input, IO_T *output)                                \
    {                                                                                            \
        const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;                   \
        const int32_t kh = p->filter.h, kw = p->filter.w, out_c = p->output.c;                   \
        const int32_t sh = p->win.stride_h, sw = p->win.stride_w;                                \
        for (int32_t b = 0; b < p->output.n; ++b) {                                              \
            const IO_T *in_b = input + (size_t)b * in_h * in_w * in_c;                           \
            for (int32_t oy = 0; oy < p->output.h; ++oy) {                                       \
                const int32_t ky0 = (oy + p->win.pad_top) % sh;                                  \
                for (int32_t ox = 0; ox < p->output.w; ++ox) {                                   \
                    const int32_t kx0 = (ox + p->win.pad_left) % sw;                             \
                    for (int32_t oc = 0; oc < out_c; ++oc) {                                     \
                        const int8_t *w = p->weights + (size_t)oc * kh * kw * in_c;              \
                        ACC_T acc = 0;                                                           \
                        for (int32_t ky = ky0; ky < kh; ky += sh) {                              \
                            const int32_t y = source_of(oy, p->win.pad_top, ky, sh, in_h);       \
                            if (y < 0) {                                                         \
                                continue;                                                        \
                            }                                                                    \
                            for (int32_t kx = kx0; kx < kw; kx += sw) {                          \
                                const int32_t x = source_of(ox, p->win.pad_left, kx, sw, in_w);  \
                                if (x < 0) {                                                     \
                                    continue;                                                    \
                                }                                                                \
                                const IO_T *px = in_b + ((size_t)y * in_w + x) * in_c;           \
                                const int8_t *wk = w + ((size_t)ky * kw + kx) * in_c;            \
                                for (int32_t ic = 0; ic < in_c; ++ic) {                          \
                                    acc += (px[ic] + p->input_offset) * wk[ic];                  \
                                }                                                                \
                            }                                                                    \
                        }                                                                        \
                        acc = EK_ADD_BIAS(ACC_T, UACC_T, acc, p, oc);                            \
                        *output++ = RQ(acc, p, oc);                                              \
                    }                                                                            \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define EK_TCONV_RQ_S8(acc, p, q) \
    ek_requant_s8((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)
#define EK_TCONV_RQ_S16(acc, p, q) \
    ek_requant_s16((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)

EK_DEFINE_TCONV_REF(ek_transpose_conv_s8, ek_conv_params_t, int8_t, int32_t, uint32_t, EK_TCONV_RQ_S8)
EK_DEFINE_TCONV_REF(ek_transpose_conv_s16, ek_conv_s16_params_t, int16_t, int64_t, uint64_t, EK_TCONV_RQ_S16)

int32_t ek_transpose_conv_s8_packed_get_buffer_size(const ek_transpose_conv_packed_params_t *p)
{
    return EK_GEMM_COLS_BYTES(p->k_padded_max, p->output.c) + p->k_padded_max;
}

/* The im2col column of output pixel (oy, ox) of phase (py, px) into slot 0/1: taps in the
 * order ky, kx, channels; taps outside the input hold the zero point. */
static void column(const ek_transpose_conv_packed_params_t *p, const ek_gemm_t *g,
                   const int8_t *in_b, int32_t oy, int32_t ox, int32_t py, int32_t px,
                   int16_t *cols, int32_t slot)
{
    const int32_t in_c = p->input.c, in_w = p->input.w;
    const int32_t zp = p->input_zero_point;
    int8_t *tmp = (int8_t *)cols + EK_GEMM_COLS_BYTES(p->k_padded_max, p->output.c);
    const int words = (in_c & 3) == 0;
    int32_t k = 0;
    for (int32_t ky = py; ky < p->filter.h; ky += p->win.stride_h) {
        const int32_t y = source_of(oy, p->win.pad_top, ky, p->win.stride_h, p->input.h);
        for (int32_t kx = px; kx < p->filter.w; kx += p->win.stride_w, k += in_c) {
            const int32_t x = y < 0 ? -1 : source_of(ox, p->win.pad_left, kx, p->win.stride_w, in_w);
            if (x < 0) {
                if (words) {
                    ek_col_fill_words(cols, k, slot, zp, in_c >> 2);
                } else {
                    memset(tmp + k, zp, (size_t)in_c);
                }
                continue;
            }
            const int8_t *src = in_b + ((size_t)y * in_w + x) * in_c;
            if (words) {
                ek_col_put_words(cols, k, slot, src, in_c >> 2); /* LDR + 2 SXTB16 per 4 */
            } else {
                memcpy(tmp + k, src, (size_t)in_c);
            }
        }
    }
    if (words) {
        for (; k < g->k_padded; ++k) {
            ek_col_put(cols, k, slot, 0); /* zero weights there; keep the lanes defined */
        }
        return;
    }
    memset(tmp + k, 0, (size_t)(g->k_padded - k));
    ek_col_put_words(cols, 0, slot, tmp, g->k_padded >> 2);
}

void ek_transpose_conv_s8_packed(const ek_transpose_conv_packed_params_t *p, const int8_t *input,
                                 int8_t *output, int8_t *scratch)
{
    int16_t *cols = (int16_t *)(void *)scratch;
    const int32_t sh = p->win.stride_h, sw = p->win.stride_w, out_c = p->output.c;
    const int32_t out_h = p->output.h, out_w = p->output.w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        int8_t *out_b = output + (size_t)b * out_h * out_w * out_c;
        for (int32_t py = 0; py < sh; ++py) {
            /* First output row of the phase: (oy + pad_top) % sh == py. */
            const int32_t oy0 = ((py - p->win.pad_top) % sh + sh) % sh;
            for (int32_t px = 0; px < sw; ++px) {
                const ek_gemm_t *g = p->phase[py * sw + px];
                const int32_t ox0 = ((px - p->win.pad_left) % sw + sw) % sw;
                if (oy0 >= out_h || ox0 >= out_w) {
                    continue;
                }
                const int32_t rows = (out_h - oy0 + sh - 1) / sh, per_row = (out_w - ox0 + sw - 1) / sw;
                const int32_t pixels = rows * per_row;
                int32_t i = 0;
                for (; i + 1 < pixels; i += 2) {
                    const int32_t ya = oy0 + (i / per_row) * sh, xa = ox0 + (i % per_row) * sw;
                    const int32_t yb = oy0 + ((i + 1) / per_row) * sh, xb = ox0 + ((i + 1) % per_row) * sw;
                    column(p, g, in_b, ya, xa, py, px, cols, 0);
                    column(p, g, in_b, yb, xb, py, px, cols, 1);
                    ek_gemm_2px(g, cols, out_b + ((size_t)ya * out_w + xa) * out_c,
                                out_b + ((size_t)yb * out_w + xb) * out_c);
                }
                if (i < pixels) {
                    const int32_t ya = oy0 + (i / per_row) * sh, xa = ox0 + (i % per_row) * sw;
                    column(p, g, in_b, ya, xa, py, px, cols, 0);
                    ek_gemm_1px(g, cols, out_b + ((size_t)ya * out_w + xa) * out_c);
                }
            }
        }
    }
}
