/* int8 MEAN (see ek_reduce.h). */
#include "ek_reduce.h"

#include "ek_requant.h"

void ek_mean_s8(const ek_mean_params_t *params, const int8_t *in, int8_t *out)
{
    const int32_t reduce = params->reduce;
    const int32_t inner = params->inner;
    for (int32_t o = 0; o < params->outer; ++o) {
        const int8_t *base = in + o * reduce * inner;
        for (int32_t i = 0; i < inner; ++i) {
            int32_t sum = params->in_offset;
            const int8_t *p = base + i;
            for (int32_t r = 0; r < reduce; ++r) {
                sum += *p;
                p += inner;
            }
            const int32_t y = ek_requant_double(sum, params->multiplier, params->shift);
            *out++ = ek_clamp_s8(y + params->out_zero_point, -128, 127);
        }
    }
}
