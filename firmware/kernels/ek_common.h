/* Shared definitions of the edgekit kernel library: dims, windows, activation ranges,
 * qualifiers, and the small DSP primitives that the Arm path maps to ACLE intrinsics.
 *
 * EK_ARM_DSP is the ONE feature macro; the build defines it for the arm-dsp kernel
 * variant (edgekit/kernels/variants.py). Without it the primitives below are plain C with
 * identical results, so the packed (DSP) kernels also run, bit-exact, on the host under
 * sanitizers. A core without the DSP extension cannot run the DSP path: asking for it
 * there stops the build instead of falling back to the plain C unnoticed.
 */
#ifndef EK_COMMON_H
#define EK_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ek_requant.h"

/* An exported library (edgekit export) carries its kernel variant's macros in this file
 * instead of compiler flags, so any build system compiles it right. */
#if defined(__has_include)
#if __has_include("ek_kernel_config.h")
#include "ek_kernel_config.h"
#endif
#endif

#if defined(__cplusplus)
#define EK_RESTRICT __restrict
#else
#define EK_RESTRICT restrict
#endif

#if defined(__GNUC__)
#define EK_ALIGNED(n) __attribute__((aligned(n)))
#define EK_LIKELY(x) __builtin_expect(!!(x), 1)
#else
#define EK_ALIGNED(n)
#define EK_LIKELY(x) (x)
#endif

#if defined(EK_ARM_DSP)
#if !defined(__ARM_FEATURE_DSP)
#error "EK_ARM_DSP (kernel variant arm-dsp) needs a core with the Arm DSP extension: check -mcpu"
#endif
#undef EK_ARM_DSP
#define EK_ARM_DSP __ARM_FEATURE_DSP /* what the compiler says the core has */
#include <arm_acle.h>
#endif

/* NHWC shape (FULLY_CONNECTED: n = batch rows, c = features). */
typedef struct {
    int32_t n, h, w, c;
} ek_dims_t;

/* Sliding window of conv/depthwise/pool. pad_* = elements before the first input row/col. */
typedef struct {
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t pad_top, pad_left;
} ek_window_t;

/* Clamp of the fused activation in the output's quantized domain. */
typedef struct {
    int32_t min, max;
} ek_act_t;

/* Which requantization the host chose for an op (LoweringContext.rounding and op type). */
typedef enum {
    EK_ROUND_DOUBLE = 0, /* MultiplyByQuantizedMultiplier: TF conv/depthwise, all of TFLM */
    EK_ROUND_SINGLE = 1  /* TF reference FULLY_CONNECTED */
} ek_rounding_t;

/* Requantize an int32 accumulator to int8 with the chosen rounding, output offset and clamp. */
static inline int8_t ek_requant_s8(int32_t acc, int32_t multiplier, int32_t shift,
                                   ek_rounding_t rounding, int32_t out_offset, ek_act_t act)
{
    const int32_t v = rounding == EK_ROUND_SINGLE ? ek_requant_single(acc, multiplier, shift)
                                                  : ek_requant_double(acc, multiplier, shift);
    return ek_clamp_s8(v + out_offset, act.min, act.max);
}

/* Requantize an int64 accumulator (int16x8 ops) to int16 with output offset and clamp:
 * EK_ROUND_DOUBLE is TFLite's int64 MultiplyByQuantizedMultiplier (conv, depthwise, all of
 * TFLite Micro), EK_ROUND_SINGLE TF's reference int16 FULLY_CONNECTED. */
static inline int16_t ek_requant_s16(int64_t acc, int32_t multiplier, int32_t shift, ek_rounding_t rounding,
                                     int32_t out_offset, ek_act_t act)
{
    const int32_t v = rounding == EK_ROUND_SINGLE ? ek_requant_s64_single(acc, multiplier, shift)
                                                  : ek_requant_s64(acc, multiplier, shift);
    return ek_clamp_s16((int32_t)((uint32_t)v + (uint32_t)out_offset), act.min, act.max);
}

/* Same result as ek_requant_double for multiplier >= 0 (always so: QuantizeMultiplier), in
 * fewer instructions: SaturatingRoundingDoublingHighMul is floor((a*m + 2^30) / 2^31) for
 * every sign (its overflow case needs m = INT32_MIN), and RoundingDivideByPOT(t, e) is
 * floor((u + 2^(e-1)) / 2^e) with u = t - (t < 0), computed without overflow. */
static inline int32_t ek_requant_double_fast(int32_t x, int32_t multiplier, int32_t shift)
{
    const int32_t left = shift > 0 ? shift : 0;
    const int32_t right = shift > 0 ? 0 : -shift;
    const int32_t a = (int32_t)((uint32_t)x << left);
    int32_t t = (int32_t)(((int64_t)a * multiplier + (1LL << 30)) >> 31);
    if (right > 0) {
        const int32_t u = t - (t < 0);
        t = (u >> right) + ((u >> (right - 1)) & 1);
    }
    return t;
}

/* SMMULR: (a*b + 2^31) >> 32. */
#if defined(EK_ARM_DSP)
static inline int32_t ek_smmulr(int32_t a, int32_t b)
{
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
#else
static inline int32_t ek_smmulr(int32_t a, int32_t b)
{
    return (int32_t)(((int64_t)a * b + (1LL << 31)) >> 32);
}
#endif

/* ek_requant_double in ~5 instructions, exact ONLY when |x| < 2^30 and shift <= -1 (the host
 * proves both per layer from the weights and bias, else it selects the exact form):
 * SRDHM(x, m) = (2x*m + 2^31) >> 32 = SMMULR(2x, m); RoundingDivideByPOT(t, e) =
 * (t - (t < 0) + 2^(e-1)) >> e without overflow since |t| < 2^30. */
static inline int32_t ek_requant_double_bounded(int32_t x, int32_t multiplier, int32_t e,
                                                int32_t round)
{
    int32_t t = ek_smmulr(x * 2, multiplier);
    t += t >> 31;
    return (t + round) >> e;
}

/* Saturate to int8 (one SSAT on Arm). */
#if defined(EK_ARM_DSP)
#define ek_ssat8(v) __ssat((v), 8)
#else
static inline int32_t ek_ssat8(int32_t v) { return v < -128 ? -128 : (v > 127 ? 127 : v); }
#endif

/* ---- DSP primitives: ACLE on Arm, plain C elsewhere (same results). ---- */

#if defined(EK_ARM_DSP)
/* Two signed bytes 0 and 2 -> two int16 lanes. */
static inline uint32_t ek_sxtb16(uint32_t x) { return __sxtb16(x); }
/* Bytes 1 and 3 -> two int16 lanes (SXTB16 with ROR #8; GCC 12 has no __ror). */
static inline uint32_t ek_sxtb16_ror8(uint32_t x)
{
    uint32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
    return r;
}
static inline int32_t ek_smlad(uint32_t x, uint32_t y, int32_t acc) { return __smlad(x, y, acc); }
/* Low halves of lo and hi -> (lo.l, hi.l); high halves of lo and hi -> (lo.h, hi.h). */
static inline uint32_t ek_pkhbt16(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(lo), "r"(hi));
    return r;
}
static inline uint32_t ek_pkhtb16(uint32_t lo, uint32_t hi)
{
    uint32_t r;
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(hi), "r"(lo));
    return r;
}
static inline int32_t ek_smlabb(uint32_t x, uint32_t y, int32_t acc) { return __smlabb(x, y, acc); }
static inline int32_t ek_smlatt(uint32_t x, uint32_t y, int32_t acc) { return __smlatt(x, y, acc); }
#else
static inline uint32_t ek_sxtb16(uint32_t x)
{
    const uint32_t lo = (uint32_t)(uint16_t)(int16_t)(int8_t)(x & 0xFFu);
    const uint32_t hi = (uint32_t)(uint16_t)(int16_t)(int8_t)((x >> 16) & 0xFFu);
    return lo | (hi << 16);
}
static inline uint32_t ek_sxtb16_ror8(uint32_t x) { return ek_sxtb16((x >> 8) | (x << 24)); }
static inline int32_t ek_smlad(uint32_t x, uint32_t y, int32_t acc)
{
    /* SMLAD wraps modulo 2^32 (sets Q on overflow): do the sum in uint32. */
    const int32_t p0 = (int32_t)(int16_t)(x & 0xFFFFu) * (int32_t)(int16_t)(y & 0xFFFFu);
    const int32_t p1 = (int32_t)(int16_t)(x >> 16) * (int32_t)(int16_t)(y >> 16);
    return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
}
static inline uint32_t ek_pkhbt16(uint32_t lo, uint32_t hi) { return (lo & 0xFFFFu) | (hi << 16); }
static inline uint32_t ek_pkhtb16(uint32_t lo, uint32_t hi) { return (hi & 0xFFFF0000u) | (lo >> 16); }
static inline int32_t ek_smlabb(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(x & 0xFFFFu) *
                                                (int32_t)(int16_t)(y & 0xFFFFu)));
}
static inline int32_t ek_smlatt(uint32_t x, uint32_t y, int32_t acc)
{
    return (int32_t)((uint32_t)acc + (uint32_t)((int32_t)(int16_t)(x >> 16) * (int32_t)(int16_t)(y >> 16)));
}
#endif

/* Unaligned-safe 32-bit load of 4 int8 values (one LDR on Cortex-M4). */
static inline uint32_t ek_read_u32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* A weight row times an int8 vector, int32 accumulator (the LSTM's gates, SVDF's feature
 * matmul: batch-1 FULLY_CONNECTED rows). Arm DSP: four int8 pairs per two SMLADs, the words
 * sign-extended by SXTB16 as in the batch-1 FULLY_CONNECTED kernel. */
static inline int32_t ek_dot_s8(const int8_t *w, const int8_t *x, int32_t n)
{
    int32_t acc = 0;
    int32_t k = 0;
#if defined(EK_ARM_DSP)
    for (; k + 4 <= n; k += 4) {
        const uint32_t wv = ek_read_u32(w + k), xv = ek_read_u32(x + k);
        acc = ek_smlad(ek_sxtb16(wv), ek_sxtb16(xv), acc);
        acc = ek_smlad(ek_sxtb16_ror8(wv), ek_sxtb16_ror8(xv), acc);
    }
#endif
    for (; k < n; ++k) {
        acc += (int32_t)w[k] * (int32_t)x[k];
    }
    return acc;
}

/* Two int16 vectors' dot product in an int32 accumulator that wraps modulo 2^32 as TFLite's
 * (SVDF's time weights x activation state). Arm DSP: one SMLAD per int16 pair. */
static inline int32_t ek_dot_s16_wrap(const int16_t *a, const int16_t *b, int32_t n)
{
    int32_t acc = 0;
    int32_t k = 0;
    for (; k + 2 <= n; k += 2) {
        acc = ek_smlad(ek_read_u32(a + k), ek_read_u32(b + k), acc);
    }
    if (k < n) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)((int32_t)a[k] * (int32_t)b[k]));
    }
    return acc;
}

#endif /* EK_COMMON_H */
