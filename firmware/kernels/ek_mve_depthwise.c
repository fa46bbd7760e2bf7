#include "ek_mve_depthwise.h"

#include "ek_mve.h"

typedef struct {
    int32_t y0, x0, ky0, ky1, kx0, kx1; /* window origin and the taps inside the image */
} dw_taps_t;

static dw_taps_t taps(const ek_mve_dw_params_t *p, int32_t oy, int32_t ox)
{
    dw_taps_t t;
    t.y0 = oy * p->win.stride_h - p->win.pad_top;
    t.x0 = ox * p->win.stride_w - p->win.pad_left;
    t.ky0 = 0;
    t.ky1 = p->filter_h;
    t.kx0 = 0;
    t.kx1 = p->filter_w;
    while (t.ky0 < t.ky1 && t.y0 + t.ky0 * p->win.dilation_h < 0) {
        ++t.ky0;
    }
    while (t.ky1 > t.ky0 && t.y0 + (t.ky1 - 1) * p->win.dilation_h >= p->input.h) {
        --t.ky1;
    }
    while (t.kx0 < t.kx1 && t.x0 + t.kx0 * p->win.dilation_w < 0) {
        ++t.kx0;
    }
    while (t.kx1 > t.kx0 && t.x0 + (t.kx1 - 1) * p->win.dilation_w >= p->input.w) {
        --t.kx1;
    }
    return t;
}

static void dw_pixel(const ek_mve_dw_params_t *p, const int8_t *image, const dw_taps_t *t, int8_t *out)
{
    const int32_t c = p->input.c, iw = p->input.w;
    for (int32_t c0 = 0; c0 < c; c0 += 4) {
#if defined(EK_ARM_MVE)
        const mve_pred16_t pred = vctp32q((uint32_t)(c - c0));
        int32x4_t acc = vldrwq_s32(p->bias + c0);
        const int32_t x_step = p->win.dilation_w * c;
        for (int32_t ky = t->ky0; ky < t->ky1; ++ky) {
            const int32_t y = t->y0 + ky * p->win.dilation_h;
            const int8_t *px = image + ((size_t)y * (size_t)iw + (size_t)(t->x0 + t->kx0 * p->win.dilation_w))
                                           * (size_t)c + c0;
            const int8_t *pw = p->weights + (size_t)(ky * p->filter_w + t->kx0) * (size_t)p->c4 + c0;
            for (int32_t kx = t->kx0; kx < t->kx1; ++kx) {
                const int32x4_t v = vldrbq_z_s32(px, pred);
                acc = vaddq_s32(acc, vmulq_s32(vldrbq_s32(pw), vaddq_n_s32(v, p->input_offset)));
                px += x_step;
                pw += p->c4;
            }
        }
        const int32x4_t r = ek_mve_requant_s8(acc, vldrwq_s32(p->multiplier + c0), vldrwq_s32(p->shift + c0),
                                              EK_ROUND_DOUBLE, p->output_offset, p->act);
        vstrbq_p_s32(out + c0, r, pred);
#else
        const int32_t n = c - c0 < 4 ? c - c0 : 4;
        for (int32_t j = c0; j < c0 + n; ++j) {
            int32_t acc = p->bias[j];
            for (int32_t ky = t->ky0; ky < t->ky1; ++ky) {
                const int32_t y = t->y0 + ky * p->win.dilation_h;
                for (int32_t kx = t->kx0; kx < t->kx1; ++kx) {
                    const int32_t x = t->x0 + kx * p->win.dilation_w;
                    const int32_t v = image[((size_t)y * (size_t)iw + (size_t)x) * (size_t)c + (size_t)j];
                    acc += (v + p->input_offset) * p->weights[(size_t)(ky * p->filter_w + kx) * (size_t)p->c4 + (size_t)j];
                }
            }
            out[j] = ek_requant_s8(acc, p->multiplier[j], p->shift[j], EK_ROUND_DOUBLE, p->output_offset, p->act);
        }
#endif
    }
}

void ek_mve_depthwise_s8(const ek_mve_dw_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c;
    const int32_t oh = p->output.h, ow = p->output.w;
    for (int32_t b = 0; b < p->input.n; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c;
        for (int32_t oy = 0; oy < oh; ++oy) {
            for (int32_t ox = 0; ox < ow; ++ox) {
                const dw_taps_t t = taps(p, oy, ox);
                dw_pixel(p, image, &t, output + (((size_t)b * (size_t)oh + (size_t)oy) * (size_t)ow + (size_t)ox) * (size_t)c);
            }
        }
    }
}
