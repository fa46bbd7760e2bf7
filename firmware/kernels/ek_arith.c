/* int8/int32 DIV, int8 ADD_N and CUMSUM (see ek_arith.h). */
#include "ek_arith.h"

#include "ek_requant.h"

/* Leading sign bits of a 32-bit value, 31 for 0 (TFLite's CountLeadingSignBits). */
static int ek_cls32(int32_t v)
{
    uint32_t u = v < 0 ? ~(uint32_t)v : (uint32_t)v;
    int n = 0;
    while (n < 31 && !(u & 0x40000000u)) {
        u <<= 1;
        ++n;
    }
    return n;
}

static int ek_bit_length(uint32_t v)
{
    int n = 0;
    while (v) {
        v >>= 1;
        ++n;
    }
    return n;
}

/* gemmlowp's RoundingDivideByPOT as TF's x86-64 build computes it, also for the
 * exponents of 32 and more that reference_ops::Div can reach: the mask is then all ones
 * and the shift count is taken mod 32 (the oracle's behaviour; the C++ is undefined). */
static int32_t ek_div_rdbpot(int32_t x, int exponent)
{
    if (exponent < 32) {
        return ek_rounding_divide_by_pot(x, exponent);
    }
    return (x >> (exponent & 31)) + (x >= 0 ? 1 : 0);
}

/* Wrapping int32 addition: TFLite's int32 sums overflow the same way. */
static int32_t ek_add_wrap(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

typedef struct {
    const void *params;
    const void *in1;
    const void *in2;
    void *out;
} ek_arith_ctx_t;

static int8_t ek_div_one(const ek_div_params_t *p, int32_t v1, int32_t v2)
{
    if (v2 == 0) {
        return (int8_t)p->out_offset;
    }
    if (v2 < 0) {
        v1 = -v1;
        v2 = -v2;
    }
    const int recip_shift = ek_bit_length((uint32_t)v2) - 1; /* 31 - clz(v2) */
    const int headroom = ek_cls32(v1);
    const int32_t unscaled =
        ek_sat_rounding_doubling_high_mul((int32_t)((uint32_t)v1 << headroom), p->reciprocal[v2]);
    const int total_shift = p->shift - recip_shift - headroom; /* <= 0: the host checks */
    const int32_t y = ek_div_rdbpot(ek_sat_rounding_doubling_high_mul(unscaled, p->multiplier), -total_shift);
    return ek_clamp_s8(ek_add_wrap(y, p->out_offset), p->act_min, p->act_max);
}

static void ek_div_s8_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                          int32_t out_index)
{
    const ek_arith_ctx_t *c = (const ek_arith_ctx_t *)ctx;
    const ek_div_params_t *p = (const ek_div_params_t *)c->params;
    const int8_t *a = (const int8_t *)c->in1 + offset[0];
    const int8_t *b = (const int8_t *)c->in2 + offset[1];
    int8_t *out = (int8_t *)c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        out[i] = ek_div_one(p, *a + p->in1_offset, *b + p->in2_offset);
        a += step[0];
        b += step[1];
    }
}

void ek_div_s8(const ek_div_params_t *params, const ek_bcast3_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out)
{
    const ek_arith_ctx_t ctx = {params, in1, in2, out};
    ek_walk3(bcast, ek_div_s8_row, &ctx);
}

typedef struct {
    int32_t act_min;
    int32_t act_max;
} ek_range32_t;

static void ek_div_s32_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                           int32_t out_index)
{
    const ek_arith_ctx_t *c = (const ek_arith_ctx_t *)ctx;
    const ek_range32_t *r = (const ek_range32_t *)c->params;
    const int32_t *a = (const int32_t *)c->in1 + offset[0];
    const int32_t *b = (const int32_t *)c->in2 + offset[1];
    int32_t *out = (int32_t *)c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        int32_t q = 0;
        if (*b == -1) {
            q = (int32_t)(0u - (uint32_t)*a); /* INT32_MIN / -1 wraps */
        } else if (*b != 0) {
            q = *a / *b;
        }
        out[i] = q < r->act_min ? r->act_min : (q > r->act_max ? r->act_max : q);
        a += step[0];
        b += step[1];
    }
}

void ek_div_s32(int32_t act_min, int32_t act_max, const ek_bcast3_t *bcast, const void *in1,
                const void *in2, void *out)
{
    const ek_range32_t range = {act_min, act_max};
    const ek_arith_ctx_t ctx = {&range, in1, in2, out};
    ek_walk3(bcast, ek_div_s32_row, &ctx);
}

/* One input value lifted by 2^left_shift and rescaled (AddN / CumSum's scaled_y). */
static int32_t ek_sum_term(const ek_sum_rescale_t *p, int32_t raw)
{
    const int32_t shifted = (raw + p->in_offset) * ((int32_t)1 << p->left_shift);
    return ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(shifted, p->in_multiplier), -p->in_shift);
}

static int8_t ek_sum_output(const ek_sum_rescale_t *p, int32_t acc)
{
    const int32_t y = ek_rounding_divide_by_pot(ek_sat_rounding_doubling_high_mul(acc, p->out_multiplier),
                                                -p->out_shift);
    return ek_clamp_s8(ek_add_wrap(y, p->out_offset), -128, 127);
}

/* TFLite starts both sums from the rescaled input offset, not from 0 ("x = 0" in its
 * comments, but x = input1_offset in its code); edgekit starts where TFLite does. */
static int32_t ek_sum_start(const ek_sum_rescale_t *p)
{
    return ek_sum_term(p, 0);
}

void ek_add_n_s8(const ek_sum_rescale_t *params, const int8_t *const *inputs, int32_t n_inputs,
                 int32_t size, int8_t *out)
{
    const int32_t start = ek_sum_start(params);
    for (int32_t i = 0; i < size; ++i) {
        int32_t acc = start;
        for (int32_t k = 0; k < n_inputs; ++k) {
            acc = ek_add_wrap(acc, ek_sum_term(params, inputs[k][i]));
        }
        out[i] = ek_sum_output(params, acc);
    }
}

void ek_cumsum_s8(const ek_cumsum_params_t *params, const int8_t *in, int8_t *out)
{
    const ek_sum_rescale_t *r = &params->rescale;
    const int32_t start = ek_sum_start(r);
    const int32_t after = params->after, depth = params->depth;
    for (int32_t b = 0; b < params->before; ++b) {
        for (int32_t a = 0; a < after; ++a) {
            int32_t acc = start;
            for (int32_t d = 0; d < depth; ++d) {
                const int32_t dd = params->reverse ? depth - 1 - d : d;
                const int32_t index = (b * depth + dd) * after + a;
                const int32_t term = ek_sum_term(r, in[index]);
                int32_t shown = acc;
                acc = ek_add_wrap(acc, term);
                if (!params->exclusive) {
                    shown = acc;
                }
                out[index] = ek_sum_output(r, shown);
            }
        }
    }
}
