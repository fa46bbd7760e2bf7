/* int8 SOFTMAX over the last dimension, bit-exact with TF's reference kernel (the
 * float-table algorithm of optimized_ops::Softmax, which BUILTIN_REF runs for int8).
 *
 * The host supplies exp_table[d] = expf(-input_scale * beta * d) for d = max - x in
 * 0..255 (as IEEE-754 bit patterns); the device repeats TFLite's float32 steps in the
 * same order. Works in place: a row is fully read before its first output is written,
 * and output j is written after input j is read.
 */
#ifndef EK_SOFTMAX_H
#define EK_SOFTMAX_H

#include <stdint.h>

typedef struct {
    int32_t outer; /* number of rows */
    int32_t depth; /* row length (last dimension) */
    float out_scale;
    int32_t out_zero_point;
    const uint32_t *exp_table; /* 256 float32 bit patterns */
} ek_softmax_params_t;

void ek_softmax_s8(const ek_softmax_params_t *params, const int8_t *in, int8_t *out);

#endif /* EK_SOFTMAX_H */
