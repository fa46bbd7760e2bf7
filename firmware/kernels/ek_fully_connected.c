/* FULLY_CONNECTED kernels; see ek_fully_connected.h. */
#include "ek_fully_connected.h"

void ek_fully_connected_s8(const ek_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t k = p->in_features;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x = input + (size_t)b * k;
        for (int32_t o = 0; o < p->out_features; ++o) {
            const int8_t *w = p->weights + (size_t)o * k;
            int32_t acc = 0;
            for (int32_t i = 0; i < k; ++i) {
                acc += (x[i] + p->input_offset) * w[i];
            }
            if (p->bias != NULL) {
                acc += p->bias[o];
            }
            const int32_t q = p->per_channel ? o : 0;
            *output++ = ek_requant_s8(acc, p->multiplier[q], p->shift[q], p->rounding,
                                      p->output_offset, p->act);
        }
    }
}

/* Row x (K values) widened into column slot `slot`; the K tail up to k_padded is zero. */
static void widen_row(const int8_t *x, int32_t k, int32_t k_padded, int16_t *cols, int32_t slot)
{
    const int32_t whole = k >> 2;
    ek_col_put_words(cols, 0, slot, x, whole);
    for (int32_t i = whole * 4; i < k_padded; ++i) {
        ek_col_put(cols, i, slot, i < k ? x[i] : 0);
    }
}

int32_t ek_fully_connected_s8_packed_get_buffer_size(const ek_fc_packed_params_t *p)
{
    return EK_GEMM_COLS_BYTES(p->gemm.k_padded, p->gemm.out_c);
}

void ek_fully_connected_s8_packed(const ek_fc_packed_params_t *p, const int8_t *input,
                                  int8_t *output, int8_t *scratch)
{
    int16_t *cols = (int16_t *)(void *)scratch;
    const int32_t k = p->in_features, kp = p->gemm.k_padded, n = p->gemm.out_c;
    int32_t b = 0;
    for (; b + 1 < p->batches; b += 2) {
        widen_row(input + (size_t)b * k, k, kp, cols, 0);
        widen_row(input + (size_t)(b + 1) * k, k, kp, cols, 1);
        ek_gemm_2px(&p->gemm, cols, output + (size_t)b * n, output + (size_t)(b + 1) * n);
    }
    if (b < p->batches) {
        widen_row(input + (size_t)b * k, k, kp, cols, 0);
        ek_gemm_1px(&p->gemm, cols, output + (size_t)b * n);
    }
}
