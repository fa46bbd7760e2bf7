/* int8 L2_NORMALIZATION and LOG_SOFTMAX over the last dimension, bit-exact with TF's
 * reference kernels and TFLite Micro (reference_integer_ops::L2Normalization,
 * reference_ops::LogSoftmax for int8): gemmlowp fixed point, constants from the host
 * (edgekit/kernels/norm.py).
 *
 * Each row is read in full before any of its outputs is written, and rows do not
 * overlap: both kernels run in place.
 */
#ifndef EK_NORM_H
#define EK_NORM_H

#include <stdint.h>

/* TF's GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1): 1 / sqrt(input) as a
 * (multiplier, shift <= 0) pair for MultiplyByQuantizedMultiplier. Also used by the
 * layer-normalised LSTM (ek_lstm.c). */
void ek_inv_sqrt_multiplier(int32_t input, int32_t *multiplier, int32_t *shift);

/* Output scale 1/128, zero point 0. */
void ek_l2norm_s8(int32_t outer, int32_t depth, int32_t in_zero_point, const int8_t *in, int8_t *out);

typedef struct {
    int32_t outer;
    int32_t depth;
    int32_t input_multiplier; /* PreprocessLogSoftmaxScalingExp, beta 1, 5 integer bits */
    int32_t input_left_shift;
    int32_t reverse_multiplier;
    int32_t reverse_shift; /* <= 0 */
    int32_t diff_min;      /* -CalculateInputRadius(5, input_left_shift) */
    /* [256]: Rescale<12>(exp_on_negative_values(diff in Q5.26)) for diff = -k, 0 below diff_min */
    const int32_t *exp_q12;
} ek_log_softmax_params_t;

/* Output scale 16/256, zero point 127. */
void ek_log_softmax_s8(const ek_log_softmax_params_t *params, const int8_t *in, int8_t *out);

#endif /* EK_NORM_H */
