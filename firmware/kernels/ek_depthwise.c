/* DEPTHWISE_CONV_2D kernels; see ek_depthwise.h. */
#include "ek_depthwise.h"

void ek_depthwise_s8(const ek_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w, dm = p->depth_multiplier;
    const int32_t out_c = p->output.c;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            for (int32_t ox = 0; ox < p->output.w; ++ox) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int32_t ic = oc / dm;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < kh; ++ky) {
                        const int32_t y = y0 + ky * p->win.dilation_h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < kw; ++kx) {
                            const int32_t x = x0 + kx * p->win.dilation_w;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            const int32_t v = in_b[((size_t)y * in_w + x) * in_c + ic];
                            acc += (v + p->input_offset) * p->weights[((size_t)ky * kw + kx) * out_c + oc];
                        }
                    }
                    if (p->bias != NULL) {
                        acc += p->bias[oc];
                    }
                    *output++ = ek_requant_s8(acc, p->multiplier[oc], p->shift[oc], EK_ROUND_DOUBLE,
                                              p->output_offset, p->act);
                }
            }
        }
    }
}

/* One tap on 4 channels: input word v (4 int8), weights w (4 int16 in lane order). */
#define EK_DW_TAP(v, w, a)                                                                   \
    do {                                                                                     \
        const uint32_t lo_ = ek_sxtb16(v), hi_ = ek_sxtb16_ror8(v);                          \
        const uint32_t w0_ = ek_read_u32(w), w1_ = ek_read_u32((w) + 2);                     \
        a[0] = ek_smlabb(lo_, w0_, a[0]);                                                    \
        a[2] = ek_smlatt(lo_, w0_, a[2]);                                                    \
        a[1] = ek_smlabb(hi_, w1_, a[1]);                                                    \
        a[3] = ek_smlatt(hi_, w1_, a[3]);                                                    \
    } while (0)

static inline int8_t dw_out(const ek_dw_packed_params_t *p, int32_t acc, int32_t c)
{
    const int32_t v = ek_requant_double_fast(acc, p->multiplier[c], p->shift[c]);
    return ek_clamp_s8(v + p->output_offset, p->act.min, p->act.max);
}

void ek_depthwise_s8_packed(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t dh = p->win.dilation_h, dw = p->win.dilation_w;
    const uint32_t zp_word = 0x01010101u * (uint32_t)(uint8_t)(int8_t)p->input_zero_point;
    const size_t row = (size_t)in_w * c_all;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * row;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            for (int32_t ox = 0; ox < p->output.w; ++ox) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                const int inside = y0 >= 0 && x0 >= 0 && y0 + (kh - 1) * dh < in_h &&
                                   x0 + (kw - 1) * dw < in_w;
                const int8_t *base = in_b + (inside ? (size_t)y0 * row + (size_t)x0 * c_all : 0);
                for (int32_t c = 0; c < c_all; c += 4) {
                    int32_t a[4] = {p->bias[c], p->bias[c + 1], p->bias[c + 2], p->bias[c + 3]};
                    const int16_t *w = p->weights + c;
                    if (inside && kh == 3 && kw == 3) {
                        /* 3x3 fast path: no bounds checks, unrolled. */
                        const int8_t *r0 = base + c, *r1 = r0 + dh * row, *r2 = r1 + dh * row;
                        const size_t sx = (size_t)dw * c_all, st = (size_t)c_all;
                        EK_DW_TAP(ek_read_u32(r0), w, a);
                        EK_DW_TAP(ek_read_u32(r0 + sx), w + st, a);
                        EK_DW_TAP(ek_read_u32(r0 + 2 * sx), w + 2 * st, a);
                        EK_DW_TAP(ek_read_u32(r1), w + 3 * st, a);
                        EK_DW_TAP(ek_read_u32(r1 + sx), w + 4 * st, a);
                        EK_DW_TAP(ek_read_u32(r1 + 2 * sx), w + 5 * st, a);
                        EK_DW_TAP(ek_read_u32(r2), w + 6 * st, a);
                        EK_DW_TAP(ek_read_u32(r2 + sx), w + 7 * st, a);
                        EK_DW_TAP(ek_read_u32(r2 + 2 * sx), w + 8 * st, a);
                    } else {
                        for (int32_t ky = 0; ky < kh; ++ky) {
                            const int32_t y = y0 + ky * dh;
                            for (int32_t kx = 0; kx < kw; ++kx, w += c_all) {
                                const int32_t x = x0 + kx * dw;
                                const uint32_t v =
                                    (y >= 0 && y < in_h && x >= 0 && x < in_w)
                                        ? ek_read_u32(in_b + (size_t)y * row + (size_t)x * c_all + c)
                                        : zp_word;
                                EK_DW_TAP(v, w, a);
                            }
                        }
                    }
                    output[0] = dw_out(p, a[0], c);
                    output[1] = dw_out(p, a[1], c + 1);
                    output[2] = dw_out(p, a[2], c + 2);
                    output[3] = dw_out(p, a[3], c + 3);
                    output += 4;
                }
            }
        }
    }
}
