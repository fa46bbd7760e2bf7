/* UNIDIRECTIONAL_SEQUENCE_LSTM (int8 x int8 -> int16 cell): see ek_lstm.h. */
#include "ek_lstm.h"

#include <string.h>

#include "ek_norm.h"
#include "ek_requant.h"

/* ---- gemmlowp's int16 fixed-point arithmetic (FixedPoint<int16_t, N>) ---- */

static inline int16_t fx_add(int32_t a, int32_t b) { return (int16_t)(uint16_t)(uint32_t)(a + b); }
static inline int16_t fx_sub(int32_t a, int32_t b) { return (int16_t)(uint16_t)(uint32_t)(a - b); }
static inline int16_t fx_neg(int32_t a) { return (int16_t)(uint16_t)(uint32_t)(-a); }

static inline int16_t fx_sat(int32_t v) { return (int16_t)(v < -32768 ? -32768 : (v > 32767 ? 32767 : v)); }

static inline int16_t fx_mul(int16_t a, int16_t b) /* SaturatingRoundingDoublingHighMul */
{
    if (a == INT16_MIN && b == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

static inline int16_t fx_div_pot(int16_t x, int exponent) /* RoundingDivideByPOT */
{
    const int32_t mask = (1 << exponent) - 1;
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (int16_t)((x >> exponent) + (remainder > threshold ? 1 : 0));
}

static inline int16_t fx_mul_pot(int16_t x, int exponent) /* SaturatingRoundingMultiplyByPOT */
{
    if (exponent < 0) {
        return fx_div_pot(x, -exponent);
    }
    return fx_sat((int32_t)x * (1 << exponent));
}

/* exp(a) for a in [-1/4, 0), Q0.15 in and out. */
static int16_t fx_exp_quarter(int16_t a)
{
    const int16_t constant_term = 28918; /* exp(-1/8) */
    const int16_t one_third = 10923;
    const int16_t x = fx_add(a, 1 << 12);
    const int16_t x2 = fx_mul(x, x);
    const int16_t x3 = fx_mul(x2, x);
    const int16_t x4 = fx_mul(x2, x2);
    const int16_t x4_over_4 = fx_mul_pot(x4, -2);
    const int16_t poly = fx_mul_pot(fx_add(fx_mul(fx_add(x4_over_4, x3), one_third), x2), -1);
    return fx_sat((int32_t)constant_term + fx_mul(constant_term, fx_add(x, poly)));
}

/* exp_on_negative_values: Q(integer_bits) in (a <= 0), Q0.15 out. */
static int16_t fx_exp_negative(int16_t a, int integer_bits)
{
    static const int16_t multipliers[7] = {25520, 19875, 12055, 4435, 600, 11, 0}; /* exp(-2^k), k=-2..4 */
    const int frac = 15 - integer_bits;
    const int32_t one_quarter = 1 << (frac - 2);
    const int16_t a_mod = fx_sub(a & (one_quarter - 1), one_quarter);
    int16_t result = fx_exp_quarter(fx_mul_pot(a_mod, integer_bits));
    const int16_t remainder = fx_sub(a_mod, a);
    for (int k = -2; k <= 4; ++k) {
        if (integer_bits > k && (remainder & (1 << (frac + k))) != 0) {
            result = fx_mul(result, multipliers[k + 2]);
        }
    }
    if (integer_bits > 5 && a < -(1 << (20 - integer_bits))) {
        result = 0;
    }
    return a == 0 ? INT16_MAX : result;
}

/* Newton-Raphson 1 / half_denominator in Q2.13 (one_over_one_plus_x_for_x_in_0_1). */
static int16_t fx_newton(int16_t a)
{
    const int32_t sum = (int32_t)a + INT16_MAX;
    const int16_t half = (int16_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
    int16_t x = fx_add(23130, fx_mul(half, -15420)); /* 48/17 - 32/17 * half */
    for (int i = 0; i < 3; ++i) {
        const int16_t one_minus = fx_sub(1 << 13, fx_mul(half, x));
        x = fx_add(x, fx_mul_pot(fx_mul(x, one_minus), 2));
    }
    return x;
}

static int16_t fx_logistic(int16_t a, int integer_bits)
{
    if (a == 0) {
        return 1 << 14;
    }
    const int positive = a > 0;
    const int16_t abs_a = positive ? a : fx_neg(a);
    const int16_t r = fx_mul_pot(fx_newton(fx_exp_negative(fx_neg(abs_a), integer_bits)), 1);
    return positive ? r : fx_sub(INT16_MAX, r);
}

static int16_t fx_tanh(int16_t a, int integer_bits)
{
    if (a == 0) {
        return 0;
    }
    const int negative = a < 0;
    const int16_t n = negative ? a : fx_neg(a);
    const int16_t t = fx_mul_pot(fx_sub(fx_newton(fx_exp_negative(n, integer_bits + 1)), 1 << 13), 2);
    return negative ? fx_neg(t) : t;
}

/* ---- TFLite Micro's int16 logistic / tanh: a 256-entry table, linear interpolation ---- */

static int16_t lut_logistic(const uint16_t *table, int16_t v)
{
    const int32_t x = (int32_t)v * 3;
    const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
    const uint32_t uh = ax >> 9;
    uint32_t result;
    if (uh >= 255u) {
        result = 0x7FFFu << 10;
    } else {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        result = (ua << 9) + (ax & 0x1FFu) * (ub - ua);
    }
    result = x >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
    return (int16_t)(result >> 10);
}

static int16_t lut_tanh(const uint16_t *table, int16_t v, int32_t multiplier, int32_t shift)
{
    const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
    const int32_t x = ((int32_t)v * multiplier + round) >> shift;
    const uint32_t ax = (uint32_t)(x < 0 ? -x : x);
    const uint32_t uh = ax >> 8;
    int32_t result;
    if (uh >= 255u) {
        result = (int32_t)(0xFFFFu << 8);
    } else {
        const uint32_t ua = table[uh], ub = table[uh + 1];
        result = (int32_t)((ua << 8) + (ax & 0xFFu) * (ub - ua));
    }
    result = x >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(result >> 8);
}

/* TFLite Micro's Tanh(cell_state_scale_power): the input multiplier and shift. */
static void lut_tanh_rescale(int32_t scale_power, int32_t *multiplier, int32_t *shift)
{
    const int32_t left = 15 + scale_power - 3;
    if (left < 0) {
        *multiplier = 3;
        *shift = -left;
    } else {
        *multiplier = 3 << left;
        *shift = 0;
    }
}

/* ---- the cell ---- */

/* The vector the gate rows multiply (this step's input or the previous hidden state). On Arm
 * DSP it is sign-extended once per step, each four int8 values as the two SXTB16 words that
 * SMLAD pairs with a weight word's even and odd bytes, so the rows of all four gates share
 * one widening of it instead of repeating it per row. */
typedef struct {
    const int8_t *values;
    const uint32_t *pairs; /* 2 words per 4 values (Arm DSP only) */
    int32_t n;
} ek_lstm_vector_t;

static ek_lstm_vector_t prepare_vector(const int8_t *values, int32_t n, uint32_t *pairs)
{
    const ek_lstm_vector_t v = {values, pairs, n};
#if defined(EK_ARM_DSP)
    for (int32_t k = 0; k + 4 <= n; k += 4) {
        const uint32_t word = ek_read_u32(values + k);
        *pairs++ = ek_sxtb16(word);
        *pairs++ = ek_sxtb16_ror8(word);
    }
#else
    (void)pairs;
#endif
    return v;
}

/* Two weight rows times the vector, sharing its loads (w1 == w0 for a lone last row). */
static void dot2(const int8_t *w0, const int8_t *w1, const ek_lstm_vector_t *v, int32_t *out0, int32_t *out1)
{
    int32_t s0 = 0, s1 = 0;
    int32_t k = 0;
#if defined(EK_ARM_DSP)
    const uint32_t *pair = v->pairs;
    for (; k + 4 <= v->n; k += 4, pair += 2) {
        const uint32_t u0 = ek_read_u32(w0 + k), u1 = ek_read_u32(w1 + k);
        s0 = ek_smlad(ek_sxtb16(u0), pair[0], s0);
        s0 = ek_smlad(ek_sxtb16_ror8(u0), pair[1], s0);
        s1 = ek_smlad(ek_sxtb16(u1), pair[0], s1);
        s1 = ek_smlad(ek_sxtb16_ror8(u1), pair[1], s1);
    }
#endif
    for (; k < v->n; ++k) {
        s0 += (int32_t)w0[k] * (int32_t)v->values[k];
        s1 += (int32_t)w1[k] * (int32_t)v->values[k];
    }
    *out0 = s0;
    *out1 = s1;
}

/* Pre-activation of one gate in Q3.12 (int16) for one batch row, two cells at a time. */
static void gate_preactivation(const ek_lstm_params_t *p, const ek_lstm_gate_t *g, const ek_lstm_vector_t *x,
                               const ek_lstm_vector_t *h, int16_t *out)
{
    const int tf_form = p->form == EK_LSTM_TF;
    for (int32_t c = 0; c < p->n_cell; c += 2) {
        const int32_t next = c + 1 < p->n_cell ? c + 1 : c;
        int32_t in_dot[2], rec_dot[2];
        dot2(g->in_weights + c * p->n_input, g->in_weights + next * p->n_input, x, &in_dot[0], &in_dot[1]);
        dot2(g->rec_weights + c * p->n_output, g->rec_weights + next * p->n_output, h, &rec_dot[0], &rec_dot[1]);
        for (int32_t j = 0; j < 2 && c + j < p->n_cell; ++j) {
            const int32_t a = ek_requant_double(g->in_bias[c + j] + in_dot[j], g->in_multiplier, g->in_shift);
            const int32_t b = ek_requant_double(g->rec_bias[c + j] + rec_dot[j], g->rec_multiplier, g->rec_shift);
            /* TF accumulates the recurrent part onto the saturated input part; TFLM saturates both. */
            out[c + j] = tf_form ? fx_sat(b + fx_sat(a)) : fx_sat((int32_t)fx_sat(a) + fx_sat(b));
        }
    }
}

/* Peephole: the diagonal cell-to-gate product, requantized and added with saturation (TF's
 * VectorBatchVectorCwiseProductAccumulate). The input and forget gates see the cell state
 * before this step's update, the output gate the updated one. */
static void add_peephole(const ek_lstm_params_t *p, const ek_lstm_gate_t *g, const int16_t *cell, int16_t *out)
{
    if (g->peephole == NULL) {
        return;
    }
    for (int32_t c = 0; c < p->n_cell; ++c) {
        const int32_t product = ek_requant_double((int32_t)g->peephole[c] * cell[c], g->peephole_multiplier,
                                                  g->peephole_shift);
        out[c] = fx_sat(product + out[c]);
    }
}

/* Layer normalisation of one gate's pre-activation in place (TF's ApplyLayerNorm): mean and
 * variance in 2^10 fixed point, 1/stddev as a multiplier, the int16 weights and the gate's
 * own bias, then back to Q3.12. The row is read in full before it is overwritten. */
static void layer_norm(const ek_lstm_params_t *p, const ek_lstm_gate_t *g, int16_t *v)
{
    if (g->layer_norm_weights == NULL) {
        return;
    }
    const int32_t n = p->n_cell;
    int64_t sum = 0, sum_sq = 0;
    for (int32_t c = 0; c < n; ++c) {
        sum += v[c];
        sum_sq += (int32_t)v[c] * v[c];
    }
    const int32_t mean = (int32_t)(sum * 1024 / n);
    /* TF divides 2^20 by n first (exact only for power-of-two n); so does this. */
    const int64_t variance = sum_sq * ((1 << 20) / n) - (int64_t)mean * mean;
    int32_t variance2 = (int32_t)(variance / (1 << 20));
    if (variance2 < 1) {
        variance2 = g->variance_guard;
    }
    int32_t inv_multiplier, inv_shift;
    ek_inv_sqrt_multiplier(variance2, &inv_multiplier, &inv_shift);
    for (int32_t c = 0; c < n; ++c) {
        const int32_t rescaled = ek_requant_double(1024 * v[c] - mean, inv_multiplier, inv_shift);
        /* TF multiplies in 32 bits (unsaturated) before widening: wrap as it does. */
        const int64_t weighted =
            (int64_t)(int32_t)((uint32_t)rescaled * (uint32_t)(int32_t)g->layer_norm_weights[c]) + g->layer_norm_bias[c];
        const int32_t rounded = (int32_t)((weighted > 0 ? weighted + 512 : weighted - 512) / 1024);
        v[c] = fx_sat(ek_requant_double(rounded, g->layer_norm_multiplier, g->layer_norm_shift + 12));
    }
}

/* Projection: int8 hidden (n_cell) times the projection weights into the int8 output (n_output). */
static void project(const ek_lstm_params_t *p, const int8_t *hidden, int8_t *out)
{
    const ek_lstm_projection_t *q = &p->projection;
    for (int32_t o = 0; o < p->n_output; ++o) {
        int32_t v = ek_requant_double(q->bias[o] + ek_dot_s8(q->weights + o * p->n_cell, hidden, p->n_cell),
                                      q->multiplier, q->shift) + q->output_zero_point;
        v = ek_clamp_s8(v, -128, 127);
        if (q->clip > 0) {
            v = v > q->clip ? q->clip : (v < -q->clip ? -q->clip : v);
        }
        out[o] = (int8_t)v;
    }
}

static void activate(const ek_lstm_params_t *p, int16_t *v, int is_tanh)
{
    for (int32_t c = 0; c < p->n_cell; ++c) {
        if (p->form == EK_LSTM_TF) {
            v[c] = is_tanh ? fx_tanh(v[c], 3) : fx_logistic(v[c], 3);
        } else {
            v[c] = is_tanh ? lut_tanh(p->sigmoid_table, v[c], 3, 0) : lut_logistic(p->sigmoid_table, v[c]);
        }
    }
}

static int16_t mul_rq16(int32_t a, int32_t b, int32_t multiplier, int32_t shift)
{
    return fx_sat(ek_requant_double(a * b, multiplier, shift));
}

/* Bytes of int16 gate vectors and the int8 hidden vector, before the word-aligned pairs. */
static int32_t vector_bytes(const ek_lstm_params_t *p)
{
    const int32_t bytes = 5 * p->n_cell * (int32_t)sizeof(int16_t) + (p->projection.weights != NULL ? p->n_cell : 0);
    return (bytes + 3) & ~3;
}

static void lstm_step(const ek_lstm_params_t *p, const int8_t *input, int8_t *h, int16_t *cell, int8_t *out,
                      int16_t *scratch)
{
    const int32_t n = p->n_cell;
    int16_t *gi = scratch, *gf = scratch + n, *gg = scratch + 2 * n, *go = scratch + 3 * n, *tc = scratch + 4 * n;
    uint32_t *pairs = (uint32_t *)(void *)((int8_t *)(void *)scratch + vector_bytes(p)); /* word-aligned */
    const ek_lstm_vector_t xv = prepare_vector(input, p->n_input, pairs);
    const ek_lstm_vector_t hv = prepare_vector(h, p->n_output, pairs + 2 * (p->n_input / 4));
    const ek_lstm_vector_t *x = &xv;
    const int cifg = p->gate[0].in_weights == NULL;
    if (!cifg) {
        gate_preactivation(p, &p->gate[0], x, &hv, gi);
        add_peephole(p, &p->gate[0], cell, gi);
        layer_norm(p, &p->gate[0], gi);
    }
    gate_preactivation(p, &p->gate[1], x, &hv, gf);
    add_peephole(p, &p->gate[1], cell, gf);
    layer_norm(p, &p->gate[1], gf);
    gate_preactivation(p, &p->gate[2], x, &hv, gg);
    layer_norm(p, &p->gate[2], gg);
    gate_preactivation(p, &p->gate[3], x, &hv, go);
    activate(p, gf, 0);
    activate(p, gg, 1);
    if (cifg) {
        for (int32_t c = 0; c < n; ++c) {
            gi[c] = (int16_t)(INT16_MAX - gf[c]); /* TF's Sub1Vector: 1 - forget in Q0.15 */
        }
    } else {
        activate(p, gi, 0);
    }
    int32_t tanh_multiplier = 0, tanh_shift = 0;
    lut_tanh_rescale(p->cell_scale_power, &tanh_multiplier, &tanh_shift);
    for (int32_t c = 0; c < n; ++c) {
        int32_t kept, added;
        if (p->form == EK_LSTM_TF) {
            kept = (int16_t)ek_rounding_divide_by_pot((int32_t)gf[c] * cell[c], 15);
            added = (int16_t)ek_rounding_divide_by_pot((int32_t)gi[c] * gg[c], 30 + p->cell_scale_power);
        } else {
            kept = mul_rq16(gf[c], cell[c], p->fc_multiplier, p->fc_shift);
            added = mul_rq16(gi[c], gg[c], p->ig_multiplier, p->ig_shift);
        }
        int16_t next = fx_sat(kept + added);
        if (p->cell_clip > 0) {
            next = (int16_t)(next > p->cell_clip ? p->cell_clip : (next < -p->cell_clip ? -p->cell_clip : next));
        }
        cell[c] = next;
        tc[c] = p->form == EK_LSTM_TF ? fx_tanh(next, 15 + p->cell_scale_power)
                                      : lut_tanh(p->sigmoid_table, next, tanh_multiplier, tanh_shift);
    }
    add_peephole(p, &p->gate[3], cell, go);
    layer_norm(p, &p->gate[3], go);
    activate(p, go, 0);
    /* Without a projection the hidden vector is the new state; with one, it is projected. */
    int8_t *hidden = p->projection.weights == NULL ? h : (int8_t *)(void *)(scratch + 5 * n);
    for (int32_t c = 0; c < n; ++c) {
        const int32_t v = ek_requant_double((int32_t)go[c] * tc[c], p->hidden_multiplier, p->hidden_shift) +
                          p->hidden_zero_point;
        hidden[c] = ek_clamp_s8(v, -128, 127);
    }
    if (p->projection.weights != NULL) {
        project(p, hidden, h);
    }
    memcpy(out, h, (size_t)p->n_output);
}

int32_t ek_lstm_s8_get_buffer_size(const ek_lstm_params_t *p)
{
    return vector_bytes(p) + 8 * (p->n_input / 4 + p->n_output / 4);
}

void ek_lstm_s8(const ek_lstm_params_t *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                int8_t *output, int8_t *scratch)
{
    int16_t *buffers = (int16_t *)(void *)scratch;
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t t = 0; t < p->steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            lstm_step(p, input + row * p->n_input, hidden + b * p->n_output, cell + b * p->n_cell,
                      output + row * p->n_output, buffers);
        }
    }
}
