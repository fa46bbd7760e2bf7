/* Element-wise int8 kernels (see ek_elementwise.h). */
#include "ek_elementwise.h"

#include "ek_common.h"
#include "ek_requant.h"

/* One output row of a binary op: n elements, each input advancing by 0 or 1. */
typedef void (*ek_row_fn)(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                          int32_t sb, int8_t *out, int32_t n);
typedef void (*ek_row_s16_fn)(const void *params, const int16_t *a, int32_t sa, const int16_t *b,
                              int32_t sb, int16_t *out, int32_t n);

/* Walk the broadcast iteration space row by row, in output order (T: the element type). */
#define EK_DEFINE_BCAST_WALK(NAME, T, ROW_FN_T)                                                \
    static void NAME(const ek_bcast_t *bc, const T *in1, const T *in2, T *out, ROW_FN_T row,   \
                     const void *params)                                                       \
    {                                                                                          \
        const int32_t last = bc->ndims - 1;                                                    \
        const int32_t n = bc->dims[last];                                                      \
        int32_t index[EK_BCAST_MAX_DIMS] = {0};                                                \
        int32_t rows = 1;                                                                      \
        for (int32_t d = 0; d < last; ++d) {                                                   \
            rows *= bc->dims[d];                                                               \
        }                                                                                      \
        int32_t off1 = 0;                                                                      \
        int32_t off2 = 0;                                                                      \
        for (int32_t r = 0; r < rows; ++r) {                                                   \
            row(params, in1 + off1, bc->stride1[last], in2 + off2, bc->stride2[last], out, n); \
            out += n;                                                                          \
            for (int32_t d = last - 1; d >= 0; --d) {                                          \
                off1 += bc->stride1[d];                                                        \
                off2 += bc->stride2[d];                                                        \
                if (++index[d] < bc->dims[d]) {                                                \
                    break;                                                                     \
                }                                                                              \
                off1 -= bc->stride1[d] * bc->dims[d];                                          \
                off2 -= bc->stride2[d] * bc->dims[d];                                          \
                index[d] = 0;                                                                  \
            }                                                                                  \
        }                                                                                      \
    }

EK_DEFINE_BCAST_WALK(ek_bcast_walk, int8_t, ek_row_fn)
EK_DEFINE_BCAST_WALK(ek_bcast_walk_s16, int16_t, ek_row_s16_fn)

/* --- ADD / SUB ------------------------------------------------------------------------ */

#if defined(EK_ARM_DSP)
/* SaturatingRoundingDoublingHighMul(a, b) == SMMULR(2a, b) whenever 2a fits in int32 and
 * b > 0: both round the 64-bit product at bit 31 with ties going up, which equals
 * gemmlowp's nudge-and-truncate for either sign. ADD's operands stay below 2^29, so the
 * doubling is folded into the input lift and into the sum. RoundingDivideByPOT(x, e)
 * becomes (x + half + (x >> 31 & nz)) >> e with half = 2^(e-1) and nz = -1 for e > 0,
 * and half = nz = 0 for e = 0. e = 0 is common: the input with the larger scale has the
 * real multiplier 1/2 exactly, which QuantizeMultiplier encodes as 2^30 with shift 0. */
/* ek_smmulr: ek_common.h. */
static inline void ek_add_sub_row(const ek_add_params_t *p, const int8_t *a, int32_t sa,
                                  const int8_t *b, int32_t sb, int8_t *out, int32_t n,
                                  int32_t sign)
{
    /* Parameters in locals: int8_t stores may alias *p. */
    const int32_t lift2 = (int32_t)2 << p->left_shift;
    const int32_t off1 = p->in1_offset * lift2, off2 = p->in2_offset * lift2;
    const int32_t m1 = p->in1_multiplier, m2 = p->in2_multiplier, mo = p->out_multiplier;
    const int32_t e1 = -p->in1_shift, e2 = -p->in2_shift, eo = -p->out_shift;
    const int32_t h1 = e1 > 0 ? (int32_t)1 << (e1 - 1) : 0, nz1 = e1 > 0 ? -1 : 0;
    const int32_t h2 = e2 > 0 ? (int32_t)1 << (e2 - 1) : 0, nz2 = e2 > 0 ? -1 : 0;
    const int32_t ho = eo > 0 ? (int32_t)1 << (eo - 1) : 0, nzo = eo > 0 ? -1 : 0;
    const int32_t off_out = p->out_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t r1 = ek_smmulr(*a * lift2 + off1, m1);
        const int32_t r2 = ek_smmulr(*b * lift2 + off2, m2);
        const int32_t s1 = (r1 + h1 + ((r1 >> 31) & nz1)) >> e1;
        const int32_t s2 = (r2 + h2 + ((r2 >> 31) & nz2)) >> e2;
        const int32_t ro = ek_smmulr((s1 + sign * s2) * 2, mo);
        const int32_t y = ((ro + ho + ((ro >> 31) & nzo)) >> eo) + off_out;
        out[i] = ek_clamp_s8(y, lo, hi); /* after reading a[i], b[i] */
        a += sa;
        b += sb;
    }
}
#endif

/* The portable ADD/SUB row for element type T (TFLite's reference arithmetic). */
#define EK_DEFINE_ADD_SUB_ROW(NAME, T, CLAMP)                                                        \
    static inline void NAME(const ek_add_params_t *p, const T *a, int32_t sa, const T *b, int32_t sb, \
                            T *out, int32_t n, int32_t sign)                                         \
    {                                                                                                \
        /* Parameters in locals: the output stores may alias *p. */                                  \
        const int32_t off1 = p->in1_offset, off2 = p->in2_offset, off_out = p->out_offset;           \
        const int32_t m1 = p->in1_multiplier, m2 = p->in2_multiplier, mo = p->out_multiplier;        \
        const int32_t e1 = -p->in1_shift, e2 = -p->in2_shift, eo = -p->out_shift;                    \
        const int32_t lo = p->act_min, hi = p->act_max;                                              \
        const int32_t lift = (int32_t)1 << p->left_shift;                                            \
        for (int32_t i = 0; i < n; ++i) {                                                            \
            const int32_t x1 = (*a + off1) * lift;                                                   \
            const int32_t x2 = (*b + off2) * lift;                                                   \
            const int32_t s1 = ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(x1, m1), e1); \
            const int32_t s2 = ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(x2, m2), e2); \
            const int32_t raw = s1 + sign * s2;                                                      \
            const int32_t y =                                                                        \
                ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(raw, mo), eo) + off_out; \
            out[i] = CLAMP(y, lo, hi); /* after reading a[i], b[i] */                                \
            a += sa;                                                                                 \
            b += sb;                                                                                 \
        }                                                                                            \
    }

#if !defined(EK_ARM_DSP)
EK_DEFINE_ADD_SUB_ROW(ek_add_sub_row, int8_t, ek_clamp_s8)
#endif
EK_DEFINE_ADD_SUB_ROW(ek_add_sub_row_s16, int16_t, ek_clamp_s16)

#if defined(EK_ARM_MVE)
#include "ek_mve.h"

/* Contiguous ADD/SUB, four lanes at a time: the reference arithmetic with VQRDMULH and
 * the rounding shift of ek_mve.h (every shift <= 0 here, as ek_add_params_t says). The
 * tail is a predicated load and store; element i is read before it is written. */
static void ek_mve_add_sub_row(const ek_add_params_t *p, const int8_t *a, const int8_t *b, int8_t *out,
                               int32_t n, int32_t sign)
{
    const int32x4_t m1 = vdupq_n_s32(p->in1_multiplier), m2 = vdupq_n_s32(p->in2_multiplier);
    const int32x4_t mo = vdupq_n_s32(p->out_multiplier);
    const int32x4_t e1 = vdupq_n_s32(p->in1_shift), e2 = vdupq_n_s32(p->in2_shift);
    const int32x4_t eo = vdupq_n_s32(p->out_shift);
    const int32x4_t lo = vdupq_n_s32(p->act_min), hi = vdupq_n_s32(p->act_max);
    const int32_t off1 = p->in1_offset, off2 = p->in2_offset, off_out = p->out_offset;
    const int32_t lift = p->left_shift;
    for (int32_t i = 0; i < n; i += 4) {
        const mve_pred16_t pred = vctp32q((uint32_t)(n - i));
        const int32x4_t x1 = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(a + i, pred), off1), lift);
        const int32x4_t x2 = vshlq_r_s32(vaddq_n_s32(vldrbq_z_s32(b + i, pred), off2), lift);
        const int32x4_t s1 = ek_mve_requant_double_right(x1, m1, e1);
        const int32x4_t s2 = ek_mve_requant_double_right(x2, m2, e2);
        const int32x4_t raw = sign > 0 ? vaddq_s32(s1, s2) : vsubq_s32(s1, s2);
        const int32x4_t y = vaddq_n_s32(ek_mve_requant_double_right(raw, mo, eo), off_out);
        vstrbq_p_s32(out + i, vminq_s32(vmaxq_s32(y, lo), hi), pred);
    }
}
#endif

/* The contiguous case (both strides 1) is inlined separately, with constant strides. */
static void ek_add_row(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    if (sa == 1 && sb == 1) {
#if defined(EK_ARM_MVE)
        ek_mve_add_sub_row((const ek_add_params_t *)params, a, b, out, n, 1);
        return;
#endif
        ek_add_sub_row((const ek_add_params_t *)params, a, 1, b, 1, out, n, 1);
    } else {
        ek_add_sub_row((const ek_add_params_t *)params, a, sa, b, sb, out, n, 1);
    }
}

static void ek_sub_row(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    if (sa == 1 && sb == 1) {
#if defined(EK_ARM_MVE)
        ek_mve_add_sub_row((const ek_add_params_t *)params, a, b, out, n, -1);
        return;
#endif
        ek_add_sub_row((const ek_add_params_t *)params, a, 1, b, 1, out, n, -1);
    } else {
        ek_add_sub_row((const ek_add_params_t *)params, a, sa, b, sb, out, n, -1);
    }
}

void ek_add_s8(const ek_add_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out)
{
    ek_bcast_walk(bcast, in1, in2, out, ek_add_row, params);
}

void ek_sub_s8(const ek_add_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out)
{
    ek_bcast_walk(bcast, in1, in2, out, ek_sub_row, params);
}

/* --- MUL ------------------------------------------------------------------------------- */

/* The portable MUL loop over a, b, out (n elements, strides sa, sb), any element type. */
#define EK_MUL_LOOP(CLAMP)                                                                \
    for (int32_t i = 0; i < n; ++i) {                                                     \
        const int32_t prod = (*a + off1) * (*b + off2);                                   \
        out[i] = CLAMP(ek_requant_double(prod, mult, shift) + off_out, lo, hi);           \
        a += sa;                                                                          \
        b += sb;                                                                          \
    }

static void ek_mul_row(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    const ek_mul_params_t *p = (const ek_mul_params_t *)params;
    const int32_t off1 = p->in1_offset, off2 = p->in2_offset, off_out = p->out_offset;
    const int32_t mult = p->out_multiplier, shift = p->out_shift;
    const int32_t lo = p->act_min, hi = p->act_max;
#if defined(EK_ARM_DSP)
    /* |prod| < 2^16, so with a left shift <= 14 the doubled, shifted product fits in
     * int32 and SMMULR computes SaturatingRoundingDoublingHighMul (see ADD above). */
    if (shift <= 14) {
        const int32_t lift = (int32_t)2 << (shift > 0 ? shift : 0);
        const int32_t e = shift < 0 ? -shift : 0;
        const int32_t half = e > 0 ? (int32_t)1 << (e - 1) : 0;
        const int32_t nz = e > 0 ? -1 : 0;
        for (int32_t i = 0; i < n; ++i) {
            const int32_t r = ek_smmulr((*a + off1) * (*b + off2) * lift, mult);
            out[i] = ek_clamp_s8(((r + half + ((r >> 31) & nz)) >> e) + off_out, lo, hi);
            a += sa;
            b += sb;
        }
        return;
    }
#endif
    EK_MUL_LOOP(ek_clamp_s8);
}

static void ek_mul_row_s16(const void *params, const int16_t *a, int32_t sa, const int16_t *b,
                           int32_t sb, int16_t *out, int32_t n)
{
    const ek_mul_params_t *p = (const ek_mul_params_t *)params;
    const int32_t off1 = p->in1_offset, off2 = p->in2_offset, off_out = p->out_offset;
    const int32_t mult = p->out_multiplier, shift = p->out_shift;
    const int32_t lo = p->act_min, hi = p->act_max;
    EK_MUL_LOOP(ek_clamp_s16);
}

void ek_mul_s8(const ek_mul_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out)
{
    ek_bcast_walk(bcast, in1, in2, out, ek_mul_row, params);
}

/* --- int16 ADD / SUB / MUL: the same rows and walk over int16 elements --------------- */

static void ek_add_row_s16(const void *params, const int16_t *a, int32_t sa, const int16_t *b,
                           int32_t sb, int16_t *out, int32_t n)
{
    ek_add_sub_row_s16((const ek_add_params_t *)params, a, sa, b, sb, out, n, 1);
}

static void ek_sub_row_s16(const void *params, const int16_t *a, int32_t sa, const int16_t *b,
                           int32_t sb, int16_t *out, int32_t n)
{
    ek_add_sub_row_s16((const ek_add_params_t *)params, a, sa, b, sb, out, n, -1);
}

void ek_add_s16(const ek_add_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out)
{
    ek_bcast_walk_s16(bcast, in1, in2, out, ek_add_row_s16, params);
}

void ek_sub_s16(const ek_add_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out)
{
    ek_bcast_walk_s16(bcast, in1, in2, out, ek_sub_row_s16, params);
}

void ek_mul_s16(const ek_mul_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out)
{
    ek_bcast_walk_s16(bcast, in1, in2, out, ek_mul_row_s16, params);
}

/* --- MAXIMUM / MINIMUM ----------------------------------------------------------------- */

static void ek_max_row(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    (void)params;
    for (int32_t i = 0; i < n; ++i) {
        const int8_t x = *a;
        const int8_t y = *b;
        out[i] = x > y ? x : y;
        a += sa;
        b += sb;
    }
}

static void ek_min_row(const void *params, const int8_t *a, int32_t sa, const int8_t *b,
                       int32_t sb, int8_t *out, int32_t n)
{
    (void)params;
    for (int32_t i = 0; i < n; ++i) {
        const int8_t x = *a;
        const int8_t y = *b;
        out[i] = x < y ? x : y;
        a += sa;
        b += sb;
    }
}

void ek_maximum_s8(const ek_bcast_t *bcast, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    ek_bcast_walk(bcast, in1, in2, out, ek_max_row, 0);
}

void ek_minimum_s8(const ek_bcast_t *bcast, const int8_t *in1, const int8_t *in2, int8_t *out)
{
    ek_bcast_walk(bcast, in1, in2, out, ek_min_row, 0);
}

/* --- lookup table, QUANTIZE, DEQUANTIZE ------------------------------------------------ */

void ek_lut_s8(const int8_t *in, int8_t *out, int32_t size, const int8_t *lut)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = lut[(uint8_t)in[i]];
    }
}

/* QUANTIZE float -> T and DEQUANTIZE T -> float, for T int8 and int16 (BOUND clamps the
 * quotient first: above the type's range, exact in float, and keeps the conversion defined). */
#define EK_DEFINE_QUANTIZE_F32(NAME, T, BOUND, LO, HI)                                         \
    void NAME(const float *in, T *out, int32_t size, float scale, int32_t zero_point)          \
    {                                                                                          \
        for (int32_t i = 0; i < size; ++i) {                                                   \
            /* TFLite: (int32_t)roundf(x / scale) + zero_point, clamped. NaN -> zero_point;  \
             * rounded half away from zero without libm: q - trunc(q) is exact below 2^23. */ \
            float q = in[i] / scale;                                                           \
            q = q > (BOUND) ? (BOUND) : (q < -(BOUND) ? -(BOUND) : q);                         \
            int32_t r = q == q ? (int32_t)q : 0;                                               \
            const float frac = q - (float)r;                                                   \
            r += frac >= 0.5f ? 1 : (frac <= -0.5f ? -1 : 0);                                  \
            r += zero_point;                                                                   \
            out[i] = (T)(r < (LO) ? (LO) : (r > (HI) ? (HI) : r));                             \
        }                                                                                      \
    }

/* The float product of a float and an integer of at most 17 bits is the correctly rounded
 * exact product, just as TFLite's double product rounded to float. */
#define EK_DEFINE_DEQUANTIZE_F32(NAME, T)                                                      \
    void NAME(const T *in, float *out, int32_t size, float scale, int32_t zero_point)          \
    {                                                                                          \
        for (int32_t i = 0; i < size; ++i) {                                                   \
            out[i] = (float)(in[i] - zero_point) * scale;                                      \
        }                                                                                      \
    }

EK_DEFINE_QUANTIZE_F32(ek_quantize_f32_s8, int8_t, 512.0f, -128, 127)
EK_DEFINE_QUANTIZE_F32(ek_quantize_f32_s16, int16_t, 131072.0f, INT16_MIN, INT16_MAX)
EK_DEFINE_DEQUANTIZE_F32(ek_dequantize_s8_f32, int8_t)
EK_DEFINE_DEQUANTIZE_F32(ek_dequantize_s16_f32, int16_t)
