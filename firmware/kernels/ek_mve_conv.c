#include "ek_mve_conv.h"

#include <string.h>

static void gather_column(const ek_mve_conv_params_t *p, const int8_t *image, int32_t oy, int32_t ox,
                          int8_t *col)
{
    const int32_t ih = p->input.h, iw = p->input.w, c = p->input.c;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top, x0 = ox * p->win.stride_w - p->win.pad_left;
    for (int32_t ky = 0; ky < p->filter_h; ++ky) {
        const int32_t y = y0 + ky * p->win.dilation_h;
        for (int32_t kx = 0; kx < p->filter_w; ++kx) {
            const int32_t x = x0 + kx * p->win.dilation_w;
            if (y < 0 || y >= ih || x < 0 || x >= iw) {
                memset(col, (int8_t)p->input_zero_point, (size_t)c);
            } else {
                memcpy(col, image + ((size_t)y * (size_t)iw + (size_t)x) * (size_t)c, (size_t)c);
            }
            col += c;
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
