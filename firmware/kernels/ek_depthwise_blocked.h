/* DEPTHWISE_CONV_2D (depth multiplier 1) for cores without SIMD: channels in register
 * groups of 4, taps clipped to the image once per output pixel (no bounds test per tap).
 *
 * Interior pixels (every tap inside the image) accumulate x * w from the host's folded
 * bias (bias - zp * sum of the channel's weights); border pixels accumulate (x - zp) * w
 * over their inside taps from the plain bias. Weights are the .tflite's [kh][kw][C] int8.
 * All loads are byte loads (LB / LDRSB; no alignment condition). Requantization is
 * ek_requant_double_fast (TFLite double rounding; TF and TFLM agree for depthwise). Output
 * in NHWC raster order; a pixel reads only its own window (the planner's rows contract).
 */
#ifndef EK_DEPTHWISE_BLOCKED_H
#define EK_DEPTHWISE_BLOCKED_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input;
    ek_dims_t filter; /* n = 1, h = kh, w = kw, c = channels */
    ek_dims_t output;
    ek_window_t win;
    int32_t input_offset; /* -input zero point */
    int32_t output_offset;
    ek_act_t act;
    const int8_t *weights;     /* [kh][kw][C] */
    const int32_t *bias;       /* per channel (zeros when the layer has none) */
    const int32_t *bias_folded; /* bias - zp * sum over taps of w */
    const int32_t *multiplier;
    const int32_t *shift;
} ek_dw_blocked_params_t;

void ek_depthwise_s8_blocked(const ek_dw_blocked_params_t *p, const int8_t *input, int8_t *output);

#endif /* EK_DEPTHWISE_BLOCKED_H */
