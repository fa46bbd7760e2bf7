/* BATCH_MATMUL, int8 x int8 -> int8 (TFLite reference_ops::BatchMatMul semantics):
 * out[b][i][j] = requant(sum_k (lhs[b][i][k] + lhs_offset) * (rhs[b][k][j] + rhs_offset)),
 * one per-tensor multiplier, double rounding, full int8 clamp. Either operand may be a
 * constant (flash) or an activation; adj_x / adj_y and batch broadcasting are strides and
 * per-output-batch offsets computed on the host.
 *  - ek_batch_matmul_s8: plain loops; no scratch.
 *  - ek_batch_matmul_s8_packed: per output batch, the RHS is packed at run time into the
 *    ek_gemm.h int16 layout with its zero point subtracted (w - zp fits int16), and the
 *    LHS zero point folded into a per-column bias (-lhs_zp * sum_k w); LHS rows are the
 *    GEMM's columns, two rows per ek_gemm_2px, requantized by the bounded SMLAD path when
 *    |acc| <= 255 * 255 * depth < 2^30. A batch that reuses the previous batch's
 *    RHS (broadcast) is not packed again.
 */
#ifndef EK_BATCH_MATMUL_H
#define EK_BATCH_MATMUL_H

#include "ek_common.h"
#include "ek_gemm.h"

typedef struct {
    int32_t batches, rows, cols, depth;  /* output [batches][rows][cols]; depth = K */
    const int32_t *lhs_batch;            /* per output batch: element offset of its LHS */
    const int32_t *rhs_batch;            /* ... and of its RHS */
    int32_t lhs_row_stride, lhs_depth_stride; /* element (i, k) at i * row + k * depth */
    int32_t rhs_depth_stride, rhs_col_stride; /* element (k, j) at k * depth + j * col */
    int32_t lhs_offset, rhs_offset;      /* -zero points */
    int32_t output_offset;
    int32_t multiplier, shift;
    ek_gemm_t gemm; /* packed kernel: k_padded, multiplier/shift (one), offset; weights and
                       bias (or qp) are set per batch from the scratch */
    int32_t bounded; /* packed kernel: the host proved |acc| < 2^30 (depth <= 16000) and shift
                        <= -1: bounded requantization, qp in the scratch with rq_e, rq_round */
    int32_t rq_e, rq_round;
} ek_batch_matmul_params_t;

void ek_batch_matmul_s8(const ek_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                        int8_t *output);

void ek_batch_matmul_s8_packed(const ek_batch_matmul_params_t *p, const int8_t *lhs,
                               const int8_t *rhs, int8_t *output, int8_t *scratch);

/* Scratch of the packed kernel: gemm columns (+ accumulators), packed int16 RHS, per
 * channel pair {bias0, bias1, m, m, e, round, e, round} (ek_gemm_t.qp; biases only used
 * without `bounded`). */
int32_t ek_batch_matmul_s8_packed_get_buffer_size(const ek_batch_matmul_params_t *p);

#endif /* EK_BATCH_MATMUL_H */
