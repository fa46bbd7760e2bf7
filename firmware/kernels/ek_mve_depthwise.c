#include "ek_mve_depthwise.h"

#include "ek_mve.h"

#if defined(EK_ARM_MVE)

/* The taps of one output pixel inside the image: filter rows ky0 .. ky1, columns kx0 .. kx1. */
typedef struct {
    int32_t ky0, ky1, kx0, kx1;
    int32_t border; /* some tap lies outside */
} dw_taps_t;

/* One pixel (its first tap at `in`, weights from filter tap (ky0, kx0)), channels c0 ..
 * c0 + 4 * nv - 1 held in registers. Inside pixels: x * w from the folded bias; border
 * pixels: (x - zp) * w from the raw bias over the taps inside (the reference sum). `tail`:
 * the last (fewer than 4) channels, predicated. */
static inline __attribute__((always_inline)) void dw_vectors(const ek_mve_dw_params_t *p, const int8_t *in,
                                                           const dw_taps_t *t, int32_t c0, int nv, int tail,
                                                           int border, int8_t *out)
{
    const int32_t c = p->input.c, c4 = p->c4;
    const int32_t tap_step = p->win.dilation_w * c, row_step = p->win.dilation_h * p->input.w * c;
    const int32_t zp = p->input_zero_point;
    const mve_pred16_t pred = vctp32q((uint32_t)(c - c0));
    const int32_t *bias = (border ? p->raw_bias : p->bias) + c0;
    int32x4_t acc[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) {
        acc[v] = vldrwq_s32(bias + 4 * v);
    }
    const int8_t *row = in + c0;
    const int8_t *wrow = p->weights + (size_t)(t->ky0 * p->filter_w + t->kx0) * (size_t)c4 + c0;
    const int32_t taps_x = t->kx1 - t->kx0;
    for (int32_t ky = t->ky0; ky < t->ky1; ++ky, row += row_step, wrow += p->filter_w * c4) {
        const int8_t *px = row, *pw = wrow;
        for (int32_t kx = 0; kx < taps_x; ++kx, px += tap_step, pw += c4) {
#pragma GCC unroll 4
            for (int v = 0; v < nv; ++v) {
                int32x4_t x = tail ? vldrbq_z_s32(px, pred) : vldrbq_s32(px + 4 * v);
                if (border) {
                    x = vsubq_n_s32(x, zp);
                }
                acc[v] = vaddq_s32(acc[v], vmulq_s32(x, vldrbq_s32(pw + 4 * v)));
            }
        }
    }
    const int32x4_t lo = vdupq_n_s32(p->act.min), hi = vdupq_n_s32(p->act.max);
#pragma GCC unroll 4
    for (int v = 0; v < nv; ++v) {
        const int32x4_t mult = vldrwq_s32(p->multiplier + c0 + 4 * v), shift = vldrwq_s32(p->shift + c0 + 4 * v);
        int32x4_t r;
        if (p->right_only) {
            r = vaddq_n_s32(ek_mve_requant_double_right(acc[v], mult, shift), p->output_offset);
            r = vminq_s32(vmaxq_s32(r, lo), hi);
        } else {
            r = ek_mve_requant_s8(acc[v], mult, shift, EK_ROUND_DOUBLE, p->output_offset, p->act);
        }
        if (tail) {
            vstrbq_p_s32(out + c0, r, pred);
        } else {
            vstrbq_s32(out + c0 + 4 * v, r);
        }
    }
}

/* Every channel of one pixel: blocks of 16, 8 and 4 channels, then the predicated rest. */
#define EK_DW_PIXEL(BORDER)                                                  \
    do {                                                                     \
        int32_t c0 = 0;                                                      \
        for (; c0 + 16 <= c; c0 += 16) {                                     \
            dw_vectors(p, in, t, c0, 4, 0, BORDER, out);                     \
        }                                                                    \
        if (c0 + 8 <= c) {                                                   \
            dw_vectors(p, in, t, c0, 2, 0, BORDER, out);                     \
            c0 += 8;                                                         \
        }                                                                    \
        if (c0 + 4 <= c) {                                                   \
            dw_vectors(p, in, t, c0, 1, 0, BORDER, out);                     \
            c0 += 4;                                                         \
        }                                                                    \
        if (c0 < c) {                                                        \
            dw_vectors(p, in, t, c0, 1, 1, BORDER, out);                     \
        }                                                                    \
    } while (0)

static void dw_pixel(const ek_mve_dw_params_t *p, const int8_t *in, const dw_taps_t *t, int8_t *out)
{
    const int32_t c = p->input.c;
    if (t->border) {
        EK_DW_PIXEL(1);
    } else {
        EK_DW_PIXEL(0);
    }
}

/* The filter taps [k0, k1) of a window starting at `origin` that land in [0, size). */
static void dw_range(int32_t origin, int32_t taps, int32_t dilation, int32_t size, int32_t *k0, int32_t *k1)
{
    int32_t a = 0, b = taps;
    while (a < b && origin + a * dilation < 0) {
        ++a;
    }
    while (b > a && origin + (b - 1) * dilation >= size) {
        --b;
    }
    *k0 = a;
    *k1 = b;
}

void ek_mve_depthwise_s8(const ek_mve_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c;
    const int32_t oh = p->output.h, ow = p->output.w;
    for (int32_t b = 0; b < p->input.n; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c;
        int8_t *out = output + (size_t)b * (size_t)oh * (size_t)ow * (size_t)c;
        for (int32_t oy = 0; oy < oh; ++oy) {
            dw_taps_t t;
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            dw_range(y0, p->filter_h, p->win.dilation_h, ih, &t.ky0, &t.ky1);
            const int32_t y_border = t.ky0 != 0 || t.ky1 != p->filter_h;
            for (int32_t ox = 0; ox < ow; ++ox, out += c) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                dw_range(x0, p->filter_w, p->win.dilation_w, iw, &t.kx0, &t.kx1);
                t.border = y_border || t.kx0 != 0 || t.kx1 != p->filter_w;
                if (t.ky0 >= t.ky1 || t.kx0 >= t.kx1) {
                    t.ky1 = t.ky0; /* no tap inside: the bias alone */
                    t.kx1 = t.kx0;
                }
                const int8_t *in = image + ((size_t)(y0 + t.ky0 * p->win.dilation_h) * (size_t)iw
                                            + (size_t)(x0 + t.kx0 * p->win.dilation_w)) * (size_t)c;
                dw_pixel(p, in, &t, out);
            }
        }
    }
}
#else
void ek_mve_depthwise_s8(const ek_mve_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c;
    const int32_t oh = p->output.h, ow = p->output.w;
    for (int32_t b = 0; b < p->input.n; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c;
        for (int32_t oy = 0; oy < oh; ++oy) {
            for (int32_t ox = 0; ox < ow; ++ox) {
                const int32_t y0 = oy * p->win.stride_h - p->win.pad_top, x0 = ox * p->win.stride_w - p->win.pad_left;
                int8_t *out = output + (((size_t)b * (size_t)oh + (size_t)oy) * (size_t)ow + (size_t)ox) * (size_t)c;
                for (int32_t j = 0; j < c; ++j) {
                    int32_t acc = p->bias[j];
                    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
                        const int32_t y = y0 + ky * p->win.dilation_h;
                        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
                            const int32_t x = x0 + kx * p->win.dilation_w;
                            const int32_t v = (y < 0 || y >= ih || x < 0 || x >= iw)
                                                  ? p->input_zero_point
                                                  : image[((size_t)y * (size_t)iw + (size_t)x) * (size_t)c + (size_t)j];
                            acc += v * p->weights[(size_t)(ky * p->filter_w + kx) * (size_t)p->c4 + (size_t)j];
                        }
                    }
                    out[j] = ek_requant_s8(acc, p->multiplier[j], p->shift[j], EK_ROUND_DOUBLE, p->output_offset,
                                           p->act);
                }
            }
        }
    }
}
#endif
