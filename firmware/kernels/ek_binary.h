/* int8 PRELU and SQUARED_DIFFERENCE with numpy broadcasting (ek_bcast3.h), bit-exact
 * with TF's reference kernels (prelu.cc, squared_difference.cc) and TFLite Micro. Every
 * multiplier and shift comes from the host (edgekit/kernels/binary.py).
 *
 * Element i is written after element i of each input is read, front to back: in place
 * over an input of the output's shape works.
 */
#ifndef EK_BINARY_H
#define EK_BINARY_H

#include <stdint.h>

#include "ek_bcast3.h"

/* x - zp >= 0: requantize by (m1, s1); else (x - zp) * (alpha - zp_alpha) by (m2, s2). */
typedef struct {
    int32_t input_offset; /* -zp_in */
    int32_t alpha_offset; /* -zp_alpha */
    int32_t multiplier1;
    int32_t shift1;
    int32_t multiplier2;
    int32_t shift2;
    int32_t output_offset;
} ek_prelu_params_t;

/* Both inputs lifted by left_shift and rescaled to twice the larger scale (shifts <= 0),
 * the difference squared, rescaled to the output. */
typedef struct {
    int32_t in1_offset;
    int32_t in1_multiplier;
    int32_t in1_shift;
    int32_t in2_offset;
    int32_t in2_multiplier;
    int32_t in2_shift;
    int32_t left_shift;
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t out_offset;
} ek_squared_difference_params_t;

void ek_prelu_s8(const ek_prelu_params_t *params, const ek_bcast3_t *bcast, const int8_t *in,
                 const int8_t *alpha, int8_t *out);
void ek_squared_difference_s8(const ek_squared_difference_params_t *params,
                              const ek_bcast3_t *bcast, const int8_t *in1, const int8_t *in2,
                              int8_t *out);

#endif /* EK_BINARY_H */
