/* Fixed-point requantization shared by every edgekit kernel.
 *
 * Semantics are TFLite's (gemmlowp): SaturatingRoundingDoublingHighMul followed by
 * RoundingDivideByPOT ("double rounding"), and the single-rounding form that TF's
 * reference FULLY_CONNECTED uses. Multipliers and shifts come precomputed from the
 * host (edgekit/kernels/quant.py): the device never derives them.
 */
#ifndef EK_REQUANT_H
#define EK_REQUANT_H

#include <stdint.h>

static inline int32_t ek_sat_rounding_doubling_high_mul(int32_t a, int32_t b)
{
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int64_t nudge = ab >= 0 ? (1LL << 30) : (1 - (1LL << 30));
    return (int32_t)((ab + nudge) / (1LL << 31));
}

static inline int32_t ek_rounding_divide_by_pot(int32_t x, int exponent)
{
    const int32_t mask = (int32_t)((1LL << exponent) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* Double rounding: TFLite reference CONV_2D / DEPTHWISE_CONV_2D and all of TFLite Micro. */
static inline int32_t ek_requant_double(int32_t x, int32_t multiplier, int32_t shift)
{
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(shifted, multiplier), right);
}

/* Single rounding: TF reference FULLY_CONNECTED int8 (shift in [-31, 30]). */
static inline int32_t ek_requant_single(int32_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - shift;
    const int64_t round = 1LL << (total_shift - 1);
    return (int32_t)(((int64_t)x * multiplier + round) >> total_shift);
}

static inline int8_t ek_clamp_s8(int32_t x, int32_t lo, int32_t hi)
{
    return (int8_t)(x < lo ? lo : (x > hi ? hi : x));
}

#endif /* EK_REQUANT_H */
