/* FULLY_CONNECTED int8, any batch, for the MVE dot product (VMLADAVA over 16 int8 lanes).
 * Host layout (edgekit/kernels/mve.py): weights in quads of 4 rows, k_padded = K rounded up
 * to 16, zero padded (rows and columns), each quad's 16-byte blocks interleaved
 * [quad][K block][row of the quad][16] so that one pointer walks a quad (and the next); bias with the input zero point folded
 * in (bias - zp * sum(w), never NULL); bias, multiplier and shift one per channel, padded
 * to quads. `vector_rq`: the host proved the four-lane requantization of ek_mve.h applies
 * (single rounding with every shift <= -1, or double rounding); else lanes requantize
 * one by one with ek_requant_s8. Four rows of weights meet one 16-byte input vector in a
 * tail-predicated loop (nothing read past K). Without EK_ARM_MVE the same layout runs
 * as plain C (the host tests). Alignment: none needed (VLDRB). */
#ifndef EK_MVE_FC_H
#define EK_MVE_FC_H

#include "ek_common.h"

typedef struct {
    int32_t batches, in_features, k_padded, out_c;
    const int8_t *weights;
    const int32_t *bias, *multiplier, *shift;
    ek_rounding_t rounding;
    int32_t vector_rq;
    int32_t right_only; /* every shift <= 0: no left shift before VQRDMULH */
    int32_t output_offset; /* then act.min, act.max: the assembly row reads the three in order */
    ek_act_t act;
    const int32_t *qp; /* NULL, or per quad {bias[4], multiplier[4], shift[4]}: the assembly
                        * row (double rounding, every shift <= 0, out_c a multiple of 4) */
} ek_mve_fc_params_t;

void ek_mve_fully_connected_s8(const ek_mve_fc_params_t *p, const int8_t *input, int8_t *output);

/* One row: out[0 .. out_c) from the in_features int8 values at x (batches ignored). */
void ek_mve_dot_rows_s8(const ek_mve_fc_params_t *p, const int8_t *x, int8_t *out);

#endif /* EK_MVE_FC_H */
