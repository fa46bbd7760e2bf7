/* CONV_2D for cores without SIMD (RV32IMC, Xtensa LX6/LX7, Cortex-M0+): register-blocked
 * plain C that compilers turn into straight loads, multiplies and adds.
 *
 * The host (edgekit/kernels/conv_blocked.py) prepares the weights: per pair of output
 * channels (c, c+1) their K = kh * kw * in_c OHWI weights interleaved, w[2k + j] (a zero
 * channel pads an odd count), and the bias with the input zero
 * point folded in (bias - zp * sum(w), per channel). Padded taps then hold the zero point,
 * so every tap contributes x * w with no offset inside the loop. Each step gathers the
 * im2col columns of 4 output pixels into scratch, interleaved (cols[4k + i]), and runs
 * 4 pixels x 2 channels of accumulators over K.
 *
 * All loads are byte loads (LB / LDRSB): on RV32IM a signed byte taken out of a 32-bit
 * word costs two shifts, so word loads would add instructions, and no word load means no
 * alignment condition (Xtensa faults on unaligned words). Requantization is
 * ek_requant_double_fast (TFLite double rounding, one 64-bit multiply; TF and TFLM agree
 * for CONV_2D).
 * Memory contract as ek_conv.h: output rows in order, the columns of a block are copied
 * before any output of the block is written (the output may overlap the input's tail).
 */
#ifndef EK_CONV_BLOCKED_H
#define EK_CONV_BLOCKED_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input;
    ek_dims_t filter; /* n = output channels (unpadded), h, w, c */
    ek_dims_t output;
    ek_window_t win;
    int32_t input_zero_point;
    int32_t output_offset;
    ek_act_t act;
    const int8_t *weights;     /* channel pairs, K interleaved: [(out_c + 1) / 2][K][2] */
    const int32_t *bias;       /* folded, (out_c + 1) & ~1 entries */
    const int32_t *multiplier; /* (out_c + 1) & ~1 entries */
    const int32_t *shift;
} ek_conv_blocked_params_t;

#define EK_CONV_BLOCKED_PIXELS 4

/* Scratch: the 4 gathered columns. */
#define EK_CONV_BLOCKED_SCRATCH(k) (EK_CONV_BLOCKED_PIXELS * (k))

void ek_conv_s8_blocked(const ek_conv_blocked_params_t *p, const int8_t *input, int8_t *output,
                        int8_t *scratch);

#endif /* EK_CONV_BLOCKED_H */
