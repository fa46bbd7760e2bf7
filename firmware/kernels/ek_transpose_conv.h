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
#include "ek_gemm.h"

#define EK_TCONV_MAX_PHASES 16 /* stride_h * stride_w of the packed kernel */

typedef struct {
    ek_dims_t input;  /* n, h, w, c */
    ek_dims_t filter; /* n = output channels, h = kh, w = kw, c = input channels */
    ek_dims_t output;
    int32_t stride_h, stride_w, pad_top, pad_left;
    int32_t input_offset;  /* -input zero point */
    int32_t output_offset; /* output zero point */
    ek_act_t act;
    const int8_t *weights;     /* OHWI */
    const int32_t *bias;       /* NULL when absent */
    const int32_t *multiplier; /* per output channel */
    const int32_t *shift;
} ek_transpose_conv_params_t;

typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    int32_t stride_h, stride_w, pad_top, pad_left;
    int32_t input_zero_point;  /* value of taps outside the input */
    int32_t k_padded_max;      /* largest phase k_padded (scratch size) */
    const ek_gemm_t *phase[EK_TCONV_MAX_PHASES]; /* [py * stride_w + px] */
} ek_transpose_conv_packed_params_t;

void ek_transpose_conv_s8(const ek_transpose_conv_params_t *p, const int8_t *input,
                          int8_t *output);

void ek_transpose_conv_s8_packed(const ek_transpose_conv_packed_params_t *p, const int8_t *input,
                                 int8_t *output, int8_t *scratch);

/* Scratch bytes of ek_transpose_conv_s8_packed: gemm columns (+ accumulators) of the widest
 * phase and an int8 gather row. */
int32_t ek_transpose_conv_s8_packed_get_buffer_size(const ek_transpose_conv_packed_params_t *p);

#endif /* EK_TRANSPOSE_CONV_H */
