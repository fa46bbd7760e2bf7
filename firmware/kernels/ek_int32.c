#include "ek_int32.h"

void ek_arith_s32(ek_i32_op_t op, const int32_t *a, int32_t stride_a, const int32_t *b, int32_t stride_b,
                  int32_t *out, int32_t n, int32_t act_min, int32_t act_max)
{
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t x = (uint32_t)a[i * stride_a];
        const uint32_t y = (uint32_t)b[i * stride_b];
        uint32_t r;
        if (op == EK_I32_ADD) {
            r = x + y;
        } else if (op == EK_I32_SUB) {
            r = x - y;
        } else {
            r = x * y;
        }
        int32_t v = (int32_t)r;
        v = v < act_min ? act_min : v;
        out[i] = v > act_max ? act_max : v;
    }
}
