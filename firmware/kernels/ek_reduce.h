/* int8 MEAN over a contiguous run of axes, bit-exact with TF's reference
 * QuantizedMeanOrSum (and TFLite Micro's): the input is viewed as [outer, reduce, inner]
 * and every output is MultiplyByQuantizedMultiplier(sum - zp_in * reduce) + zp_out, with
 * the 1/reduce factor folded into the multiplier on the host exactly as TFLite folds it.
 * Outputs are written in order; output k is written after all of its inputs are read
 * and before any input of a later output is, so in place works too.
 */
#ifndef EK_REDUCE_H
#define EK_REDUCE_H

#include <stdint.h>

typedef struct {
    int32_t outer;
    int32_t reduce; /* number of elements averaged per output */
    int32_t inner;
    int32_t in_offset; /* -zp_in * reduce */
    int32_t multiplier;
    int32_t shift;
    int32_t out_zero_point;
} ek_mean_params_t;

void ek_mean_s8(const ek_mean_params_t *params, const int8_t *in, int8_t *out);

#endif /* EK_REDUCE_H */
