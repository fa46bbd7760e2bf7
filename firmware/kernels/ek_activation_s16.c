/* int16 LOGISTIC, TANH and SOFTMAX; see ek_activation_s16.h. */
#include "ek_activation_s16.h"

#include "ek_requant.h"

/* The input on the table's scale: (x * multiplier) >> shift, rounded half up. */
static inline int32_t ek_sigmoid_input(const ek_sigmoid_s16_params_t *p, int16_t x)
{
    const int32_t round = p->input_left_shift > 0 ? (int32_t)1 << (p->input_left_shift - 1) : 0;
    return ((int32_t)x * p->input_multiplier + round) >> p->input_left_shift;
}

/* The table interpolated at |v| with `frac_bits` fractional bits: 0.16 << frac_bits, or
 * `saturated` past the table's end. */
static inline uint32_t ek_sigmoid_interp(const uint16_t *table, uint32_t v, int frac_bits, uint32_t saturated)
{
    const uint32_t uh = v >> frac_bits;
    if (uh >= 255u) {
        return saturated;
    }
    const uint32_t ua = table[uh], ub = table[uh + 1];
    const uint32_t ut = v & ((1u << frac_bits) - 1u);
    return (ua << frac_bits) + ut * (ub - ua);
}

static inline uint32_t ek_abs_u32(int32_t v) { return v < 0 ? (uint32_t)0 - (uint32_t)v : (uint32_t)v; }

void ek_logistic_s16(const ek_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = ek_sigmoid_input(p, input[i]);
        uint32_t r = ek_sigmoid_interp(p->table, ek_abs_u32(v), 9, 0x7FFFu << 10);
        r = v >= 0 ? r + (1u << 9) : (1u << (16 + 9)) - r + (1u << 9) - 1u;
        output[i] = (int16_t)(r >> 10);
    }
}

void ek_tanh_s16(const ek_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t i = 0; i < p->count; ++i) {
        const int32_t v = ek_sigmoid_input(p, input[i]);
        const int32_t r = (int32_t)ek_sigmoid_interp(p->table, ek_abs_u32(v), 8, 0xFFFFu << 8);
        const int32_t s = v >= 0 ? r - (1 << (14 + 9)) + (1 << (9 - 2))
                                 : -r + (1 << (14 + 9)) + (1 << (9 - 2)) - 1;
        output[i] = (int16_t)(s >> (9 - 1));
    }
}

/* common.h LUTLookup: 512 segments indexed by the high 9 bits, the low 7 interpolate. */
static inline int16_t ek_lut_lookup_s16(int16_t value, const int16_t *lut)
{
    const uint16_t index = (uint16_t)(256 + (value >> 7));
    const int16_t offset = (int16_t)(value & 0x7f);
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int32_t delta = ((int32_t)slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

static inline int16_t ek_sat_s16(int32_t v) { return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v)); }

static inline int ek_clz32(uint32_t x)
{
    if (x == 0u) {
        return 32;
    }
    int n = 0;
    while (!(x & 0x80000000u)) {
        x <<= 1;
        ++n;
    }
    return n;
}

void ek_softmax_s16(const ek_softmax_s16_params_t *p, const int16_t *input, int16_t *output)
{
    for (int32_t r = 0; r < p->outer; ++r) {
        const int16_t *x = input + (size_t)r * (size_t)p->depth;
        int16_t *y = output + (size_t)r * (size_t)p->depth;
        int16_t max = INT16_MIN;
        for (int32_t c = 0; c < p->depth; ++c) {
            max = x[c] > max ? x[c] : max;
        }
        int32_t sum = 0; /* Q16.15; the exponentials wait in the output row */
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t scaled = ek_requant_double((int32_t)x[c] - max, p->input_multiplier, p->input_shift);
            y[c] = ek_lut_lookup_s16(ek_sat_s16(scaled + 32767), p->exp_lut);
            sum += y[c];
        }
        const int headroom_plus_one = ek_clz32((uint32_t)sum);
        const int32_t shifted = (int32_t)((((int64_t)sum << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        const int16_t reciprocal = ek_lut_lookup_s16(ek_sat_s16(shifted - ((1 << 15) + (1 << 16))),
                                                     p->one_over_one_plus_x_lut);
        const int right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < p->depth; ++c) {
            const int32_t v = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)(v < 0 ? 0 : (v > 32767 ? 32767 : v));
        }
    }
}
