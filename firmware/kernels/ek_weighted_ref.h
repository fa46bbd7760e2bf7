/* The reference loops of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED written once for
 * every activation type: int8 (int32 accumulator and bias) and int16x8 (int16 activations,
 * int8 weights, int64 accumulator and bias, TFLite's reference semantics). Each
 * EK_DEFINE_*_REF macro defines one kernel function:
 *   NAME      the function, void NAME(const PARAMS_T *p, const IO_T *input, IO_T *output)
 *   ACC_T     the accumulator, UACC_T its unsigned twin (the bias is added with wrap-around,
 *             as TFLite's compiled kernels do, never as signed overflow)
 *   RQ(a, p, q)  the requantized, clamped output of accumulator a for channel index q
 * Outputs are written in NHWC raster order (the memory planner's row contract).
 */
#ifndef EK_WEIGHTED_REF_H
#define EK_WEIGHTED_REF_H

#include "ek_common.h"

#define EK_ADD_BIAS(ACC_T, UACC_T, acc, p, q) \
    ((p)->bias != NULL ? (ACC_T)((UACC_T)(acc) + (UACC_T)(p)->bias[q]) : (acc))

/* Every output channel oc of every output pixel of a windowed op, in raster order, with
 * in_b the batch's input and PIXEL_BODY run once per (oy, ox, oc); inside it
 * EK_FOR_VALID_TAPS walks the window's taps that fall inside the input (y, x, ky, kx). */
#define EK_FOR_OUTPUTS(IO_T, PIXEL_BODY)                                                          \
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;                       \
    const int32_t kh = p->filter.h, kw = p->filter.w, out_c = p->output.c;                       \
    for (int32_t b = 0; b < p->output.n; ++b) {                                                  \
        const IO_T *in_b = input + (size_t)b * in_h * in_w * in_c;                               \
        for (int32_t oy = 0; oy < p->output.h; ++oy) {                                           \
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;                            \
            for (int32_t ox = 0; ox < p->output.w; ++ox) {                                       \
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;                       \
                for (int32_t oc = 0; oc < out_c; ++oc) {                                         \
                    PIXEL_BODY                                                                   \
                }                                                                                \
            }                                                                                    \
        }                                                                                        \
    }

#define EK_FOR_VALID_TAPS(TAP_BODY)                                                               \
    for (int32_t ky = 0; ky < kh; ++ky) {                                                        \
        const int32_t y = y0 + ky * p->win.dilation_h;                                           \
        if (y < 0 || y >= in_h) {                                                                \
            continue;                                                                            \
        }                                                                                        \
        for (int32_t kx = 0; kx < kw; ++kx) {                                                    \
            const int32_t x = x0 + kx * p->win.dilation_w;                                       \
            if (x < 0 || x >= in_w) {                                                            \
                continue;                                                                        \
            }                                                                                    \
            TAP_BODY                                                                             \
        }                                                                                        \
    }

#define EK_DEFINE_CONV_REF(NAME, PARAMS_T, IO_T, ACC_T, UACC_T, RQ)                               \
    void NAME(const PARAMS_T *p, const IO_T *input, IO_T *output)                                \
    {                                                                                            \
        EK_FOR_OUTPUTS(IO_T, {                                                                   \
            const int8_t *w = p->weights + (size_t)oc * kh * kw * in_c;                          \
            ACC_T acc = 0;                                                                       \
            EK_FOR_VALID_TAPS({                                                                  \
                const IO_T *px = in_b + ((size_t)y * in_w + x) * in_c;                           \
                const int8_t *wk = w + ((size_t)ky * kw + kx) * in_c;                            \
                for (int32_t ic = 0; ic < in_c; ++ic) {                                          \
                    acc += (px[ic] + p->input_offset) * wk[ic];                                  \
                }                                                                                \
            })                                                                                   \
            acc = EK_ADD_BIAS(ACC_T, UACC_T, acc, p, oc);                                        \
            *output++ = RQ(acc, p, oc);                                                          \
        })                                                                                       \
    }

#define EK_DEFINE_DEPTHWISE_REF(NAME, PARAMS_T, IO_T, ACC_T, UACC_T, RQ)                          \
    void NAME(const PARAMS_T *p, const IO_T *input, IO_T *output)                                \
    {                                                                                            \
        const int32_t dm = p->depth_multiplier;                                                  \
        EK_FOR_OUTPUTS(IO_T, {                                                                   \
            const int32_t ic = oc / dm;                                                          \
            ACC_T acc = 0;                                                                       \
            EK_FOR_VALID_TAPS({                                                                  \
                const int32_t v = in_b[((size_t)y * in_w + x) * in_c + ic];                      \
                acc += (v + p->input_offset) * p->weights[((size_t)ky * kw + kx) * out_c + oc];  \
            })                                                                                   \
            acc = EK_ADD_BIAS(ACC_T, UACC_T, acc, p, oc);                                        \
            *output++ = RQ(acc, p, oc);                                                          \
        })                                                                                       \
    }

/* The plain dot product of FULLY_CONNECTED (any activation and weight types). */
#define EK_FC_DOT_REF(ACC_T, acc, x, w, k, p)                                                     \
    for (int32_t i = 0; i < (k); ++i) {                                                          \
        (acc) += ((x)[i] + (p)->input_offset) * (w)[i];                                          \
    }

/* FULLY_CONNECTED; W_T the weights' type, DOT(ACC_T, acc, x, w, k, p) adds one row's dot. */
#define EK_DEFINE_FC_REF(NAME, PARAMS_T, IO_T, W_T, ACC_T, UACC_T, RQ, DOT)                       \
    void NAME(const PARAMS_T *p, const IO_T *input, IO_T *output)                                \
    {                                                                                            \
        const int32_t k = p->in_features;                                                        \
        for (int32_t b = 0; b < p->batches; ++b) {                                               \
            const IO_T *x = input + (size_t)b * k;                                               \
            for (int32_t o = 0; o < p->out_features; ++o) {                                      \
                const W_T *w = p->weights + (size_t)o * k;                                       \
                ACC_T acc = 0;                                                                   \
                DOT(ACC_T, acc, x, w, k, p)                                                      \
                acc = EK_ADD_BIAS(ACC_T, UACC_T, acc, p, o);                                     \
                *output++ = RQ(acc, p, p->per_channel ? o : 0);                                  \
            }                                                                                    \
        }                                                                                        \
    }

#endif /* EK_WEIGHTED_REF_H */
