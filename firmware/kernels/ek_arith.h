/* int8 DIV, int32 DIV, int8 ADD_N and int8 CUMSUM, bit-exact with TF's reference kernels
 * and TFLite Micro (reference_ops::Div, AddN, CumSum). Every multiplier, shift and
 * reciprocal comes from the host (edgekit/kernels/arith.py).
 *
 * DIV and ADD_N write element i after reading element i of each input, front to back:
 * in place over an input of the output's shape works. CUMSUM reads each element once
 * before writing its own output position, so it runs in place too.
 */
#ifndef EK_ARITH_H
#define EK_ARITH_H

#include <stdint.h>

#include "ek_bcast3.h"

typedef struct {
    int32_t in1_offset; /* -zp1 */
    int32_t in2_offset; /* -zp2 */
    int32_t out_offset; /* zp_out */
    int32_t multiplier; /* QuantizeMultiplier(s1 / (s2 * s_out)) */
    int32_t shift;
    int32_t act_min;
    int32_t act_max;
    const int32_t *reciprocal; /* [256]: GetReciprocal(v, 31) raw value for v = 1..255 */
} ek_div_params_t;

/* A divisor equal to its zero point (real 0) is an error in TFLite; edgekit writes the
 * output zero point there (TFLite's fixed-point code has no defined result). */
void ek_div_s8(const ek_div_params_t *params, const ek_bcast3_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out);

/* C division (truncating) clamped to [act_min, act_max]; x / 0 gives 0 (TFLite fails). */
void ek_div_s32(int32_t act_min, int32_t act_max, const ek_bcast3_t *bcast, const void *in1,
                const void *in2, void *out);

typedef struct {
    int32_t in_offset;      /* -zp_in, shared by every input */
    int32_t in_multiplier;  /* QuantizeMultiplierSmallerThanOneExp(1 / 2) */
    int32_t in_shift;
    int32_t left_shift;     /* 20 */
    int32_t out_multiplier; /* QuantizeMultiplierSmallerThanOneExp(2 s_in / (2^20 s_out)) */
    int32_t out_shift;
    int32_t out_offset;
} ek_sum_rescale_t;

void ek_add_n_s8(const ek_sum_rescale_t *params, const int8_t *const *inputs, int32_t n_inputs,
                 int32_t size, int8_t *out);

typedef struct {
    ek_sum_rescale_t rescale;
    int32_t before; /* product of the dimensions before the axis */
    int32_t depth;  /* the axis' size */
    int32_t after;  /* product of the dimensions after the axis */
    int32_t exclusive;
    int32_t reverse;
} ek_cumsum_params_t;

void ek_cumsum_s8(const ek_cumsum_params_t *params, const int8_t *in, int8_t *out);

#endif /* EK_ARITH_H */
