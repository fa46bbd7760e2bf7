/* DEPTHWISE_CONV_2D, int8, per-channel weights [1, kh, kw, C*dm], int32 bias.
 *  - ek_depthwise_s8: reference loops; any kernel, stride, dilation, depth multiplier.
 *  - ek_depthwise_s8_packed: depth multiplier 1 and C % 4 == 0; int16 weights pre-widened
 *    on the host in SXTB16 lane order per 4 channels (c0,c2,c1,c3), input zero point folded
 *    into the bias (padded taps read the zero point), SMLABB/SMLATT on 4 channels, and an
 *    unrolled 3x3 path for windows fully inside the input. No scratch.
 * Output in NHWC raster order, one output row at a time (memory planner contract).
 */
#ifndef EK_DEPTHWISE_H
#define EK_DEPTHWISE_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input;
    ek_dims_t filter; /* n = 1, h = kh, w = kw, c = output channels */
    ek_dims_t output;
    ek_window_t win;
    int32_t depth_multiplier;
    int32_t input_offset, output_offset;
    ek_act_t act;
    const int8_t *weights;
    const int32_t *bias; /* NULL when absent */
    const int32_t *multiplier;
    const int32_t *shift;
} ek_dw_params_t;

typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    ek_window_t win;
    int32_t input_zero_point;
    int32_t output_offset;
    ek_act_t act;
    const int16_t *weights; /* [kh*kw][C] lanes c0,c2,c1,c3 per group of 4 */
    const int32_t *bias;    /* folded */
    const int32_t *multiplier;
    const int32_t *shift;
} ek_dw_packed_params_t;

void ek_depthwise_s8(const ek_dw_params_t *p, const int8_t *input, int8_t *output);

void ek_depthwise_s8_packed(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output);

#endif /* EK_DEPTHWISE_H */
