/* UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights, int16 cell state, as the TF
 * converter writes it (the standard Keras cell: input, forget, cell and output gates), and the
 * variants TF's integer kernel also runs: peephole connections, a projection of the hidden
 * state, the coupled input-forget gate (CIFG) and layer normalisation of the gates.
 *
 * Two integer forms, chosen by the host per build:
 *  - EK_LSTM_TF: TF's reference kernels (lstm_eval.cc, the 8x8->16 integer path): the gate
 *    pre-activations in the intermediate tensors' Q3.12, gemmlowp's int16 fixed-point
 *    logistic and tanh, power-of-two cell products;
 *  - EK_LSTM_TFLM: TFLite Micro (lstm_eval.cc): the two gate FCs requantized to int16 and
 *    added with saturation, the 256-entry sigmoid table with linear interpolation for
 *    logistic and tanh, the cell products requantized like MUL.
 * The variants exist only in the EK_LSTM_TF form: TFLite Micro runs the standard cell alone.
 * Both keep the hidden (int8) and cell (int16) state in the op's variable tensors, updated
 * in place and kept from one invoke to the next, as TF and TFLite Micro keep them.
 */
#ifndef EK_LSTM_H
#define EK_LSTM_H

#include <stdint.h>

#include "ek_common.h"

typedef enum { EK_LSTM_TF = 0, EK_LSTM_TFLM = 1 } ek_lstm_form_t;

/* One gate: W_x x + W_h h + bias (+ w_c . c with a peephole), the zero points folded into
 * the two int32 biases. The input gate of a CIFG cell has no weights (in_weights NULL). */
typedef struct {
    const int8_t *in_weights;  /* [n_cell][n_input] */
    const int8_t *rec_weights; /* [n_cell][n_output] */
    const int32_t *in_bias;    /* [n_cell]: gate bias - input zp * row sums */
    const int32_t *rec_bias;   /* [n_cell]: - hidden zp * row sums */
    int32_t in_multiplier, in_shift;
    int32_t rec_multiplier, rec_shift;
    const int16_t *peephole;   /* [n_cell] cell-to-gate weights, or NULL (none for the cell gate) */
    int32_t peephole_multiplier, peephole_shift;
    /* Layer normalisation of the pre-activation (TF's ApplyLayerNorm), or NULL: the gate
     * bias is then applied here rather than folded into in_bias. */
    const int16_t *layer_norm_weights; /* [n_cell] */
    const int32_t *layer_norm_bias;    /* [n_cell] */
    int32_t layer_norm_multiplier, layer_norm_shift;
    int32_t variance_guard;
} ek_lstm_gate_t;

/* The projection of the int8 hidden vector (n_cell) to the output and state (n_output). */
typedef struct {
    const int8_t *weights; /* [n_output][n_cell], or NULL: no projection, n_output == n_cell */
    const int32_t *bias;   /* [n_output]: projection bias - hidden zp * row sums */
    int32_t multiplier, shift, output_zero_point;
    int32_t clip; /* quantized, 0: none */
} ek_lstm_projection_t;

typedef struct {
    ek_lstm_form_t form;
    int32_t batches, steps, n_input, n_cell, n_output;
    int32_t time_major;
    ek_lstm_gate_t gate[4]; /* input, forget, cell, output */
    ek_lstm_projection_t projection;
    /* Cell update. TF: shifts; TFLM: (multiplier, shift) pairs as for MUL. */
    int32_t cell_scale_power;   /* log2 of the cell state scale (e.g. -11) */
    int32_t fc_multiplier, fc_shift; /* TFLM: forget x cell -> cell */
    int32_t ig_multiplier, ig_shift; /* TFLM: input x cell gate -> cell */
    int32_t hidden_multiplier, hidden_shift, hidden_zero_point; /* output x tanh(cell) -> int8 */
    int32_t cell_clip; /* quantized, 0: none */
    const uint16_t *sigmoid_table; /* TFLM: 256 entries; NULL for TF */
} ek_lstm_params_t;

/* Scratch bytes: five int16 vectors of n_cell, the int8 hidden vector with a projection, and
 * (word-aligned) the input and hidden vectors widened for SMLAD, two words per four values. */
int32_t ek_lstm_s8_get_buffer_size(const ek_lstm_params_t *p);

void ek_lstm_s8(const ek_lstm_params_t *p, const int8_t *input, int8_t *hidden, int16_t *cell,
                int8_t *output, int8_t *scratch);

#endif /* EK_LSTM_H */
