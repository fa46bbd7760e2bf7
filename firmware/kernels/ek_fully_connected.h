/* FULLY_CONNECTED, int8 activations and weights ([out, K], per-tensor or per-channel scales),
 * int32 bias. Rounding per the host: TF's reference uses single rounding for int8 FC,
 * TFLite Micro double rounding (ek_rounding_t).
 *  - ek_fully_connected_s8: plain loops over the original weights.
 *  - ek_fully_connected_s8_packed: ek_gemm.h packed weights, zero point folded into the
 *    bias; rows widened into an int16 scratch of two columns; 2 rows x 2 outputs per block.
 */
#ifndef EK_FULLY_CONNECTED_H
#define EK_FULLY_CONNECTED_H

#include "ek_common.h"
#include "ek_gemm.h"

typedef struct {
    int32_t batches, in_features, out_features;
    int32_t input_offset, output_offset;
    ek_act_t act;
    ek_rounding_t rounding;
    const int8_t *weights;     /* [out][K] */
    const int32_t *bias;       /* NULL when absent */
    const int32_t *multiplier; /* one per output, or one in all when !per_channel */
    const int32_t *shift;
    int32_t per_channel;
} ek_fc_params_t;

typedef struct {
    int32_t batches, in_features;
    ek_gemm_t gemm;
} ek_fc_packed_params_t;

void ek_fully_connected_s8(const ek_fc_params_t *p, const int8_t *input, int8_t *output);

void ek_fully_connected_s8_packed(const ek_fc_packed_params_t *p, const int8_t *input,
                                  int8_t *output, int8_t *scratch);

/* Scratch bytes of the packed kernel: two int16 columns of k_padded. */
int32_t ek_fully_connected_s8_packed_get_buffer_size(const ek_fc_packed_params_t *p);

#endif /* EK_FULLY_CONNECTED_H */
