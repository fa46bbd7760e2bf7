/* Comparisons (EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL), LOGICAL_AND /
 * OR / NOT and SELECT_V2, with numpy broadcasting over up to three inputs. Bool tensors
 * are one byte per element, 0 or 1, as in TFLite.
 *
 * int8 comparisons follow TFLite's ComparisonQuantized (comparisons.cc, and TFLite
 * Micro's): each input is (x - zp) << 8, scaled by its own scale as a fixed-point
 * multiplier below one, and the two results compared, so inputs with different scales
 * compare as real numbers. int32 inputs compare raw. The host resolves the broadcast into
 * strides (edgekit/kernels/compare.py).
 *
 * Every kernel writes element i after reading element i of each input, front to back,
 * and never reads an earlier element again: in place over an input of the output's
 * size and element width works (comparisons over int8 inputs, logical ops, SELECT_V2
 * over the input the output has the shape and type of).
 */
#ifndef EK_COMPARE_H
#define EK_COMPARE_H

#include <stdint.h>

#include "ek_bcast3.h"

typedef enum {
    EK_CMP_EQUAL = 0,
    EK_CMP_NOT_EQUAL = 1,
    EK_CMP_LESS = 2,
    EK_CMP_LESS_EQUAL = 3,
    EK_CMP_GREATER = 4,
    EK_CMP_GREATER_EQUAL = 5
} ek_cmp_t;

typedef struct {
    ek_cmp_t cmp;
    int32_t in1_offset; /* -zero point */
    int32_t in1_multiplier;
    int32_t in1_shift; /* <= 0 */
    int32_t in2_offset;
    int32_t in2_multiplier;
    int32_t in2_shift;
    int32_t left_shift;
} ek_compare_params_t;

void ek_compare_s8(const ek_compare_params_t *params, const ek_bcast3_t *bcast, const int8_t *in1,
                   const int8_t *in2, int8_t *out);
void ek_compare_s32(ek_cmp_t cmp, const ek_bcast3_t *bcast, const int32_t *in1,
                    const int32_t *in2, int8_t *out);

/* is_or = 0: LOGICAL_AND, 1: LOGICAL_OR. */
void ek_logical_b8(int32_t is_or, const ek_bcast3_t *bcast, const int8_t *in1, const int8_t *in2,
                   int8_t *out);
void ek_logical_not_b8(const int8_t *in, int8_t *out, int32_t size);

/* out = cond ? x : y, elements of elem_bytes (1, 2 or 4) bytes; stride[0] is cond's. */
void ek_select(const ek_bcast3_t *bcast, int32_t elem_bytes, const int8_t *cond, const void *x,
               const void *y, void *out);

#endif /* EK_COMPARE_H */
