/* float32 fallback kernels: what stays float in a mixed model, as TFLite runs it.
 *
 * Every kernel does the float32 operations of TF's reference kernel in the same order and
 * calls the C library functions TF calls (std::exp on a float is expf, ...), so a build
 * compiled in ISO C99 (no contraction into fused multiply-adds) gives TFLite's bits. On a
 * core with an FPU the board's flags (-mfloat-abi=hard -mfpu=...) make these hardware
 * instructions, elsewhere the compiler's software float. The host computes every shape,
 * stride and clamp (edgekit/kernels/float32.py).
 *
 * Bit-exact wherever IEEE 754 fixes the result (arithmetic, sqrtf, fmodf, floorf, ceilf): on
 * the host and on every device. sinf, cosf, expf, logf, tanhf and expm1f come from the C
 * library the firmware links: glibc on the host gives TF's bits; the Arm toolchain's newlib
 * differs from glibc by at most 2 units in the last place (tests/kernels/test_qemu_float32.py),
 * which the QUANTIZE after a float island almost always absorbs. */
#ifndef EK_FLOAT_H
#define EK_FLOAT_H

#include <stdint.h>

#include "ek_bcast3.h"
#include "ek_common.h"
#include "ek_reduce.h"

/* The fused activation as TF's float kernels clamp: min(max(x, lo), hi). NONE clamps to
 * +-FLT_MAX (TF's lowest()/max()), so an infinite sum becomes FLT_MAX as in TFLite. */
typedef struct {
    int32_t on; /* 0: no clamp at all (ops without a fused activation) */
    float min, max;
} ek_act_f32_t;

/* ---- element-wise, one input: one function per op, so a build links only the C library
 * functions its model uses (--gc-sections drops the rest) ---- */
typedef struct {
    float alpha;           /* LEAKY_RELU */
    float clamp_lo, clamp_hi; /* RELU6, RELU_N1_TO_1, RELU_0_TO_1 */
} ek_f32_unary_params_t;

/* y[i] = op(x[i]); x may be y (in place). */
#define EK_F32_UNARY_DECL(name) \
    void ek_f32_##name(const ek_f32_unary_params_t *p, const float *x, float *y, int32_t n)
EK_F32_UNARY_DECL(abs);
EK_F32_UNARY_DECL(neg);
EK_F32_UNARY_DECL(ceil);
EK_F32_UNARY_DECL(floor);
EK_F32_UNARY_DECL(round);
EK_F32_UNARY_DECL(sin);
EK_F32_UNARY_DECL(cos);
EK_F32_UNARY_DECL(exp);
EK_F32_UNARY_DECL(log);
EK_F32_UNARY_DECL(sqrt);
EK_F32_UNARY_DECL(rsqrt);
EK_F32_UNARY_DECL(square);
EK_F32_UNARY_DECL(tanh);
EK_F32_UNARY_DECL(logistic);
EK_F32_UNARY_DECL(elu);
EK_F32_UNARY_DECL(hard_swish);
EK_F32_UNARY_DECL(leaky_relu);
EK_F32_UNARY_DECL(relu);
EK_F32_UNARY_DECL(clamp);

/* ---- element-wise, two inputs with numpy broadcasting, fused activation ---- */
/* FLOOR_DIV is floor((double)a / b) as TF computes it; where TF stops the invoke on a zero
 * divisor ("Division by 0"), this kernel cannot fail and gives the IEEE quotient's floor. */
#define EK_F32_BINARY_DECL(name) \
    void ek_f32_##name(const ek_act_f32_t *act, const ek_bcast3_t *bc, const float *a, const float *b, float *y)
EK_F32_BINARY_DECL(add);
EK_F32_BINARY_DECL(sub);
EK_F32_BINARY_DECL(mul);
EK_F32_BINARY_DECL(div);
EK_F32_BINARY_DECL(maximum);
EK_F32_BINARY_DECL(minimum);
EK_F32_BINARY_DECL(squared_difference);
EK_F32_BINARY_DECL(floor_div);
EK_F32_BINARY_DECL(floor_mod);

/* ---- FULLY_CONNECTED: y[r][u] = act(sum_d x[r][d] w[u][d] + bias[u]) ---- */
typedef struct {
    int32_t rows, depth, units;
    const float *weights; /* [units][depth] */
    const float *bias;    /* [units] or NULL */
    ek_act_f32_t act;
} ek_f32_fc_params_t;

void ek_f32_fully_connected(const ek_f32_fc_params_t *p, const float *x, float *y);

/* ---- SOFTMAX over the last axis ---- */
void ek_f32_softmax(const float *x, float *y, int32_t rows, int32_t depth, float beta);

/* ---- MEAN / SUM over any axes, in ek_reduce.h's iteration spaces: for each output
 * element the reduced elements in the input's row-major order, summed from 0.0f, and for
 * MEAN divided by their count as a float (reference_ops::Mean) ---- */
void ek_f32_reduce(const ek_reduce_shape_t *shape, int32_t mean, const float *x, float *y);

/* ---- L2_POOL_2D: sqrt(sum of squares / count) over the window clipped to the input ---- */
typedef struct {
    ek_dims_t input;
    ek_dims_t output;
    int32_t filter_h, filter_w;
    ek_window_t win;
    ek_act_f32_t act;
} ek_f32_pool_params_t;

void ek_f32_l2_pool(const ek_f32_pool_params_t *p, const float *x, float *y);

/* ---- ADD_N: per element, the inputs summed in order from 0.0f (reference_ops::AddN) ---- */
void ek_f32_add_n(const float *const *inputs, int32_t n_inputs, int32_t size, float *y);

/* ---- CUMSUM along one axis, seen as before x depth x after: each line summed from 0.0f
 * in order (from its end when reverse), the sum before (exclusive) or after adding the
 * element written (Eigen's scan behind TFLite's CumSum) ---- */
typedef struct {
    int32_t before;
    int32_t depth;
    int32_t after;
    int32_t exclusive;
    int32_t reverse;
} ek_f32_cumsum_params_t;

void ek_f32_cumsum(const ek_f32_cumsum_params_t *p, const float *x, float *y);

/* ---- UNIDIRECTIONAL_SEQUENCE_RNN (kernel_utils::RnnBatchStep, float): per step and batch
 * row, y = bias; y += W_x x; y += W_h h (each in the order of TF's float
 * MatrixBatchVectorMultiplyAccumulate: see ek_float.c); the activation as tensor_utils
 * applies it; h = y. The hidden state is the op's variable
 * tensor, kept between invokes. ---- */
typedef enum {
    EK_F32_RNN_NONE = 0,
    EK_F32_RNN_RELU = 1,    /* max(0, v) */
    EK_F32_RNN_RELU1 = 2,   /* max(-1, min(v, 1)) */
    EK_F32_RNN_RELU6 = 3,   /* max(0, min(v, 6)) */
    EK_F32_RNN_TANH = 4     /* Eigen's rational tanh, as TF's tensor_utils (ek_float.c) */
} ek_f32_rnn_act_t;

typedef struct {
    int32_t batches, steps, n_input, units;
    int32_t time_major;
    const float *input_weights;     /* [units][n_input] */
    const float *recurrent_weights; /* [units][units] */
    const float *bias;              /* [units] */
    ek_f32_rnn_act_t act;
} ek_f32_rnn_params_t;

void ek_f32_sequence_rnn(const ek_f32_rnn_params_t *p, const float *x, float *hidden, float *y);

#endif /* EK_FLOAT_H */
