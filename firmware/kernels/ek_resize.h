/* RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8 NHWC, TFLite reference arithmetic.
 * The host (edgekit/kernels/resize.py) computes which input rows/columns each output
 * row/column reads, and for bilinear the 10-bit weights, so the kernels only gather. */
#ifndef EK_RESIZE_H
#define EK_RESIZE_H

#include <stdint.h>

typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    const int32_t *rows; /* [out_h]: input row of each output row */
    const int32_t *cols; /* [out_w]: input column of each output column */
} ek_resize_nearest_t;

typedef struct {
    int32_t batches, in_h, in_w, channels, out_h, out_w;
    /* [out_h][3] and [out_w][3]: lower index, upper index, weight of the upper one
     * (1024 = 1.0; the lower one weighs 1024 - weight). */
    const int32_t *rows;
    const int32_t *cols;
} ek_resize_bilinear_t;

void ek_resize_nearest_s8(const ek_resize_nearest_t *p, const int8_t *in, int8_t *out);
void ek_resize_bilinear_s8(const ek_resize_bilinear_t *p, const int8_t *in, int8_t *out);

#endif /* EK_RESIZE_H */
