#include "ek_mve_conv.h"

#include <string.h>

#if defined(EK_ARM_MVE)
#include "ek_mve.h"

/* n bytes, 16 per predicated vector (memcpy/memset of newlib are byte loops for these sizes). */
static inline void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    for (; n > 0; n -= 16, src += 16, dst += 16) {
        const mve_pred16_t p = vctp8q((uint32_t)n);
        vstrbq_p_s8(dst, vldrbq_z_s8(src, p), p);
    }
}

static inline void fill_bytes(int8_t *dst, int8_t v, int32_t n)
{
    const int8x16_t d = vdupq_n_s8(v);
    for (; n > 0; n -= 16, dst += 16) {
        vstrbq_p_s8(dst, d, vctp8q((uint32_t)n));
    }
}
#else
static inline void copy_bytes(int8_t *dst, const int8_t *src, int32_t n)
{
    memcpy(dst, src, (size_t)n);
}

static inline void fill_bytes(int8_t *dst, int8_t v, int32_t n)
{
    memset(dst, v, (size_t)n);
}
#endif

/* The column of one output pixel: each filter row inside the image with dilation_w 1 is
 * one run of filter_w * c bytes; rows above or below the image are the zero point. */
static void gather_column(const ek_mve_conv_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                          int8_t *col)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c, fw = p->filter_w;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top, x0 = ox * p->win.stride_w - p->win.pad_left;
    const int8_t zp = (int8_t)p->input_zero_point;
    const int32_t run = fw * c;
    const int32_t whole = p->win.dilation_w == 1 && x0 >= 0 && x0 + fw <= iw;
    if (whole && y0 >= 0 && y0 + (p->filter_h - 1) * p->win.dilation_h < ih) {
        /* Inside the image: filter_h runs, one input row apart (times dilation_h). */
        const int8_t *src = image + ((size_t)y0 * (size_t)iw + (size_t)x0) * (size_t)c;
        const size_t step = (size_t)p->win.dilation_h * (size_t)iw * (size_t)c;
        for (int32_t ky = 0; ky < p->filter_h; ++ky, col += run, src += step) {
            copy_bytes(col, src, run);
        }
        return;
    }
    for (int32_t ky = 0; ky < p->filter_h; ++ky, col += run) {
        const int32_t y = y0 + ky * p->win.dilation_h;
        if (y < 0 || y >= ih) {
            fill_bytes(col, zp, run);
            continue;
        }
        const int8_t *row = image + (size_t)y * (size_t)iw * (size_t)c;
        if (whole) {
            copy_bytes(col, row + (size_t)x0 * (size_t)c, run);
            continue;
        }
        for (int32_t kx = 0; kx < fw; ++kx) {
            const int32_t x = x0 + kx * p->win.dilation_w;
            if (x < 0 || x >= iw) {
                fill_bytes(col + kx * c, zp, c);
            } else {
                copy_bytes(col + kx * c, row + (size_t)x * (size_t)c, c);
            }
        }
    }
}

void ek_mve_conv_s8(const ek_mve_conv_params_t *p, const int8_t *input, int8_t *output, int8_t *scratch)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c;
    const int32_t oh = p->output.h, ow = p->output.w, oc = p->output.c;
    for (int32_t b = 0; b < p->input.n; ++b) {
        const int8_t *image = input + (size_t)b * (size_t)ih * (size_t)iw * (size_t)c;
        for (int32_t oy = 0; oy < oh; ++oy) {
            for (int32_t ox = 0; ox < ow; ++ox) {
                int8_t *out = output + (((size_t)b * (size_t)oh + (size_t)oy) * (size_t)ow + (size_t)ox) * (size_t)oc;
                const int8_t *col = scratch;
                if (p->direct) {
                    col = image + ((size_t)(oy * p->win.stride_h) * (size_t)iw + (size_t)(ox * p->win.stride_w))
                                      * (size_t)c;
                } else {
                    gather_column(p, image, oy, ox, scratch);
                }
                ek_mve_dot_rows_s8(&p->rows, col, out);
            }
        }
    }
}
