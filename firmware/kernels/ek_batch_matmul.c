/* BATCH_MATMUL kernels; see ek_batch_matmul.h. */
#include "ek_batch_matmul.h"

static const ek_act_t FULL = {-128, 127};

void ek_batch_matmul_s8(const ek_batch_matmul_params_t *p, const int8_t *lhs, const int8_t *rhs,
                        int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = lhs + p->lhs_batch[b];
        const int8_t *y = rhs + p->rhs_batch[b];
        for (int32_t i = 0; i < p->rows; ++i) {
            const int8_t *row = x + (size_t)i * p->lhs_row_stride;
            for (int32_t j = 0; j < p->cols; ++j) {
                const int8_t *col = y + (size_t)j * p->rhs_col_stride;
                int32_t acc = 0;
                for (int32_t k = 0; k < p->depth; ++k) {
                    acc += (row[(size_t)k * p->lhs_depth_stride] + p->lhs_offset) *
                           (col[(size_t)k * p->rhs_depth_stride] + p->rhs_offset);
                }
                *output++ = ek_requant_s8(acc, p->multiplier, p->shift, EK_ROUND_DOUBLE,
                                          p->output_offset, FULL);
            }
        }
    }
}

static int32_t pairs_of(int32_t cols) { return (cols + 1) >> 1; }

int32_t ek_batch_matmul_s8_packed_get_buffer_size(const ek_batch_matmul_params_t *p)
{
    const int32_t kp = p->gemm.k_padded, pairs = pairs_of(p->cols);
    return EK_GEMM_COLS_BYTES(kp, p->cols) + pairs * 2 * kp * 2 + pairs * 8 * 4;
}

/* RHS of one batch -> int16 weights (w + rhs_offset) in the ek_gemm.h pair/chunk layout,
 * lanes k0,k2,k1,k3, zero padded; the bias of column j, lhs_offset * sum_k (w + rhs_offset),
 * into bias[j] or, bounded, into qp word 8 * (j / 2) + j % 2 (the other qp words are
 * constant, set once per call). */
static void pack_rhs(const ek_batch_matmul_params_t *p, const int8_t *y, int16_t *w, int32_t *bias)
{
    static const uint8_t lane[4] = {0, 2, 1, 3};
    const int32_t kp = p->gemm.k_padded, pairs = pairs_of(p->cols);
    memset(w, 0, (size_t)pairs * 2 * kp * sizeof(int16_t));
    for (int32_t j = 0; j < 2 * pairs; ++j) {
        int32_t sum = 0;
        if (j < p->cols) {
            const int8_t *col = y + (size_t)j * p->rhs_col_stride;
            int16_t *dst = w + (size_t)(j >> 1) * 2 * kp + (j & 1) * 4;
            for (int32_t k = 0; k < p->depth; ++k) {
                const int32_t v = col[(size_t)k * p->rhs_depth_stride] + p->rhs_offset;
                dst[(k >> 2) * 8 + lane[k & 3]] = (int16_t)v;
                sum += v;
            }
        }
        bias[p->bounded ? 8 * (j >> 1) + (j & 1) : j] = p->lhs_offset * sum;
    }
}

/* LHS row i into column slot `slot`, K padding lanes zero. */
static void lhs_column(const ek_batch_matmul_params_t *p, const int8_t *row, int16_t *cols,
                       int32_t slot)
{
    int32_t k = 0;
    if (p->lhs_depth_stride == 1) {
        const int32_t words = p->depth >> 2;
        ek_col_put_words(cols, 0, slot, row, words);
        k = words << 2;
    }
    for (; k < p->depth; ++k) {
        ek_col_put(cols, k, slot, row[(size_t)k * p->lhs_depth_stride]);
    }
    for (; k < p->gemm.k_padded; ++k) {
        ek_col_put(cols, k, slot, 0);
    }
}

void ek_batch_matmul_s8_packed(const ek_batch_matmul_params_t *p, const int8_t *lhs,
                               const int8_t *rhs, int8_t *output, int8_t *scratch)
{
    const int32_t kp = p->gemm.k_padded, pairs = pairs_of(p->cols);
    int16_t *cols = (int16_t *)(void *)scratch;
    int16_t *w = (int16_t *)(void *)(scratch + EK_GEMM_COLS_BYTES(kp, p->cols));
    int32_t *bias = (int32_t *)(void *)(w + (size_t)pairs * 2 * kp); /* or the qp */
    ek_gemm_t g = p->gemm;
    g.weights = w;
    if (p->bounded) {
        for (int32_t n = 0; n < pairs; ++n) {
            int32_t *q = bias + 8 * n;
            q[2] = q[3] = p->multiplier;
            q[4] = q[6] = p->rq_e;
            q[5] = q[7] = p->rq_round;
        }
        g.qp = bias;
    } else {
        g.bias = bias;
    }
    for (int32_t b = 0; b < p->batches; ++b) {
        if (b == 0 || p->rhs_batch[b] != p->rhs_batch[b - 1]) {
            pack_rhs(p, rhs + p->rhs_batch[b], w, bias);
        }
        const int8_t *x = lhs + p->lhs_batch[b];
        int8_t *out = output + (size_t)b * p->rows * p->cols;
        int32_t i = 0;
        for (; i + 1 < p->rows; i += 2, out += 2 * p->cols) {
            lhs_column(p, x + (size_t)i * p->lhs_row_stride, cols, 0);
            lhs_column(p, x + (size_t)(i + 1) * p->lhs_row_stride, cols, 1);
            ek_gemm_2px(&g, cols, out, out + p->cols);
        }
        if (i < p->rows) {
            lhs_column(p, x + (size_t)i * p->lhs_row_stride, cols, 0);
            ek_gemm_1px(&g, cols, out);
        }
    }
}
