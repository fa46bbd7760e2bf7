/* TRANSPOSE_CONV, int8 activations, int8 per-channel OHWI weights, optional int32 bias
 * (TFLite reference_integer_ops::TransposeConv semantics: input pixel (iy, ix) adds
 * (x + input_offset) * w[oc, ky, kx, ic] to output (iy * stride_h - pad_top + ky, ...),
 * then bias, double-rounding requantization, output offset, clamp).
 *
 * Both kernels compute each output pixel from the taps that reach it (a gather), so neither
 * needs TFLite's int32 scratch of the whole output:
 *  - ek_transpose_conv_s8: reference loops over the original weights; no scratch.
 *  - ek_transpose_conv_s8_packed: output pixels fall into stride_h * stride_w phases
 *    ((oy + pad_top) % stride_h, (ox + pad_left) % stride_w); every pixel of a phase is
 *    reached by the same taps ky = py, py + stride_h, ...; kx = px, px + stride_w, ..., so a
 *    phase is a GEMM of its own: host-packed ek_gemm_t weights [out_c][taps * in_c] (K in
 *    the order ky, kx, ic), the input zero point folded into the bias, im2col columns with
 *    zero-point padding for taps outside the input, two output pixels per ek_gemm_2px.
 * Output is written phase by phase (not in raster order): no memory overlap contract.
 */
#ifndef EK_TRANSPOSE_CONV_H
#define EK_TRANSPOSE_CONV_H

#include "ek_common.h"
#include "ek_conv.h"
#include "ek_gemm.h"

#define EK_TCONV_MAX_PHASES 16 /* stride_h * stride_w of the packed kernel */


typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    ek_window_t win;           /* strides and paddings (dilation 1) */
    int32_t input_zero_point;  /* value of taps outside the input */
    int32_t k_padded_max;      /* largest phase k_padded (scratch size) */
    const ek_gemm_t *phase[EK_TCONV_MAX_PHASES]; /* [py * stride_w + px] */
} ek_transpose_conv_packed_params_t;

/* The reference kernel takes CONV_2D's params: OHWI weights, win = strides and paddings. */
void ek_transpose_conv_s8(const ek_conv_params_t *p, const int8_t *input, int8_t *output);
/* int16x8 (int16 activations, zero point 0, int64 bias and accumulator), the same loops. */
void ek_transpose_conv_s16(const ek_conv_s16_params_t *p, const int16_t *input, int16_t *output);

void ek_transpose_conv_s8_packed(const ek_transpose_conv_packed_params_t *p, const int8_t *input,
                                 int8_t *output, int8_t *scratch);

/* Scratch bytes of ek_transpose_conv_s8_packed: gemm columns (+ accumulators) of the widest
 * phase and an int8 gather row. */
int32_t ek_transpose_conv_s8_packed_get_buffer_size(const ek_transpose_conv_packed_params_t *p);

#endif /* EK_TRANSPOSE_CONV_H */
