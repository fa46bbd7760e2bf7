/* DEPTHWISE_CONV_2D int8, depth multiplier 1, any window, for MVE: four channels per
 * vector (VLDRB widening to int32 lanes), up to 16 channels of a pixel in registers. A
 * pixel whose taps all lie inside the image accumulates x * w (VMUL, VADD) from a bias
 * with the input zero point folded in (bias - zp * sum of the filter); a border pixel
 * accumulates (x - zp) * w over its inside taps from the raw bias (the reference sum).
 * Requantized four lanes at a time (ek_mve.h, double rounding).
 * Host layout (edgekit/kernels/mve_depthwise.py): weights [filter_h * filter_w][c4] and
 * bias, multiplier, shift [c4], c4 = channels rounded up to 4 (zero weights, repeated
 * parameters). The channel tail is a predicated load and store: nothing past the channels
 * is read or written. Without EK_ARM_MVE the same layout runs as plain C. */
#ifndef EK_MVE_DEPTHWISE_H
#define EK_MVE_DEPTHWISE_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input, output;
    int32_t filter_h, filter_w, c4;
    ek_window_t win;
    int32_t input_zero_point;
    int32_t output_offset;
    int32_t right_only; /* every shift <= 0 */
    ek_act_t act;
    const int8_t *weights;
    const int32_t *bias, *raw_bias, *multiplier, *shift; /* bias: zero point folded in */
} ek_mve_dw_params_t;

void ek_mve_depthwise_s8(const ek_mve_dw_params_t *p, const int8_t *input, int8_t *output);

#endif /* EK_MVE_DEPTHWISE_H */
