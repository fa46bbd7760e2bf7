/* The shared inner product of the packed conv / FC kernels: two im2col columns (pixels A
 * and B) against all output channels, 2 pixels x 2 channels per SMLAD block.
 *
 * Column layout (int16, built by the caller): per chunk of 4 K-elements, 8 int16 =
 * A(k0,k2,k1,k3) then B(k0,k2,k1,k3) — the lane order SXTB16 / SXTB16 ROR #8 produce.
 * Weight layout per pair of output channels (c, c+1) and chunk: int8: c(k0..k3) c+1(k0..k3);
 * int16: c(k0,k2,k1,k3) c+1(k0,k2,k1,k3). K is padded with zero weights to a multiple of 8.
 * The bias already holds bias + input_offset * sum(weights) (zero point folded on the host).
 * With qp (bounded requantization) bias/multiplier/shift are NULL. Alignment: weights and
 * qp 4 bytes (8 preferred; LDRD/LDM on Cortex-M4 fault on unaligned addresses), the column
 * scratch 4 bytes. On EK_ARM_DSP the channel-pair loops, the batch-1 four-channel loop and
 * the requantization of whole pairs are assembly (top-level asm in ek_gemm.c).
 */
#ifndef EK_GEMM_H
#define EK_GEMM_H

#include "ek_common.h"

typedef struct {
    int32_t out_c;             /* output channels actually stored */
    int32_t k_padded;          /* multiple of 8 */
    int32_t weights_int16;     /* 1: int16 packed weights, 0: int8 */
    const void *weights;
    const int32_t *bias;       /* folded; ceil(out_c/2)*2 entries */
    const int32_t *multiplier; /* ceil(out_c/2)*2 entries, or 1 when !per_channel */
    const int32_t *shift;
    int32_t per_channel;       /* 0: one multiplier/shift for every channel */
    ek_rounding_t rounding;
    const int32_t *qp;         /* non-NULL when the host proved |acc| < 2^30 and every shift
                                  <= -1 (double rounding): per channel pair {bias0, bias1,
                                  mult0, mult1, e0, 2^(e0-1), e1, 2^(e1-1)} (e = -shift)
                                  for ek_requant_double_bounded, read sequentially */
    int32_t output_offset;
    ek_act_t act;
} ek_gemm_t;

/* Bytes of the column buffer ek_gemm_2px needs: two int16 columns, then (bounded mode)
 * the raw accumulators of every channel for both pixels. */
#define EK_GEMM_COLS_BYTES(k_padded, out_c) (4 * (k_padded) + 8 * (((out_c) + 1) & ~1))

/* out_a[c], out_b[c] for every channel c; out_b may be NULL (column B is then ignored).
 * `cols` holds EK_GEMM_COLS_BYTES. */
void ek_gemm_2px(const ek_gemm_t *g, int16_t *cols, int8_t *out_a, int8_t *out_b);

/* Single column (slot A) against all output channels: FULLY_CONNECTED with batch 1.
 * `cols` holds EK_GEMM_COLS_BYTES (the accumulators go after the columns). */
void ek_gemm_1px(const ek_gemm_t *g, int16_t *cols, int8_t *out);

/* Widen 4*n int8 values (n words) into column slot `slot` (0 = A, 1 = B) from chunk-aligned
 * position k (multiple of 4) onwards. */
static inline void ek_col_put_words(int16_t *cols, int32_t k, int32_t slot, const int8_t *src,
                                    int32_t n)
{
    int16_t *dst = cols + (k >> 2) * 8 + slot * 4;
    for (int32_t i = 0; i < n; ++i) {
        const uint32_t v = ek_read_u32(src + 4 * i);
        const uint32_t lo = ek_sxtb16(v), hi = ek_sxtb16_ror8(v);
        memcpy(dst, &lo, 4);
        memcpy(dst + 2, &hi, 4);
        dst += 8;
    }
}

/* Fill n whole chunks from chunk-aligned k with `value` (int16 lanes). */
static inline void ek_col_fill_words(int16_t *cols, int32_t k, int32_t slot, int32_t value,
                                     int32_t n)
{
    const uint32_t v = ((uint32_t)value & 0xFFFFu) | ((uint32_t)value << 16);
    int16_t *dst = cols + (k >> 2) * 8 + slot * 4;
    for (int32_t i = 0; i < n; ++i) {
        memcpy(dst, &v, 4);
        memcpy(dst + 2, &v, 4);
        dst += 8;
    }
}

/* One element k of column slot, at its lane position. */
static inline void ek_col_put(int16_t *cols, int32_t k, int32_t slot, int32_t value)
{
    static const uint8_t lane[4] = {0, 2, 1, 3};
    cols[(k >> 2) * 8 + slot * 4 + lane[k & 3]] = (int16_t)value;
}

/* int16x8 (int16 activations, weights widened to int16 on the host, int64 bias): the same
 * column and weight layout with both in natural lane order k0..k3 (int16 activations need
 * no SXTB16; any lane order the two share gives the same sums). SMLAD sums in int32 are
 * exact for up to EK_GEMM_S16_BLOCK_K products (|x * w| <= 2^15 * 2^7 = 2^22 and
 * 504 * 2^22 < 2^31); longer K runs in blocks of that many, each widened into the int64
 * accumulator, so the accumulator is exactly TFLite's int64 sum for every K. Then the int64
 * bias and requantization of TFLite (TF and TFLite Micro alike for conv) through
 * ek_requant_s64_folded (bias folded on the host). Output offset 0 (int16x8). */
#define EK_GEMM_S16_BLOCK_K 504

typedef struct {
    int32_t out_c;
    int32_t k_padded;          /* multiple of 8 */
    const int16_t *weights;    /* channel pairs, ceil(out_c/2) * 2 * k_padded */
    const int32_t *rq;         /* per output channel {r', s, c' lo, c' hi}: ek_requant_s64_folded */
    ek_act_t act;
} ek_gemm_s16_t;

/* Bytes of the column buffer: two int16 columns. */
#define EK_GEMM_S16_COLS_BYTES(k_padded) (4 * (k_padded))

/* out_a[c], out_b[c] for every channel c; out_b NULL: column A only. */
void ek_gemm_s16_2px(const ek_gemm_s16_t *g, const int16_t *cols, int16_t *out_a, int16_t *out_b);

/* n int16 values (src NULL: zeros) into column slot `slot` from position k on, natural lanes. */
static inline void ek_col_put_s16(int16_t *cols, int32_t k, int32_t slot, const int16_t *src, int32_t n)
{
    for (; n > 0 && (k & 3) != 0; --n, ++k) {
        cols[(k >> 2) * 8 + slot * 4 + (k & 3)] = src != NULL ? *src++ : 0;
    }
    int16_t *dst = cols + (k >> 2) * 8 + slot * 4;
    if (src != NULL) {
        for (; n >= 4; n -= 4, k += 4, src += 4, dst += 8) {
            const uint32_t lo = ek_read_u32(src), hi = ek_read_u32(src + 2);
            memcpy(dst, &lo, 4);
            memcpy(dst + 2, &hi, 4);
        }
    } else {
        for (; n >= 4; n -= 4, k += 4, dst += 8) {
            memset(dst, 0, 8);
        }
    }
    for (; n > 0; --n, ++k) {
        cols[(k >> 2) * 8 + slot * 4 + (k & 3)] = src != NULL ? *src++ : 0;
    }
}

#endif /* EK_GEMM_H */
