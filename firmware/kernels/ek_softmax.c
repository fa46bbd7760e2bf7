/* int8 SOFTMAX (see ek_softmax.h). */
#include "ek_softmax.h"

#include <string.h>

#include "ek_requant.h"

static inline float ek_table_f32(const uint32_t *table, int32_t d)
{
    float value;
    memcpy(&value, &table[d], sizeof value); /* bit pattern -> float, no aliasing UB */
    return value;
}

/* std::round for 0 <= x < 2^23 without libm: x - trunc(x) is exact there. */
static inline int32_t ek_round_pos(float x)
{
    const int32_t t = (int32_t)x;
    return t + ((x - (float)t) >= 0.5f ? 1 : 0);
}

void ek_softmax_s8(const ek_softmax_params_t *params, const int8_t *in, int8_t *out)
{
    const int32_t depth = params->depth;
    for (int32_t r = 0; r < params->outer; ++r) {
        int32_t max_val = -128;
        for (int32_t j = 0; j < depth; ++j) {
            max_val = in[j] > max_val ? in[j] : max_val;
        }
        float sum = 0.0f;
        for (int32_t j = 0; j < depth; ++j) {
            sum += ek_table_f32(params->exp_table, max_val - in[j]);
        }
        const float inv = 1.0f / (sum * params->out_scale);
        for (int32_t j = 0; j < depth; ++j) {
            float prob = ek_table_f32(params->exp_table, max_val - in[j]) * inv;
            prob = prob < 4194304.0f ? prob : 4194304.0f; /* keep the conversion defined */
            out[j] = ek_clamp_s8(ek_round_pos(prob) + params->out_zero_point, -128, 127);
        }
        in += depth;
        out += depth;
    }
}
