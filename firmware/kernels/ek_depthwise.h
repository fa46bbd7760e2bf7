/* DEPTHWISE_CONV_2D, int8, per-channel weights [1, kh, kw, C*dm], int32 bias.
 *  - ek_depthwise_s8: reference loops; any kernel, stride, dilation, depth multiplier.
 *  - ek_depthwise_s8_packed: depth multiplier 1 and C % 4 == 0; int16 weights pre-widened
 *    on the host in SXTB16 lane order per 4 channels (c0,c2,c1,c3), input zero point folded
 *    into the bias; the input rows of the window are kept zero-point padded in a ring of
 *    (kh-1)*dilation+1 rows in scratch (each input row copied once), so every tap is
 *    inside: SMLABB/SMLATT on 4 channels, unrolled for 3x3.
 * Output in NHWC raster order, one output row at a time (memory planner contract).
 */
#ifndef EK_DEPTHWISE_H
#define EK_DEPTHWISE_H

#include "ek_common.h"

#define EK_DW_PARAMS(BIAS_T)                                              \
    struct {                                                              \
        ek_dims_t input;                                                  \
        ek_dims_t filter; /* n = 1, h = kh, w = kw, c = output channels */ \
        ek_dims_t output;                                                 \
        ek_window_t win;                                                  \
        int32_t depth_multiplier;                                         \
        int32_t input_offset, output_offset;                              \
        ek_act_t act;                                                     \
        const int8_t *weights;                                            \
        const BIAS_T *bias; /* NULL when absent */                        \
        const int32_t *multiplier;                                        \
        const int32_t *shift;                                             \
    }

typedef EK_DW_PARAMS(int32_t) ek_dw_params_t;
/* int16x8: int16 activations (zero point 0), int64 bias and accumulator. */
typedef EK_DW_PARAMS(int64_t) ek_dw_s16_params_t;

#define EK_DW_MAX_KH 16 /* packed kernel: kernel height limit (the host checks) */

typedef struct {
    ek_dims_t input;
    ek_dims_t filter;
    ek_dims_t output;
    ek_window_t win;
    int32_t input_zero_point;
    int32_t output_offset;
    ek_act_t act;
    const int32_t *qp;      /* non-NULL: ek_requant_double_bounded is exact here; per group of 4
                               channels {b0..b3, m0..m3, e0, 2^(e0-1), .., e3, 2^(e3-1)} */
    const int16_t *weights; /* [C/4][kh*kw][4]: lanes c0,c2,c1,c3 */
    const int32_t *bias;    /* folded; NULL (with multiplier, shift) when qp is given */
    const int32_t *multiplier;
    const int32_t *shift;
    const int32_t *blk; /* ek_depthwise_s8_3x3 only: non-NULL selects the group-major path */
} ek_dw_packed_params_t;

/* Words per group of 4 channels in ek_dw_packed_params_t.blk: 9 taps x 2 words (int16
 * weights x 2, lanes (c0,c2) then (c1,c3)), folded biases x 2 b0..b3 (the doubling of the
 * bounded requantization done by the accumulation), multipliers m0..m3, then
 * per channel {e, 2^(e-1) + output_zero_point * 2^e} (output offset folded: the host checks
 * e <= 22 so the sum stays inside int32). */
#define EK_DW3G_WORDS 34

void ek_depthwise_s8(const ek_dw_params_t *p, const int8_t *input, int8_t *output);

void ek_depthwise_s16(const ek_dw_s16_params_t *p, const int16_t *input, int16_t *output);

/* int16x8 on DSP boards, depth multiplier 1 (ek_depthwise_s16_dsp): per output pixel a table
 * of its taps' input pixels (a zero pixel in scratch for the padded taps and the padding tap
 * of an odd tap count), then per group of 4 channels (then 2) and pair of taps (t0, t1) word
 * loads of (x[t,c], x[t,c+1]), PKHBT/PKHTB into (x[t0,c], x[t1,c]) and (x[t0,c+1], x[t1,c+1])
 * and one SMLAD per channel against weights widened to int16 once on the host. The int32 sums are exact (at most
 * EK_DW_S16_MAX_TAPS products of |x * w| <= 2^22 per channel; the host checks), then the
 * int64 bias and requantization of the reference (ek_requant_s64_folded32, the bias folded
 * on the host). An odd last channel takes halfword loads. */
#define EK_DW_S16_MAX_TAPS 504

typedef struct {
    ek_dims_t input;
    ek_dims_t filter; /* n = 1, h = kh, w = kw, c = channels */
    ek_dims_t output;
    ek_window_t win;
    ek_act_t act;
    int32_t taps_padded;       /* kh * kw rounded up to even */
    const int16_t *weights;    /* per group of 4 channels [taps_padded/2][8], then per remaining pair
                                  [taps_padded/2][4] (an odd last channel padded with a zero one):
                                  (w[t0,c], w[t1,c]), (w[t0,c+1], w[t1,c+1]), ... */
    const int32_t *rq;         /* per channel {r', s, c' lo, c' hi} (ek_requant_s64_folded32) */
} ek_dw_s16_packed_params_t;

/* Scratch: the tap table (taps_padded pointers, 8 bytes each on every host) and a zero pixel. */
#define EK_DW_S16_SCRATCH_BYTES(taps_padded, c) (8 * (taps_padded) + 2 * (c))

void ek_depthwise_s16_dsp(const ek_dw_s16_packed_params_t *p, const int16_t *input, int16_t *output,
                          int8_t *scratch);

void ek_depthwise_s8_packed(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output,
                            int8_t *scratch);

/* 3x3, horizontal dilation 1, horizontal stride 1 or 2, bounded requantization (qp per
 * channel {folded bias, multiplier, e, 2^(e-1)}), weights [C][6] int16 pairs
 * (k00,k01) (k02,0) (k10,k11) (k12,0) (k20,k21) (k22,0). The window rows are kept in a ring
 * of 2*dilation_h+1 zero-point padded rows transposed to channel-major int16, so
 * horizontally adjacent taps are adjacent int16 and one SMLAD takes two taps; per channel
 * an assembly loop produces the raw accumulators of the whole output row, then one pass
 * requantizes them. Output rows in order; within a row, channel after channel. */
void ek_depthwise_s8_3x3(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output,
                         int8_t *scratch);
/* With p->blk != NULL (C % 4 == 0, full int8 output range): the window rows are kept in a
 * ring of 2*dilation_h+1 zero-point padded int8 rows stored group-major ([C/4][x][4 bytes]),
 * so one group's columns are adjacent words; per (output row, group of 4 channels) an
 * assembly loop walks the output pixels: 9 x (LDR, LDRD, 2 SXTB16, SMLABB/SMLATT x 4), then
 * the bounded requantization of the 4 channels with constants at fixed offsets of blk.
 * Output rows in order; within a row, group after group. */
int32_t ek_depthwise_s8_3x3_get_buffer_size(const ek_dw_packed_params_t *p);

/* Scratch bytes of ek_depthwise_s8_packed: row tags + ring rows + one zero-point row. */
int32_t ek_depthwise_s8_packed_get_buffer_size(const ek_dw_packed_params_t *p);

#endif /* EK_DEPTHWISE_H */
