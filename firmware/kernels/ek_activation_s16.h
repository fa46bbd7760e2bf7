/* int16 LOGISTIC, TANH and SOFTMAX (int16x8 models), as TF's reference kernels
 * (reference_integer_ops::Logistic / Tanh, reference_ops::SoftmaxInt16). The host computes
 * the multipliers and the tables (edgekit/kernels/activation16.py).
 * LOGISTIC/TANH write element i after reading element i only (in place is safe); SOFTMAX
 * keeps a row's exponentials in its output, so its output must not overlap its input. */
#ifndef EK_ACTIVATION_S16_H
#define EK_ACTIVATION_S16_H

#include "ek_common.h"

typedef struct {
    int32_t count;
    int32_t input_multiplier; /* to the table's input scale 1/(3*4096) */
    int32_t input_left_shift; /* a rounding right shift after the multiply */
    const uint16_t *table;    /* sigmoid(i / 24) in 0.16, 256 entries */
} ek_sigmoid_s16_params_t;

void ek_logistic_s16(const ek_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);
void ek_tanh_s16(const ek_sigmoid_s16_params_t *p, const int16_t *input, int16_t *output);

typedef struct {
    int32_t outer, depth;
    int32_t input_multiplier, input_shift; /* (x - max) to [-65535, 0] ~ [-10, 0] */
    const int16_t *exp_lut;                /* 513 entries: exp on [-10, 0] */
    const int16_t *one_over_one_plus_x_lut; /* 513 entries: 1 / (1 + x) on [0, 1] */
} ek_softmax_s16_params_t;

void ek_softmax_s16(const ek_softmax_s16_params_t *p, const int16_t *input, int16_t *output);

#endif /* EK_ACTIVATION_S16_H */
