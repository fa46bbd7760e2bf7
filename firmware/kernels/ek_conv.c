/* CONV_2D kernels; see ek_conv.h. */
#include "ek_conv.h"
#include "ek_weighted_ref.h"


#define EK_CONV_RQ_S8(acc, p, q) \
    ek_requant_s8((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)
#define EK_CONV_RQ_S16(acc, p, q) \
    ek_requant_s16((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)

EK_DEFINE_CONV_REF(ek_conv_s8, ek_conv_params_t, int8_t, int32_t, uint32_t, EK_CONV_RQ_S8)
EK_DEFINE_CONV_REF(ek_conv_s16, ek_conv_s16_params_t, int16_t, int64_t, uint64_t, EK_CONV_RQ_S16)

/* One output pixel's im2col column into slot 0/1 of the pair buffer. */
static void im2col(const ek_conv_packed_params_t *p, const int8_t *in_b, int32_t oy, int32_t ox,
                   int16_t *cols, int32_t slot)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
    const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
    const int32_t zp = p->input_zero_point;
    const int32_t k_real = p->filter.h * p->filter.w * in_c;
    int32_t k = 0;
    if ((in_c & 3) == 0) {
        /* Whole chunks per tap: one LDR and two SXTB16 per 4 values. */
        for (int32_t ky = 0; ky < p->filter.h; ++ky) {
            const int32_t y = y0 + ky * p->win.dilation_h;
            for (int32_t kx = 0; kx < p->filter.w; ++kx, k += in_c) {
                const int32_t x = x0 + kx * p->win.dilation_w;
                if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                    ek_col_fill_words(cols, k, slot, zp, in_c >> 2);
                } else {
                    ek_col_put_words(cols, k, slot, in_b + ((size_t)y * in_w + x) * in_c, in_c >> 2);
                }
            }
        }
    } else {
        /* Channels not in whole words: gather the int8 column (natural K order, zero-point
         * padded) into the tail of the scratch, then widen it a word at a time. */
        int8_t *tmp = (int8_t *)cols + EK_GEMM_COLS_BYTES(p->gemm.k_padded, p->output.c);
        const int32_t row_run = p->filter.w * in_c;
        for (int32_t ky = 0; ky < p->filter.h; ++ky) {
            const int32_t y = y0 + ky * p->win.dilation_h;
            const int row_inside = y >= 0 && y < in_h;
            if (row_inside && p->win.dilation_w == 1 && x0 >= 0 && x0 + p->filter.w <= in_w) {
                const int8_t *src = in_b + ((size_t)y * in_w + x0) * in_c;
                int32_t i = 0;
                for (; i + 4 <= row_run; i += 4) { /* unaligned word copies (LDR/STR on M4) */
                    const uint32_t v = ek_read_u32(src + i);
                    memcpy(tmp + k + i, &v, 4);
                }
                for (; i < row_run; ++i) {
                    tmp[k + i] = src[i];
                }
                k += row_run;
                continue;
            }
            for (int32_t kx = 0; kx < p->filter.w; ++kx) {
                const int32_t x = x0 + kx * p->win.dilation_w;
                const int inside = row_inside && x >= 0 && x < in_w;
                const int8_t *px = in_b + ((size_t)(inside ? y : 0) * in_w + (inside ? x : 0)) * in_c;
                for (int32_t ic = 0; ic < in_c; ++ic, ++k) {
                    tmp[k] = (int8_t)(inside ? px[ic] : zp);
                }
            }
        }
        for (; k < p->gemm.k_padded; ++k) {
            tmp[k] = 0; /* zero weights there; keep the lanes defined */
        }
        ek_col_put_words(cols, 0, slot, tmp, p->gemm.k_padded >> 2);
        return;
    }
    for (k = k_real; k < p->gemm.k_padded; ++k) {
        ek_col_put(cols, k, slot, 0); /* zero weights there; keep the lanes defined */
    }
}

int32_t ek_conv_s8_packed_get_buffer_size(const ek_conv_packed_params_t *p)
{
    /* gemm columns (+ accumulators) and an int8 gather row */
    return EK_GEMM_COLS_BYTES(p->gemm.k_padded, p->output.c) + p->gemm.k_padded;
}

/* 1x1 fast path (no padding, channels in whole words): a pixel's column is its input
 * channels, widened a word at a time; pixels are walked without divisions. */
static void conv_1x1(const ek_conv_packed_params_t *p, const int8_t *input, int8_t *output,
                     int16_t *cols)
{
    const int32_t in_c = p->input.c, out_c = p->output.c, out_w = p->output.w;
    const int32_t words = in_c >> 2, tail = (p->gemm.k_padded - in_c) >> 2;
    const size_t col_step = (size_t)p->win.stride_w * in_c;
    const size_t row_step = (size_t)p->win.stride_h * p->input.w * in_c;
    const int32_t pixels = p->output.h * out_w;
    /* The K padding lanes stay zero for the whole call. */
    ek_col_fill_words(cols, in_c, 0, 0, tail);
    ek_col_fill_words(cols, in_c, 1, 0, tail);
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *row = input + (size_t)b * p->input.h * p->input.w * in_c;
        const int8_t *px = row;
        int32_t ox = 0;
        const int8_t *pending = NULL; /* first pixel of a pair, waiting for the second */
        int8_t *out = output + (size_t)b * pixels * out_c;
        for (int32_t i = 0; i < pixels; ++i) {
            if (pending == NULL) {
                pending = px;
            } else {
                ek_col_put_words(cols, 0, 0, pending, words);
                ek_col_put_words(cols, 0, 1, px, words);
                ek_gemm_2px(&p->gemm, cols, out, out + out_c);
                out += 2 * out_c;
                pending = NULL;
            }
            if (++ox == out_w) {
                ox = 0;
                row += row_step;
                px = row;
            } else {
                px += col_step;
            }
        }
        if (pending != NULL) {
            ek_col_put_words(cols, 0, 0, pending, words);
            ek_gemm_1px(&p->gemm, cols, out);
        }
    }
}

void ek_conv_s8_packed(const ek_conv_packed_params_t *p, const int8_t *input, int8_t *output,
                       int8_t *scratch)
{
    int16_t *cols = (int16_t *)(void *)scratch;
    if (p->filter.h == 1 && p->filter.w == 1 && p->win.pad_top == 0 && p->win.pad_left == 0 &&
        (p->input.c & 3) == 0) {
        conv_1x1(p, input, output, cols);
        return;
    }
    const int32_t out_w = p->output.w, out_c = p->output.c;
    const int32_t pixels = p->output.h * out_w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        int8_t *out_b = output + (size_t)b * pixels * out_c;
        int32_t i = 0;
        for (; i + 1 < pixels; i += 2) {
            im2col(p, in_b, i / out_w, i % out_w, cols, 0);
            im2col(p, in_b, (i + 1) / out_w, (i + 1) % out_w, cols, 1);
            ek_gemm_2px(&p->gemm, cols, out_b + (size_t)i * out_c, out_b + (size_t)(i + 1) * out_c);
        }
        if (i < pixels) {
            im2col(p, in_b, i / out_w, i % out_w, cols, 0);
            ek_gemm_1px(&p->gemm, cols, out_b + (size_t)i * out_c);
        }
    }
}
