/* CONV_2D, int8 activations, int8 per-channel weights, int32 bias (TFLite semantics).
 *
 * Two entry points, chosen per layer by the host (edgekit/kernels/conv.py):
 *  - ek_conv_s8: reference loops over OHWI int8 weights; any geometry; no scratch.
 *  - ek_conv_s8_packed: host-packed weights (output channels in pairs, K padded to a
 *    multiple of 4, int8 or int16) with the input zero point folded into the bias; builds
 *    im2col columns for two output pixels at a time in int16 scratch and runs SMLAD on
 *    2 pixels x 2 channels. Zero-point padding makes padded taps contribute nothing.
 * Both write the output in NHWC raster order and never read input rows above the window
 * of the output row being written (the memory planner's contract). The packed kernel
 * builds both columns of a pixel pair before writing either; a pair may straddle two
 * output rows, which only reads rows of the later window early (never earlier rows).
 * A grouped layer on the packed path is one call per group: each reads the whole input
 * again, so grouped layers declare no row contract (edgekit/kernels/conv.py).
 */
#ifndef EK_CONV_H
#define EK_CONV_H

#include "ek_common.h"
#include "ek_gemm.h"

#define EK_CONV_PARAMS(BIAS_T)                                                    \
    struct {                                                                      \
        ek_dims_t input;  /* n, h, w, c */                                        \
        ek_dims_t filter; /* n = out channels, kh, kw, c = in channels per filter */ \
        ek_dims_t output; /* n, h, w, c (c = output channels) */                  \
        ek_window_t win;                                                          \
        int32_t input_offset;  /* -input zero point */                            \
        int32_t output_offset; /* output zero point */                            \
        ek_act_t act;                                                             \
        const int8_t *weights;     /* OHWI */                                     \
        const BIAS_T *bias;        /* NULL when absent */                         \
        const int32_t *multiplier; /* per output channel */                       \
        const int32_t *shift;      /* per output channel */                       \
    }

typedef EK_CONV_PARAMS(int32_t) ek_conv_params_t;
/* int16x8: int16 activations (zero point 0), int64 bias and accumulator. */
typedef EK_CONV_PARAMS(int64_t) ek_conv_s16_params_t;

/* Host-packed form of the same layer (edgekit/kernels/conv.py packs it; ek_gemm.h layout). */
typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    ek_window_t win;
    int32_t input_zero_point; /* value of padded taps (the offset is in the folded bias) */
    ek_gemm_t gemm;
} ek_conv_packed_params_t;

/* int16x8 on DSP boards (ek_conv_s16_dsp): weights widened to int16 once on the host in
 * ek_gemm.h's channel-pair layout (natural lanes), im2col columns of two output pixels in
 * int16 scratch (EK_GEMM_S16_COLS_BYTES), SMLAD on 2 pixels x 2 channels with exact int64
 * sums (ek_gemm_s16_2px). Padded taps are 0 (the int16 zero point). */
typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    ek_window_t win;
    ek_gemm_s16_t gemm;
} ek_conv_s16_packed_params_t;

void ek_conv_s8(const ek_conv_params_t *p, const int8_t *input, int8_t *output);

/* The same for a grouped layer (filter.c = input.c / groups). */
void ek_conv_s8_grouped(const ek_conv_params_t *p, const int8_t *input, int8_t *output);
void ek_conv_s16(const ek_conv_s16_params_t *p, const int16_t *input, int16_t *output);
void ek_conv_s16_dsp(const ek_conv_s16_packed_params_t *p, const int16_t *input, int16_t *output,
                     int8_t *scratch);

void ek_conv_s8_packed(const ek_conv_packed_params_t *p, const int8_t *input, int8_t *output,
                       int8_t *scratch);

/* One group of a grouped layer (one call per group) with that group's gemm (gemm.out_c =
 * its output channels, filter.c = its input channels): `input` and `output` point at the
 * group's first channel, pixels stay input.c and output.c apart. */
void ek_conv_s8_packed_grouped(const ek_conv_packed_params_t *p, const int8_t *input,
                               int8_t *output, int8_t *scratch);

/* Scratch bytes of ek_conv_s8_packed: two interleaved int16 im2col columns + an int8 gather row. */
int32_t ek_conv_s8_packed_get_buffer_size(const ek_conv_packed_params_t *p);

#endif /* EK_CONV_H */
