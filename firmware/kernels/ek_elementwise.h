/* Element-wise int8 kernels: binary ops with broadcasting (ADD, SUB, MUL, MAXIMUM,
 * MINIMUM), single-input ops as a 256-entry lookup table (RELU, RELU6, LEAKY_RELU,
 * HARD_SWISH, LOGISTIC, TANH, int8 QUANTIZE), and float32 <-> int8 QUANTIZE/DEQUANTIZE.
 *
 * Semantics are TFLite's reference kernels; every constant (multipliers, shifts,
 * tables, broadcast strides) comes from the host (edgekit/kernels/elementwise.py and
 * activation.py). All int8 -> int8 kernels and float QUANTIZE work in place (out == in1
 * or out == in2 when that input has the output's shape): element i is read before
 * element i is written, front to back. DEQUANTIZE (4x wider output) does not.
 */
#ifndef EK_ELEMENTWISE_H
#define EK_ELEMENTWISE_H

#include <stdint.h>

#define EK_BCAST_MAX_DIMS 6

/* Output iteration space of a binary op after the host merged what it could: dims
 * outermost first, per-input element strides (0 on a broadcast dimension). */
typedef struct {
    int32_t ndims; /* 1..EK_BCAST_MAX_DIMS */
    int32_t dims[EK_BCAST_MAX_DIMS];
    int32_t stride1[EK_BCAST_MAX_DIMS];
    int32_t stride2[EK_BCAST_MAX_DIMS];
} ek_bcast_t;

/* ADD / SUB (add.cc, sub.cc): inputs shifted left by left_shift, rescaled to twice the
 * larger input scale, summed, rescaled to the output. Every shift is <= 0. */
typedef struct {
    int32_t in1_offset; /* -zero point */
    int32_t in1_multiplier;
    int32_t in1_shift;
    int32_t in2_offset;
    int32_t in2_multiplier;
    int32_t in2_shift;
    int32_t left_shift;
    int32_t out_offset; /* +zero point */
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t act_min;
    int32_t act_max;
} ek_add_params_t;

/* MUL (mul.cc): (x1 + in1_offset) * (x2 + in2_offset) rescaled to the output. */
typedef struct {
    int32_t in1_offset;
    int32_t in2_offset;
    int32_t out_offset;
    int32_t out_multiplier;
    int32_t out_shift;
    int32_t act_min;
    int32_t act_max;
} ek_mul_params_t;

void ek_add_s8(const ek_add_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out);
void ek_sub_s8(const ek_add_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out);
void ek_mul_s8(const ek_mul_params_t *params, const ek_bcast_t *bcast, const int8_t *in1,
               const int8_t *in2, int8_t *out);

/* int16 forms (int16x8 models: zero points 0, left_shift 15 for ADD/SUB). */
void ek_add_s16(const ek_add_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out);
void ek_sub_s16(const ek_add_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out);
void ek_mul_s16(const ek_mul_params_t *params, const ek_bcast_t *bcast, const int16_t *in1,
                const int16_t *in2, int16_t *out);
/* MAXIMUM / MINIMUM compare the raw int8 values (TFLite does not requantize). */
void ek_maximum_s8(const ek_bcast_t *bcast, const int8_t *in1, const int8_t *in2, int8_t *out);
void ek_minimum_s8(const ek_bcast_t *bcast, const int8_t *in1, const int8_t *in2, int8_t *out);

/* out[i] = lut[(uint8_t)in[i]] */
void ek_lut_s8(const int8_t *in, int8_t *out, int32_t size, const int8_t *lut);

/* float32 -> int8: round(x / scale) + zero_point, saturated (AffineQuantize). In place is
 * allowed: output byte i never lies past input float i. */
void ek_quantize_f32_s8(const float *in, int8_t *out, int32_t size, float scale,
                        int32_t zero_point);
/* int8 -> float32: (x - zero_point) * scale, exactly TFLite's float(double(scale) * v). */
void ek_dequantize_s8_f32(const int8_t *in, float *out, int32_t size, float scale,
                          int32_t zero_point);
/* int16 forms (int16x8 models with float input/output). */
void ek_quantize_f32_s16(const float *in, int16_t *out, int32_t size, float scale, int32_t zero_point);
void ek_dequantize_s16_f32(const int16_t *in, float *out, int32_t size, float scale, int32_t zero_point);

#endif /* EK_ELEMENTWISE_H */
