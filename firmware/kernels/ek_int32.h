/* int32 arithmetic on raw values (no quantization), as TFLite's ADD/SUB/MUL do for
 * int32 tensors: loop counters and index arithmetic of control-flow bodies. Each input
 * is either the output's size or one element repeated (stride 0). Wraps modulo 2^32
 * where C's signed overflow would be undefined. */
#ifndef EK_INT32_H
#define EK_INT32_H

#include <stdint.h>

typedef enum { EK_I32_ADD = 0, EK_I32_SUB = 1, EK_I32_MUL = 2 } ek_i32_op_t;

void ek_arith_s32(ek_i32_op_t op, const int32_t *a, int32_t stride_a, const int32_t *b, int32_t stride_b,
                  int32_t *out, int32_t n, int32_t act_min, int32_t act_max);

#endif /* EK_INT32_H */
