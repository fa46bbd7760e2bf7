/* FULLY_CONNECTED, int8 activations and weights ([out, K], per-tensor or per-channel scales),
 * int32 bias. Rounding per the host: TF's reference uses single rounding for int8 FC,
 * TFLite Micro double rounding (ek_rounding_t).
 *  - ek_fully_connected_s8: plain loops over the original weights.
 *  - ek_fully_connected_s8_packed: batches > 1: ek_gemm.h packed weights, zero point folded
 *    into the bias; rows widened into an int16 scratch of two columns; 2 rows x 2 outputs per
 *    block. Batch 1 (`vec.weights` set): no scratch at all, see ek_fc_vec_t.
 */
#ifndef EK_FULLY_CONNECTED_H
#define EK_FULLY_CONNECTED_H

#include "ek_common.h"
#include "ek_gemm.h"

#define EK_FC_PARAMS(BIAS_T, W_T)                                                     \
    struct {                                                                          \
        int32_t batches, in_features, out_features;                                   \
        int32_t input_offset, output_offset;                                          \
        ek_act_t act;                                                                 \
        ek_rounding_t rounding;                                                       \
        const W_T *weights;        /* [out][K] */                                     \
        const BIAS_T *bias;        /* NULL when absent */                             \
        const int32_t *multiplier; /* one per output, or one in all when !per_channel */ \
        const int32_t *shift;                                                         \
        int32_t per_channel;                                                          \
    }

typedef EK_FC_PARAMS(int32_t, int8_t) ek_fc_params_t;
/* int16x8: int16 activations (zero point 0), int64 bias and accumulator; rounding
 * EK_ROUND_SINGLE is TF's reference (ek_requant_s64_single), EK_ROUND_DOUBLE TFLite Micro's. */
typedef EK_FC_PARAMS(int64_t, int8_t) ek_fc_s16_params_t;
/* int16x8 on DSP boards: the int8 weights widened to int16 once on the host, so a pair of
 * int16 activations and a pair of weights are one SMLALD (64-bit accumulator, exact). */
typedef EK_FC_PARAMS(int64_t, int16_t) ek_fc_s16w_params_t;

/* Cores without SIMD: ek_fully_connected_s8_blocked reads the same struct with the host's
 * layout: weights per group of 4 outputs interleaved, [ceil(out/4)][K][4] (zero outputs pad
 * the last group), bias with the input zero point folded in (bias - zp * sum(w), never
 * NULL, padded to the groups; input_offset unused). One byte load of x feeds 4 outputs;
 * byte loads only (no alignment condition). */
void ek_fully_connected_s8_blocked(const ek_fc_params_t *p, const int8_t *input, int8_t *output);

/* Batch-1 form: int8 input read in place, four output channels per pass, each group
 * requantized right after its dot products (no scratch, no accumulator array).
 * Weights per quad of channels, per chunk of 4 K (K zero padded to a multiple of 4; a last
 * group of 3 channels padded to a quad, of 1-2 to a pair): 4 (2) words ch0..ch3, each with
 * bytes (w0 ^ 0x80, w1, w2 ^ 0x80, w3). Per-channel arrays are padded to quads.
 * Then, with X the input word: SMLAD(W, SXTB16(X)) + SMLAD(SXTB16(W ror 8), REV16(X) ^
 * 0xFF80FF80) = x0w0 + x1w1 + x2w2 + x3w3 + 128(x0 + x2) - 128(w1 + w3): only one widening
 * of the weights per 4 of them. The host adds 128 * sum(odd-k weights) to the folded bias;
 * the kernel subtracts 128 * sum(even-k inputs) once per call. Alignment: weights 4 bytes. */
typedef struct {
    const int8_t *weights;     /* NULL: batches > 1, use gemm */
    const int32_t *bias;       /* per channel, quads padded; NULL with qp */
    const int32_t *multiplier; /* per channel (quads padded), or one when !per_channel */
    const int32_t *shift;
    const int32_t *qp;         /* bounded double rounding (see ek_gemm_t.qp): per quad
                                  {b0..b3, m0..m3, e0..e3, 2^(e0-1)..2^(e3-1)} */
    int32_t out_c;
    int32_t per_channel;
    ek_rounding_t rounding;
    int32_t output_offset;
    ek_act_t act;
} ek_fc_vec_t;

typedef struct {
    int32_t batches, in_features;
    ek_gemm_t gemm; /* batches > 1 */
    ek_fc_vec_t vec; /* batch 1 */
} ek_fc_packed_params_t;

void ek_fully_connected_s8(const ek_fc_params_t *p, const int8_t *input, int8_t *output);

void ek_fully_connected_s16(const ek_fc_s16_params_t *p, const int16_t *input, int16_t *output);
void ek_fully_connected_s16_dsp(const ek_fc_s16w_params_t *p, const int16_t *input, int16_t *output);

void ek_fully_connected_s8_packed(const ek_fc_packed_params_t *p, const int8_t *input,
                                  int8_t *output, int8_t *scratch);

/* Scratch bytes of the packed kernel: two int16 columns of k_padded; 0 for batch 1. */
int32_t ek_fully_connected_s8_packed_get_buffer_size(const ek_fc_packed_params_t *p);

#endif /* EK_FULLY_CONNECTED_H */
