/* float32 fallback kernels: what stays float in a mixed model, as TFLite runs it.
 *
 * Every kernel does the float32 operations of TF's reference kernel in the same order and
 * calls the C library functions TF calls (std::exp on a float is expf, ...), so a build
 * compiled in ISO C99 (no contraction into fused multiply-adds) gives TFLite's bits. On a
 * core with an FPU the board's flags (-mfloat-abi=hard -mfpu=...) make these hardware
 * instructions, elsewhere the compiler's software float. The host computes every shape,
 * stride and clamp (edgekit/kernels/float32.py). */
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

/* ---- element-wise, one input ---- */
typedef enum {
    EK_F32_ABS, EK_F32_NEG, EK_F32_CEIL, EK_F32_FLOOR, EK_F32_ROUND, EK_F32_SIN, EK_F32_COS,
    EK_F32_EXP, EK_F32_LOG, EK_F32_SQRT, EK_F32_RSQRT, EK_F32_SQUARE, EK_F32_TANH,
    EK_F32_LOGISTIC, EK_F32_ELU, EK_F32_HARD_SWISH, EK_F32_LEAKY_RELU, EK_F32_RELU,
    EK_F32_CLAMP /* RELU6, RELU_N1_TO_1, RELU_0_TO_1: the act range alone */
} ek_f32_unary_fn_t;

typedef struct {
    ek_f32_unary_fn_t fn;
    float alpha; /* LEAKY_RELU */
    ek_act_f32_t act;
} ek_f32_unary_params_t;

/* y[i] = fn(x[i]); x may be y (in place). */
void ek_f32_unary(const ek_f32_unary_params_t *p, const float *x, float *y, int32_t n);

/* ---- element-wise, two inputs with numpy broadcasting ---- */
typedef enum {
    EK_F32_ADD, EK_F32_SUB, EK_F32_MUL, EK_F32_DIV, EK_F32_MAXIMUM, EK_F32_MINIMUM,
    EK_F32_SQUARED_DIFFERENCE, EK_F32_FLOOR_DIV, EK_F32_FLOOR_MOD
} ek_f32_binary_fn_t;

typedef struct {
    ek_f32_binary_fn_t fn;
    ek_act_f32_t act;
} ek_f32_binary_params_t;

/* FLOOR_DIV is floor((double)a / b) as TF computes it; where TF stops the invoke on a zero
 * divisor ("Division by 0"), this kernel cannot fail and gives the IEEE quotient's floor. */
void ek_f32_binary(const ek_f32_binary_params_t *p, const ek_bcast3_t *bc, const float *a,
                   const float *b, float *y);

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

#endif /* EK_FLOAT_H */
