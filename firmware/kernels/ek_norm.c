/* int8 L2_NORMALIZATION and LOG_SOFTMAX (see ek_norm.h). gemmlowp FixedPoint values are
 * raw int32 here; the comments give their integer bits (Qn). */
#include "ek_norm.h"

#include "ek_requant.h"

static int32_t ek_srdhm(int32_t a, int32_t b)
{
    return ek_sat_rounding_doubling_high_mul(a, b);
}

static int32_t ek_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : (int32_t)v);
}

static int32_t ek_wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

static int32_t ek_wrap_sub(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a - (uint32_t)b);
}

/* SaturatingRoundingMultiplyByPOT(Param): x * 2^e, saturated; rounded for e < 0. */
static int32_t ek_mul_pot(int32_t x, int e)
{
    if (e > 0) {
        return ek_sat32((int64_t)x * ((int64_t)1 << e));
    }
    return e < 0 ? ek_rounding_divide_by_pot(x, -e) : x;
}

static int ek_clz32(uint32_t v)
{
    int n = 0;
    if (v == 0) {
        return 32;
    }
    while (!(v & 0x80000000u)) {
        v <<= 1;
        ++n;
    }
    return n;
}

void ek_inv_sqrt_multiplier(int32_t input, int32_t *multiplier, int32_t *shift)
{
    if (input <= 1) {
        *multiplier = INT32_MAX;
        *shift = 0;
        return;
    }
    int32_t s = 11;
    while (input >= ((int32_t)1 << 29)) {
        input /= 4;
        ++s;
    }
    const int pairs = (ek_clz32((uint32_t)input) - 1) / 2 - 1;
    s -= pairs;
    input <<= 2 * pairs;
    const int32_t half_input = ek_mul_pot(input >> 1, -1); /* Q3 */
    const int32_t half_three = ((int32_t)1 << 28) + ((int32_t)1 << 27);
    int32_t x = (int32_t)1 << 28; /* Q3 one */
    for (int i = 0; i < 5; ++i) {
        const int32_t x3 = ek_mul_pot(ek_srdhm(ek_srdhm(x, x), x), 6);
        x = ek_mul_pot(ek_wrap_sub(ek_srdhm(half_three, x), ek_srdhm(half_input, x3)), 3);
    }
    x = ek_srdhm(x, 1518500250); /* * sqrt(2) / 2 */
    if (s < 0) {
        x = (int32_t)((uint32_t)x << -s);
        s = 0;
    }
    *multiplier = x;
    *shift = -s;
}

void ek_l2norm_s8(int32_t outer, int32_t depth, int32_t in_zero_point, const int8_t *in, int8_t *out)
{
    for (int32_t r = 0; r < outer; ++r) {
        const int8_t *x = in + r * depth;
        int32_t acc = 0;
        for (int32_t i = 0; i < depth; ++i) {
            const int32_t v = x[i] - in_zero_point;
            acc = ek_wrap_add(acc, v * v);
        }
        int32_t m, s;
        ek_inv_sqrt_multiplier(acc, &m, &s);
        int8_t *y = out + r * depth;
        for (int32_t i = 0; i < depth; ++i) {
            y[i] = ek_clamp_s8(ek_requant_double(x[i] - in_zero_point, m, s + 7), -128, 127);
        }
    }
}

/* gemmlowp RoundingHalfSum. */
static int32_t ek_half_sum(int32_t a, int32_t b)
{
    const int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* one_over_one_plus_x_for_x_in_0_1 (Q0 in and out). */
static int32_t ek_one_over_one_plus_x(int32_t a)
{
    const int32_t half_den = ek_half_sum(a, INT32_MAX);            /* Q0 */
    int32_t x = ek_wrap_add(1515870810, ek_srdhm(half_den, -1010580540)); /* Q2: 48/17 - 32/17 d */
    for (int i = 0; i < 3; ++i) {
        const int32_t one_minus = ek_wrap_sub((int32_t)1 << 29, ek_srdhm(half_den, x)); /* Q2 */
        x = ek_wrap_add(x, ek_mul_pot(ek_srdhm(x, one_minus), 2));
    }
    return ek_mul_pot(x, 1);
}

/* log_x_for_x_greater_than_or_equal_to_1<5>(x in Q12): log(x) in Q5. */
static int32_t ek_log_q12_to_q5(int32_t z_a)
{
    const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
    const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
    const int32_t shifted_quarter = ek_mul_pot(536870912, -6); /* 1/4 in Q6 */
    const int a_headroom_plus_1 = ek_clz32((uint32_t)z_a);
    const int32_t r_a_tmp = ek_mul_pot(z_a, a_headroom_plus_1 - 1);
    const int32_t r_a = ek_mul_pot(ek_srdhm(r_a_tmp, sqrt_half), 1);
    const int32_t z_a_pow_2_adj =
        ek_sat32((int64_t)ek_mul_pot(12 - a_headroom_plus_1, 31 - 6) + shifted_quarter);
    const int32_t z_b = ek_srdhm(z_a, sqrt_half);
    const int b_headroom = ek_clz32((uint32_t)z_b) - 1;
    const int32_t r_b = ek_mul_pot(z_a, b_headroom);
    const int32_t z_b_pow_2_adj =
        ek_sat32((int64_t)ek_mul_pot(12 - b_headroom, 31 - 6) - shifted_quarter);
    const int32_t r = r_a < r_b ? r_a : r_b;
    const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj; /* Q6 */
    const int32_t p = ek_half_sum(r, sqrt_sqrt_half);
    int32_t q = ek_wrap_sub(r, sqrt_sqrt_half);
    q = ek_wrap_add(q, q);
    const int32_t common_sq = ek_srdhm(q, q);
    const int32_t num = ek_wrap_add(ek_srdhm(q, r), ek_srdhm(ek_srdhm(q, common_sq), alpha_n));
    const int32_t inner = ek_wrap_add(ek_wrap_add(alpha_i, q), ek_srdhm(alpha_d, common_sq));
    const int32_t denom_minus_one = ek_wrap_add(ek_srdhm(p, inner), ek_srdhm(alpha_f, q));
    const int32_t recip_denom = ek_one_over_one_plus_x(denom_minus_one);
    const int32_t num_scaled = ek_mul_pot(num, -6); /* Q6 */
    const int32_t sum = ek_wrap_add(ek_srdhm(z_pow_2_adj, log_2), ek_srdhm(num_scaled, recip_denom));
    return ek_mul_pot(sum, 1); /* Q6 -> Q5 */
}

void ek_log_softmax_s8(const ek_log_softmax_params_t *p, const int8_t *in, int8_t *out)
{
    const int32_t depth = p->depth;
    for (int32_t r = 0; r < p->outer; ++r) {
        const int8_t *x = in + r * depth;
        int32_t max_in_row = -128;
        for (int32_t i = 0; i < depth; ++i) {
            max_in_row = x[i] > max_in_row ? x[i] : max_in_row;
        }
        int32_t sum_q12 = 0;
        for (int32_t i = 0; i < depth; ++i) {
            sum_q12 = ek_wrap_add(sum_q12, p->exp_q12[max_in_row - x[i]]);
        }
        const int32_t log_sum_q5 = ek_log_q12_to_q5(sum_q12);
        const int32_t scaled_min = ek_requant_double(ek_wrap_add(log_sum_q5, INT32_MIN), p->reverse_multiplier,
                                                     p->reverse_shift);
        const int32_t adjusted_diff_min = p->diff_min - 1 > scaled_min ? p->diff_min - 1 : scaled_min;
        int8_t *y = out + r * depth;
        for (int32_t i = 0; i < depth; ++i) {
            const int32_t diff = x[i] - max_in_row;
            if (diff > adjusted_diff_min) {
                const int32_t diff_q5 = ek_requant_double(diff, p->input_multiplier, p->input_left_shift);
                const int32_t v = ek_rounding_divide_by_pot(ek_wrap_sub(diff_q5, log_sum_q5), 31 - 5 - 4) + 127;
                y[i] = ek_clamp_s8(v, -128, 127);
            } else {
                y[i] = -128;
            }
        }
    }
}
