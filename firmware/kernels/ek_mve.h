/* MVE (Helium, Cortex-M55/M85) building blocks: EK_ARM_MVE selects them; the build stops
 * when the core has no integer MVE. Requantization of four int32 lanes, bit-exact with
 * ek_requant.h (proofs in edgekit/kernels/mve.py):
 *  - double rounding: VQRDMULH is gemmlowp's SaturatingRoundingDoublingHighMul (both give
 *    floor((a*b + 2^30) / 2^31), saturating the one overflow); RoundingDivideByPOT rounds
 *    ties away from zero, so negative lanes are lowered by one before VRSHL (which rounds
 *    ties up), as TFLite's own MVE code does;
 *  - single rounding, shift <= -1 (t = 31 - shift >= 32): floor((x*m + 2^(t-1)) / 2^t) is
 *    VRMULH for t = 32 and VRSHL(VMULH(x, m), 32 - t) above it (the low word of x*m cannot
 *    carry into the rounded high word). The host only picks it when every shift is <= -1. */
#ifndef EK_MVE_H
#define EK_MVE_H

#include "ek_common.h"

#if defined(EK_ARM_MVE)
#if !defined(__ARM_FEATURE_MVE) || !(__ARM_FEATURE_MVE & 1)
#error "EK_ARM_MVE (kernel variant arm-mve) needs a core with integer MVE: check -mcpu"
#endif
#include <arm_mve.h>

/* Double rounding when every shift is <= 0 (the host proves it): no left shift. */
static inline int32x4_t ek_mve_requant_double_right(int32x4_t x, int32x4_t mult, int32x4_t right)
{
    const int32x4_t h = vqrdmulhq_s32(x, mult);
    const int32x4_t fixup = vshrq_n_s32(vandq_s32(h, right), 31); /* -1: negative, shifted */
    return vrshlq_s32(vqaddq_s32(h, fixup), right);
}

static inline int32x4_t ek_mve_requant_double(int32x4_t x, int32x4_t mult, int32x4_t shift)
{
    const int32x4_t left = vmaxq_s32(shift, vdupq_n_s32(0));
    const int32x4_t right = vminq_s32(shift, vdupq_n_s32(0)); /* <= 0: VRSHL shifts right */
    return ek_mve_requant_double_right(vshlq_s32(x, left), mult, right);
}

/* shift + 1 per lane must be <= 0 (see above). */
static inline int32x4_t ek_mve_requant_single(int32x4_t x, int32x4_t mult, int32x4_t shift)
{
    const int32x4_t down = vaddq_n_s32(shift, 1); /* 32 - t */
    const int32x4_t above = vrshlq_s32(vmulhq_s32(x, mult), down);
    return vpselq_s32(vrmulhq_s32(x, mult), above, vcmpeqq_n_s32(down, 0));
}

/* Requantized lanes plus the output offset, clamped: still int32 lanes. */
static inline int32x4_t ek_mve_requant_s8(int32x4_t acc, int32x4_t mult, int32x4_t shift,
                                          ek_rounding_t rounding, int32_t out_offset, ek_act_t act)
{
    const int32x4_t v = rounding == EK_ROUND_SINGLE ? ek_mve_requant_single(acc, mult, shift)
                                                    : ek_mve_requant_double(acc, mult, shift);
    return vminq_s32(vmaxq_s32(vaddq_n_s32(v, out_offset), vdupq_n_s32(act.min)), vdupq_n_s32(act.max));
}
#endif /* EK_ARM_MVE */

#endif /* EK_MVE_H */
