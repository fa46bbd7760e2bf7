/* QUANTIZE between integer types; see ek_requantize.h. One loop for every type pair. */
#include "ek_requantize.h"

#define EK_DEFINE_REQUANTIZE(NAME, IN_T, OUT_T)                                         \
    void NAME(const ek_requantize_params_t *p, const IN_T *input, OUT_T *output)                \
    {                                                                                           \
        for (int32_t i = 0; i < p->count; ++i) {                                                \
            const int32_t v = ek_requant_double(input[i] + p->input_offset, p->multiplier, p->shift) \
                              + p->output_offset;                                               \
            output[i] = (OUT_T)(v < p->lo ? p->lo : (v > p->hi ? p->hi : v));                   \
        }                                                                                       \
    }

EK_DEFINE_REQUANTIZE(ek_requantize_s8_s16, int8_t, int16_t)
EK_DEFINE_REQUANTIZE(ek_requantize_s16_s8, int16_t, int8_t)
EK_DEFINE_REQUANTIZE(ek_requantize_s16_s16, int16_t, int16_t)

void ek_leaky_relu_s16(const ek_leaky_relu_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = input[i];
        const int32_t r = v >= 0 ? ek_requant_double(v, p->identity_multiplier, p->identity_shift)
                                 : ek_requant_double(v, p->alpha_multiplier, p->alpha_shift);
        output[i] = ek_clamp_s16(r, INT16_MIN, INT16_MAX);
    }
}
