/* SVDF (int8 x int8 -> int16 state, int16 x int16 -> int8): see ek_svdf.h. */
#include "ek_svdf.h"

#include <string.h>

#include "ek_requant.h"

int32_t ek_svdf_s8_get_buffer_size(const ek_svdf_params_t *p)
{
    (void)p;
    return 0;
}

void ek_svdf_s8(const ek_svdf_params_t *p, const int8_t *input, int16_t *state, int8_t *output)
{
    const int32_t per_batch = p->n_filter * p->n_memory;
    const int32_t total = p->batches * per_batch;
    /* The oldest value of every filter is dropped; the newest column is written below (as
     * TFLite Micro: the whole state moves by one, each filter's last slot overwritten). */
    if (total > 1) {
        memmove(state, state + 1, (size_t)(total - 1) * sizeof(int16_t));
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + b * p->n_input;
        int16_t *s = state + b * per_batch;
        for (int32_t f = 0; f < p->n_filter; ++f) {
            const int32_t acc = (int32_t)((uint32_t)p->feature_bias[f] +
                                          (uint32_t)ek_dot_s8(p->weights_feature + f * p->n_input, x, p->n_input));
            s[f * p->n_memory + p->n_memory - 1] =
                ek_clamp_s16(ek_requant_double(acc, p->feature_multiplier, p->feature_shift), -32768, 32767);
        }
        for (int32_t u = 0; u < p->n_unit; ++u) {
            uint32_t acc = p->bias != NULL ? (uint32_t)p->bias[u] : 0u;
            for (int32_t r = 0; r < p->rank; ++r) {
                const int32_t f = u * p->rank + r;
                acc += (uint32_t)ek_dot_s16_wrap(p->weights_time + f * p->n_memory, s + f * p->n_memory,
                                                 p->n_memory);
            }
            const int32_t v = ek_requant_double((int32_t)acc, p->output_multiplier, p->output_shift);
            output[b * p->n_unit + u] = ek_clamp_s8(v + p->output_zero_point, -128, 127);
        }
    }
}
