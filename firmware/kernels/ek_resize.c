/* Resize kernels (see ek_resize.h). */
#include "ek_resize.h"

#include <string.h>

void ek_resize_nearest_s8(const ek_resize_nearest_t *p, const int8_t *in, int8_t *out)
{
    const int32_t c = p->channels;
    const int32_t in_row = p->in_w * c;
    const int32_t out_row = p->out_w * c;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = in + b * p->in_h * in_row;
        for (int32_t y = 0; y < p->out_h; ++y) {
            if (y > 0 && p->rows[y] == p->rows[y - 1]) {
                /* Upscaling repeats rows: copy the one just written. */
                memcpy(out, out - out_row, (size_t)out_row);
            } else {
                const int8_t *src = image + p->rows[y] * in_row;
                for (int32_t x = 0; x < p->out_w; ++x) {
                    memcpy(out + x * c, src + p->cols[x] * c, (size_t)c);
                }
            }
            out += out_row;
        }
    }
}

/* (acc + 2^19) / 2^20 rounding half away from zero, C division (truncating). */
static inline int8_t ek_bilinear_round(int64_t acc)
{
    const int64_t half = acc > 0 ? (1 << 19) : -(1 << 19);
    return (int8_t)((acc + half) / (1 << 20));
}

void ek_resize_bilinear_s8(const ek_resize_bilinear_t *p, const int8_t *in, int8_t *out)
{
    const int32_t c = p->channels;
    const int32_t in_row = p->in_w * c;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *image = in + b * p->in_h * in_row;
        for (int32_t y = 0; y < p->out_h; ++y) {
            const int8_t *top = image + p->rows[3 * y] * in_row;
            const int8_t *bottom = image + p->rows[3 * y + 1] * in_row;
            const int32_t wy = p->rows[3 * y + 2];
            for (int32_t x = 0; x < p->out_w; ++x) {
                const int32_t left = p->cols[3 * x] * c;
                const int32_t right = p->cols[3 * x + 1] * c;
                const int32_t wx = p->cols[3 * x + 2];
                for (int32_t k = 0; k < c; ++k) {
                    /* sum of the four products of TFLite, grouped by row (exact). */
                    const int32_t t = top[left + k] * (1024 - wx) + top[right + k] * wx;
                    const int32_t u = bottom[left + k] * (1024 - wx) + bottom[right + k] * wx;
                    *out++ = ek_bilinear_round((int64_t)t * (1024 - wy) + (int64_t)u * wy);
                }
            }
        }
    }
}
