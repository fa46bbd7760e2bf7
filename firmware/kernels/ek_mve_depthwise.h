/* DEPTHWISE_CONV_2D int8, depth multiplier 1, any window, for MVE: four channels per
 * vector (VLDRB widening to int32 lanes), (x - zero point) * w accumulated (VMUL, VADD) over
 * the taps inside the image (padding contributes nothing), requantized four lanes at a
 * time (ek_mve.h, double rounding). Host layout (edgekit/kernels/mve_depthwise.py):
 * weights [filter_h * filter_w][c4] and bias, multiplier, shift [c4], c4 = channels rounded
 * up to 4 (zero weights, repeated parameters). The channel tail is a predicated load and
 * store: nothing past the channels is read or written. Without EK_ARM_MVE the same layout
 * runs as plain C. */
#ifndef EK_MVE_DEPTHWISE_H
#define EK_MVE_DEPTHWISE_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input, output;
    int32_t filter_h, filter_w, c4;
    ek_window_t win;
    int32_t input_offset; /* -input zero point */
    int32_t output_offset;
    ek_act_t act;
    const int8_t *weights;
    const int32_t *bias, *multiplier, *shift;
} ek_mve_dw_params_t;

void ek_mve_depthwise_s8(const ek_mve_dw_params_t *p, const int8_t *input, int8_t *output);

#endif /* EK_MVE_DEPTHWISE_H */
