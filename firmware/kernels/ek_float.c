/* float32 fallback kernels (see ek_float.h): TF's float reference kernels, operation for
 * operation. std::max(a, b) is (a < b) ? b : a and std::min(a, b) is (b < a) ? b : a;
 * ek_f32_max / ek_f32_min keep that order, so the results agree for every input. */
#include "ek_float.h"

#include <math.h>

static inline float ek_f32_max(float a, float b)
{
    return (a < b) ? b : a;
}

static inline float ek_f32_min(float a, float b)
{
    return (b < a) ? b : a;
}

/* ActivationFunctionWithMinMax: min(max(x, lo), hi). */
static inline float ek_f32_act(const ek_act_f32_t *act, float x)
{
    return act->on ? ek_f32_min(ek_f32_max(x, act->min), act->max) : x;
}

/* RoundToNearest of TF's round.h: halves go to the even neighbour. */
static inline float ek_f32_round_even(float x)
{
    const float floor_val = floorf(x);
    const float diff = x - floor_val;
    if (diff < 0.5f || (diff == 0.5f && (int32_t)floor_val % 2 == 0)) {
        return floor_val;
    }
    return floor_val + 1.0f;
}

static inline float ek_f32_logistic_one(float x)
{
    /* reference_ops::Logistic: its cutoffs, then exp. */
    if (x > 16.619047164916992188f) {
        return 1.0f;
    }
    if (x < -9.0f) {
        return expf(x);
    }
    return 1.0f / (1.0f + expf(-x));
}

/* One loop per op: the expression of `x` (and p) inlined into it. */
#define EK_F32_UNARY(name, expr) \
    EK_F32_UNARY_DECL(name) \
    { \
        (void)p; \
        for (int32_t i = 0; i < n; ++i) { \
            const float v = x[i]; \
            y[i] = (expr); \
        } \
    }

EK_F32_UNARY(abs, fabsf(v))
EK_F32_UNARY(neg, -v)
EK_F32_UNARY(ceil, ceilf(v))
EK_F32_UNARY(floor, floorf(v))
EK_F32_UNARY(round, ek_f32_round_even(v))
EK_F32_UNARY(sin, sinf(v))
EK_F32_UNARY(cos, cosf(v))
EK_F32_UNARY(exp, expf(v))
EK_F32_UNARY(log, logf(v))
EK_F32_UNARY(sqrt, sqrtf(v))
EK_F32_UNARY(rsqrt, 1.0f / sqrtf(v))
EK_F32_UNARY(square, v * v)
EK_F32_UNARY(tanh, tanhf(v))
EK_F32_UNARY(logistic, ek_f32_logistic_one(v))
EK_F32_UNARY(elu, v < 0.0f ? expm1f(v) : v)
EK_F32_UNARY(hard_swish, v * ek_f32_min(6.0f, ek_f32_max(0.0f, v + 3.0f)) / 6.0f)
EK_F32_UNARY(leaky_relu, v > 0.0f ? v : v * p->alpha)
EK_F32_UNARY(relu, ek_f32_max(0.0f, v))
EK_F32_UNARY(clamp, ek_f32_min(ek_f32_max(p->clamp_lo, v), p->clamp_hi))

/* ---- binary ---- */

static inline float ek_f32_floor_mod_one(float a, float b)
{
    const float mod = fmodf(a, b);
    return (mod != 0.0f && ((b < 0.0f) != (mod < 0.0f))) ? mod + b : mod;
}

static inline float ek_f32_squared_difference_one(float a, float b)
{
    const float d = a - b;
    return d * d;
}

typedef struct {
    const ek_act_f32_t *act;
    const float *a;
    const float *b;
    float *y;
} ek_f32_binary_ctx_t;

/* The row function of one op over the broadcast walk, and its entry point. */
#define EK_F32_BINARY(name, expr) \
    static void ek_f32_##name##_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n, \
                                   int32_t out_index) \
    { \
        const ek_f32_binary_ctx_t *c = (const ek_f32_binary_ctx_t *)ctx; \
        const float *pa = c->a + offset[0]; \
        const float *pb = c->b + offset[1]; \
        float *out = c->y + out_index; \
        for (int32_t i = 0; i < n; ++i) { \
            const float a = pa[i * step[0]], b = pb[i * step[1]]; \
            out[i] = ek_f32_act(c->act, (expr)); \
        } \
    } \
    EK_F32_BINARY_DECL(name) \
    { \
        const ek_f32_binary_ctx_t ctx = {act, a, b, y}; \
        ek_walk3(bc, ek_f32_##name##_row, &ctx); \
    }

EK_F32_BINARY(add, a + b)
EK_F32_BINARY(sub, a - b)
EK_F32_BINARY(mul, a * b)
EK_F32_BINARY(div, a / b)
EK_F32_BINARY(maximum, a > b ? a : b)
EK_F32_BINARY(minimum, a < b ? a : b)
EK_F32_BINARY(squared_difference, ek_f32_squared_difference_one(a, b))
EK_F32_BINARY(floor_div, (float)floor((double)a / (double)b))
EK_F32_BINARY(floor_mod, ek_f32_floor_mod_one(a, b))

/* ---- FULLY_CONNECTED (reference_ops::FullyConnected, float) ---- */

void ek_f32_fully_connected(const ek_f32_fc_params_t *p, const float *x, float *y)
{
    for (int32_t r = 0; r < p->rows; ++r) {
        const float *row = x + r * p->depth;
        for (int32_t u = 0; u < p->units; ++u) {
            const float *w = p->weights + u * p->depth;
            float total = 0.0f;
            for (int32_t d = 0; d < p->depth; ++d) {
                total += row[d] * w[d];
            }
            const float bias = p->bias != NULL ? p->bias[u] : 0.0f;
            y[r * p->units + u] = ek_f32_act(&p->act, total + bias);
        }
    }
}

/* ---- UNIDIRECTIONAL_SEQUENCE_RNN ---- */

/* result += w . x as tensor_utils::MatrixBatchVectorMultiplyAccumulate computes it in TF's
 * builds (the NEON kernel, through NEON_2_SSE on x86): four lanes over the multiples of 4,
 * each a multiply then an add, the lanes summed in order and added to the result, then the
 * remaining products added to the result one by one. */
static float ek_f32_mac_rows(float result, const float *w, const float *x, int32_t n)
{
    float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    const int32_t quads = n - n % 4;
    int32_t k = 0;
    for (; k < quads; k += 4) {
        for (int32_t j = 0; j < 4; ++j) {
            lane[j] += w[k + j] * x[k + j];
        }
    }
    result += lane[0] + lane[1] + lane[2] + lane[3];
    for (; k < n; ++k) {
        result += w[k] * x[k];
    }
    return result;
}

/* tanh as Eigen's array().tanh() computes it in TF's float RNN (tensor_utils::
 * ApplyTanhToVector; EIGEN_FAST_MATH, built without FMA): the input clamped to
 * +-7.90738964f, where the approximation is exactly +-1, then the [9/8] rational
 * approximation x (1 + x^2 P(x^2)) / Q(x^2), each multiply-add rounded twice. */
static float ek_f32_rational_tanh(float v)
{
    static const float num[4] = {1.394553628e-8f, 2.102733560e-5f, 3.520756727e-3f, 1.340216100e-1f};
    static const float den[5] = {8.015776984e-7f, 3.326951409e-4f, 2.597254514e-2f, 4.673548340e-1f, 1.0f};
    const float c = 7.90738964080810547f;
    const float x = ek_f32_max(ek_f32_min(v, c), -c);
    const float x2 = x * x;
    const float x3 = x2 * x;
    float p = num[0];
    for (int32_t k = 1; k < 4; ++k) {
        p = p * x2 + num[k];
    }
    float q = den[0];
    for (int32_t k = 1; k < 5; ++k) {
        q = q * x2 + den[k];
    }
    return (x3 * p + x) / q;
}

static float ek_f32_rnn_act(ek_f32_rnn_act_t act, float v)
{
    switch (act) {
    case EK_F32_RNN_RELU:
        return ek_f32_max(0.0f, v);
    case EK_F32_RNN_RELU1:
        return ek_f32_max(-1.0f, ek_f32_min(v, 1.0f));
    case EK_F32_RNN_RELU6:
        return ek_f32_max(0.0f, ek_f32_min(v, 6.0f));
    case EK_F32_RNN_TANH:
        return ek_f32_rational_tanh(v);
    case EK_F32_RNN_NONE:
    default:
        return v;
    }
}

void ek_f32_sequence_rnn(const ek_f32_rnn_params_t *p, const float *x, float *hidden, float *y)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        float *h = hidden + b * p->units;
        for (int32_t t = 0; t < p->steps; ++t) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            const float *in = x + row * p->n_input;
            float *out = y + row * p->units;
            for (int32_t u = 0; u < p->units; ++u) {
                const float v = ek_f32_mac_rows(p->bias[u], p->input_weights + u * p->n_input, in, p->n_input);
                out[u] = ek_f32_mac_rows(v, p->recurrent_weights + u * p->units, h, p->units);
            }
            for (int32_t u = 0; u < p->units; ++u) {
                out[u] = ek_f32_rnn_act(p->act, out[u]);
                h[u] = out[u];
            }
        }
    }
}

/* ---- SOFTMAX (reference_ops::Softmax, float) ---- */

void ek_f32_softmax(const float *x, float *y, int32_t rows, int32_t depth, float beta)
{
    for (int32_t r = 0; r < rows; ++r) {
        const float *in = x + r * depth;
        float *out = y + r * depth;
        float max = -3.40282347e+38f; /* numeric_limits<float>::lowest() */
        for (int32_t c = 0; c < depth; ++c) {
            max = ek_f32_max(max, in[c]);
        }
        float sum = 0.0f;
        for (int32_t c = 0; c < depth; ++c) {
            const float e = expf((in[c] - max) * beta);
            out[c] = e;
            sum += e;
        }
        for (int32_t c = 0; c < depth; ++c) {
            out[c] = out[c] / sum;
        }
    }
}

/* ---- MEAN / SUM ---- */

/* Advance an odometer over `dims` (last fastest), keeping `offset` = sum index * stride. */
static void ek_f32_odometer(int32_t *index, const int32_t *dims, const int32_t *stride, int32_t ndims,
                            int32_t *offset)
{
    for (int32_t d = ndims - 1; d >= 0; --d) {
        *offset += stride[d];
        if (++index[d] < dims[d]) {
            return;
        }
        *offset -= stride[d] * dims[d];
        index[d] = 0;
    }
}

static int32_t ek_f32_count(const int32_t *dims, int32_t ndims)
{
    int32_t n = 1;
    for (int32_t d = 0; d < ndims; ++d) {
        n *= dims[d];
    }
    return n;
}

void ek_f32_reduce(const ek_reduce_shape_t *shape, int32_t mean, const float *x, float *y)
{
    const int32_t outputs = ek_f32_count(shape->keep_dims, shape->nkeep);
    const int32_t reduced = ek_f32_count(shape->red_dims, shape->nred);
    int32_t keep_index[EK_REDUCE_MAX_DIMS] = {0};
    int32_t base = 0;
    for (int32_t o = 0; o < outputs; ++o) {
        int32_t red_index[EK_REDUCE_MAX_DIMS] = {0};
        int32_t offset = 0;
        float sum = 0.0f;
        for (int32_t r = 0; r < reduced; ++r) {
            sum += x[base + offset];
            ek_f32_odometer(red_index, shape->red_dims, shape->red_strides, shape->nred, &offset);
        }
        y[o] = mean ? sum / (float)reduced : sum;
        ek_f32_odometer(keep_index, shape->keep_dims, shape->keep_strides, shape->nkeep, &base);
    }
}

/* ---- L2_POOL_2D (reference_ops::L2Pool) ---- */

void ek_f32_l2_pool(const ek_f32_pool_params_t *p, const float *x, float *y)
{
    const ek_dims_t in = p->input, out = p->output;
    for (int32_t b = 0; b < out.n; ++b) {
        for (int32_t oy = 0; oy < out.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            const int32_t fy0 = y0 < 0 ? -y0 : 0;
            const int32_t fy1 = p->filter_h < in.h - y0 ? p->filter_h : in.h - y0;
            for (int32_t ox = 0; ox < out.w; ++ox) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                const int32_t fx0 = x0 < 0 ? -x0 : 0;
                const int32_t fx1 = p->filter_w < in.w - x0 ? p->filter_w : in.w - x0;
                for (int32_t c = 0; c < out.c; ++c) {
                    float sum_squares = 0.0f;
                    int32_t count = 0;
                    for (int32_t fy = fy0; fy < fy1; ++fy) {
                        for (int32_t fx = fx0; fx < fx1; ++fx) {
                            const float v = x[((b * in.h + y0 + fy) * in.w + x0 + fx) * in.c + c];
                            sum_squares += v * v;
                            ++count;
                        }
                    }
                    const float result = sqrtf(sum_squares / (float)count);
                    y[((b * out.h + oy) * out.w + ox) * out.c + c] = ek_f32_act(&p->act, result);
                }
            }
        }
    }
}

/* ---- ADD_N / CUMSUM ---- */

void ek_f32_add_n(const float *const *inputs, int32_t n_inputs, int32_t size, float *y)
{
    for (int32_t i = 0; i < size; ++i) {
        float sum = 0.0f;
        for (int32_t k = 0; k < n_inputs; ++k) {
            sum += inputs[k][i];
        }
        y[i] = sum;
    }
}

void ek_f32_cumsum(const ek_f32_cumsum_params_t *p, const float *x, float *y)
{
    const int32_t after = p->after, depth = p->depth;
    for (int32_t b = 0; b < p->before; ++b) {
        for (int32_t a = 0; a < after; ++a) {
            float sum = 0.0f;
            for (int32_t d = 0; d < depth; ++d) {
                const int32_t index = (b * depth + (p->reverse ? depth - 1 - d : d)) * after + a;
                const float v = x[index];
                if (p->exclusive) {
                    y[index] = sum;
                    sum += v;
                } else {
                    sum += v;
                    y[index] = sum;
                }
            }
        }
    }
}
