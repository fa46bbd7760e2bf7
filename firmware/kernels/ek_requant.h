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

static inline int16_t ek_clamp_s16(int32_t x, int32_t lo, int32_t hi)
{
    return (int16_t)(x < lo ? lo : (x > hi ? hi : x));
}

/* TFLite's MultiplyByQuantizedMultiplier for an int64 accumulator (int16x8 conv, depthwise
 * and fully connected, TF and TFLite Micro alike): the multiplier rounded to 15 bits, one
 * rounding shift by 15 - shift. TFLite assumes |x| < 2^47 and a result inside int32; past
 * that its int64 product and the int32 result wrap (two's complement), as they do here,
 * without signed overflow: an accumulator with a bias near the int64 limits gives TFLite's
 * bytes. */
static inline int32_t ek_requant_s64(int64_t x, int32_t multiplier, int32_t shift)
{
    const int32_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
    const int total_shift = 15 - shift;
    const uint64_t product = (uint64_t)x * (uint32_t)reduced + (1ULL << (total_shift - 1));
    /* The wrapped product as signed, shifted arithmetically (GCC and Clang convert and shift
     * two's complement, as the kernels' other requantizations rely on): UMULL + MLA and one
     * 64-bit shift on Cortex-M, half the instructions of an explicit sign fill. */
    return (int32_t)(uint32_t)(uint64_t)((int64_t)product >> total_shift);
}

/* ek_requant_s64 with the bias folded in on the host, for the int16x8 DSP kernels. All of
 * TFLite's arithmetic there is modulo 2^64: P = (acc + bias) * r + 2^(ts-1), result = the
 * bits ts..ts+31 of P (r the 15-bit reduced multiplier, ts = 15 - shift). So
 * P = acc * r + c with the per-channel constant c = bias * r + 2^(ts-1) (mod 2^64), whatever
 * the bias; and for 16 <= ts <= 32 the same bits are the high word of P * 2^(32-ts) =
 * acc * (r << (32-ts)) + (c << (32-ts)) (mod 2^64), with r << (32-ts) < 2^31. Per channel
 * q = {r', s, c' low word, c' high word}: s >= 0 means result = high word >> s (arithmetic;
 * r' and c' scaled when ts <= 32, s = ts - 32 otherwise), s < 0 (ts = -s < 16, multipliers
 * above one half) result = (low >> ts) | (high << (32 - ts)). One SMLAL and a shift per
 * output. */
static inline int32_t ek_requant_folded_bits(uint64_t p, int32_t s)
{
    const uint32_t lo = (uint32_t)p, hi = (uint32_t)(p >> 32);
    if (s >= 0) {
        return (int32_t)hi >> s;
    }
    return (int32_t)((lo >> -s) | (hi << (32 + s)));
}

/* p + a * b modulo 2^64 (one SMLAL on the cores with the DSP extension). */
static inline uint64_t ek_smlal(uint64_t p, int32_t a, int32_t b)
{
#if defined(__ARM_FEATURE_DSP) /* every core with the DSP extension has SMLAL */
    uint32_t lo = (uint32_t)p, hi = (uint32_t)(p >> 32);
    __asm__("smlal %0, %1, %2, %3" : "+r"(lo), "+r"(hi) : "r"(a), "r"(b));
    return ((uint64_t)hi << 32) | lo;
#else
    return p + (uint64_t)((int64_t)a * b);
#endif
}

/* An int32-exact accumulator. */
static inline int32_t ek_requant_s64_folded32(int32_t acc, const int32_t *q)
{
    const uint64_t c = ((uint64_t)(uint32_t)q[3] << 32) | (uint32_t)q[2];
    return ek_requant_folded_bits(ek_smlal(c, acc, q[0]), q[1]);
}

/* Any int64 accumulator (modulo 2^64 as TFLite). */
static inline int32_t ek_requant_s64_folded(int64_t acc, const int32_t *q)
{
    const uint64_t c = ((uint64_t)(uint32_t)q[3] << 32) | (uint32_t)q[2];
    return ek_requant_folded_bits((uint64_t)acc * (uint32_t)q[0] + c, q[1]);
}

/* TF's reference int16x8 FULLY_CONNECTED (TF 2.21, measured): round(x * q / 2^(31 - shift))
 * exactly, with the full 31-bit multiplier (never flushed to zero for tiny scales) and one
 * rounding, and INT32_MIN for a result outside int32. The 64 x 32-bit product is formed in
 * 128 bits (two 64-bit words, no __int128 on 32-bit cores). */
static inline int32_t ek_requant_s64_single(int64_t x, int32_t multiplier, int32_t shift)
{
    const int total_shift = 31 - shift;
    const uint64_t mag = x < 0 ? 0ULL - (uint64_t)x : (uint64_t)x;
    const uint64_t lo_part = (mag & 0xFFFFFFFFULL) * (uint64_t)(uint32_t)multiplier;
    const uint64_t hi_part = (mag >> 32) * (uint64_t)(uint32_t)multiplier;
    uint64_t lo = lo_part + (hi_part << 32);
    uint64_t hi = (hi_part >> 32) + (lo < lo_part);
    if (x < 0) { /* two's complement negate of (hi, lo) */
        lo = ~lo + 1ULL;
        hi = ~hi + (lo == 0ULL);
    }
    if (total_shift <= 0 || total_shift > 126) {
        return x == 0 ? 0 : INT32_MIN; /* beyond any multiplier QuantizeMultiplier gives */
    }
    const uint64_t round_lo = total_shift - 1 < 64 ? 1ULL << (total_shift - 1) : 0ULL;
    const uint64_t round_hi = total_shift - 1 < 64 ? 0ULL : 1ULL << (total_shift - 1 - 64);
    const uint64_t sum_lo = lo + round_lo;
    hi = hi + round_hi + (sum_lo < lo);
    lo = sum_lo;
    /* arithmetic shift right of (hi, lo) by total_shift, keeping the low 64 bits and the
     * sign-extended high word to check the int32 range */
    uint64_t r_lo, r_hi;
    const uint64_t sign = (hi >> 63) ? ~0ULL : 0ULL;
    if (total_shift < 64) {
        r_lo = (lo >> total_shift) | (hi << (64 - total_shift));
        r_hi = (hi >> total_shift) | (sign << (64 - total_shift));
    } else {
        const int s2 = total_shift - 64;
        r_lo = s2 == 0 ? hi : ((hi >> s2) | (sign << (64 - s2)));
        r_hi = sign;
    }
    const int64_t v = (int64_t)r_lo;
    if (r_hi != ((r_lo >> 63) ? ~0ULL : 0ULL) || v < INT32_MIN || v > INT32_MAX) {
        return INT32_MIN;
    }
    return (int32_t)v;
}

#endif /* EK_REQUANT_H */
