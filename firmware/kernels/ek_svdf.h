/* SVDF, int8 input and feature weights, int16 time weights and activation state, int32 bias
 * (the full-integer form of Google's streaming keyword models; TF: reference_ops::
 * EvalIntegerSVDF, TFLite Micro: EvalIntegerSvdfReference with an int16 state).
 *
 * Per invoke and batch row: the activation state, [n_filter][n_memory] int16 per batch, moves
 * one place to the left (its oldest column is dropped); each filter's newest value is the
 * feature matmul (weights_feature x (input - input_zp), requantized to int16 and saturated);
 * each unit's output sums its `rank` filters' dot products of weights_time with their state
 * row, plus the bias, requantized to int8. Neither TF nor TFLite Micro applies the fused
 * activation in this integer form (TF requires RELU and clamps to the int8 range only), and
 * neither does this kernel. The state is the op's variable tensor, kept between invokes.
 */
#ifndef EK_SVDF_H
#define EK_SVDF_H

#include <stdint.h>

#include "ek_common.h"

typedef struct {
    int32_t batches, n_input, n_filter, n_unit, rank, n_memory;
    const int8_t *weights_feature; /* [n_filter][n_input] */
    const int32_t *feature_bias;   /* [n_filter]: -input_zp * row sums */
    const int16_t *weights_time;   /* [n_filter][n_memory] */
    const int32_t *bias;           /* [n_unit], or NULL */
    int32_t feature_multiplier, feature_shift; /* input x weights_feature -> state */
    int32_t output_multiplier, output_shift;   /* state x weights_time -> output */
    int32_t output_zero_point;
} ek_svdf_params_t;

/* Scratch bytes: none (each unit's sum is kept in a register). */
int32_t ek_svdf_s8_get_buffer_size(const ek_svdf_params_t *p);

void ek_svdf_s8(const ek_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output);

#endif /* EK_SVDF_H */
