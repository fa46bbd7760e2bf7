/* QUANTIZE between integer types (int8 <-> int16, int16 -> int16): TFLite's Requantize,
 * out = clamp(MultiplyByQuantizedMultiplier(in - in_zp) + out_zp) to [lo, hi] (the output
 * type's range; int16 RELU is the same with the activation's range).
 * Element i is written after element i is read, never before (in place when the sizes match). */
#ifndef EK_REQUANTIZE_H
#define EK_REQUANTIZE_H

#include "ek_common.h"

typedef struct {
    int32_t count;
    int32_t input_offset; /* -input zero point */
    int32_t multiplier, shift;
    int32_t output_offset;
    int32_t lo, hi;
} ek_requantize_params_t;

void ek_requantize_s8_s16(const ek_requantize_params_t *p, const int8_t *input, int16_t *output);
void ek_requantize_s16_s8(const ek_requantize_params_t *p, const int16_t *input, int8_t *output);
void ek_requantize_s16_s16(const ek_requantize_params_t *p, const int16_t *input, int16_t *output);

/* int16 LEAKY_RELU: identity multiplier for in >= 0, alpha multiplier below (zero points 0). */
typedef struct {
    int32_t count;
    int32_t identity_multiplier, identity_shift;
    int32_t alpha_multiplier, alpha_shift;
} ek_leaky_relu_s16_params_t;

void ek_leaky_relu_s16(const ek_leaky_relu_s16_params_t *p, const int16_t *input, int16_t *output);

#endif /* EK_REQUANTIZE_H */
