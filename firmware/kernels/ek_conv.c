/* CONV_2D kernels; see ek_conv.h. */
#include "ek_conv.h"
#include "ek_weighted_ref.h"

/* The bodies below take `grouped` as a constant and are inlined into one function per value,
 * so the ungrouped kernels compile as if groups did not exist (and the grouped ones are
 * linked only when a model has a grouped layer). */
#if defined(__GNUC__)
#define EK_SPECIALIZED static inline __attribute__((always_inline))
#else
#define EK_SPECIALIZED static inline
#endif


/* The reference loops. Grouped: each filter reads filter.c of the input channels, group g
 * the channels g*filter.c.. for its out_c/groups output channels. */
EK_SPECIALIZED void conv_loops(const ek_conv_params_t *p, const int8_t *input, int8_t *output,
                              const int grouped)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w, out_c = p->output.c;
    const int32_t f_c = grouped ? p->filter.c : in_c;
    const int32_t per_group = grouped ? out_c / (in_c / f_c) : out_c;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * in_c;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            for (int32_t ox = 0; ox < p->output.w; ++ox) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                for (int32_t oc = 0; oc < out_c; ++oc) {
                    const int8_t *w = p->weights + (size_t)oc * kh * kw * f_c;
                    const int32_t ic0 = grouped ? (oc / per_group) * f_c : 0;
                    int32_t acc = 0;
                    for (int32_t ky = 0; ky < kh; ++ky) {
                        const int32_t y = y0 + ky * p->win.dilation_h;
                        if (y < 0 || y >= in_h) {
                            continue;
                        }
                        for (int32_t kx = 0; kx < kw; ++kx) {
                            const int32_t x = x0 + kx * p->win.dilation_w;
                            if (x < 0 || x >= in_w) {
                                continue;
                            }
                            const int8_t *px = in_b + ((size_t)y * in_w + x) * in_c + ic0;
                            const int8_t *wk = w + ((size_t)ky * kw + kx) * f_c;
                            for (int32_t ic = 0; ic < f_c; ++ic) {
                                acc += (px[ic] + p->input_offset) * wk[ic];
                            }
                        }
                    }
                    if (p->bias != NULL) {
                        acc += p->bias[oc];
                    }
                    *output++ = ek_requant_s8(acc, p->multiplier[oc], p->shift[oc], EK_ROUND_DOUBLE,
                                              p->output_offset, p->act);
                }
            }
        }
    }
}

/* int16x8: the shared reference loops (ek_weighted_ref.h), int64 accumulator and bias. */
#define EK_CONV_RQ_S16(acc, p, q) \
    ek_requant_s16((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)

EK_DEFINE_CONV_REF(ek_conv_s16, ek_conv_s16_params_t, int16_t, int64_t, uint64_t, EK_CONV_RQ_S16)

/* One output pixel's int16 im2col column (OHWI K order) into slot 0/1: a filter row whose
 * taps are all inside and adjacent (no horizontal dilation) is one run of kw * in_c values. */
static void im2col_s16(const ek_conv_s16_packed_params_t *p, const int16_t *in_b, int32_t oy, int32_t ox,
                       int16_t *cols, int32_t slot)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
    const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
    const int row_run = p->win.dilation_w == 1 && x0 >= 0 && x0 + kw <= in_w;
    int32_t k = 0;
    for (int32_t ky = 0; ky < kh; ++ky) {
        const int32_t y = y0 + ky * p->win.dilation_h;
        if (y < 0 || y >= in_h) {
            ek_col_put_s16(cols, k, slot, NULL, kw * in_c);
            k += kw * in_c;
            continue;
        }
        const int16_t *row = in_b + (size_t)y * in_w * in_c;
        if (row_run) {
            ek_col_put_s16(cols, k, slot, row + (size_t)x0 * in_c, kw * in_c);
            k += kw * in_c;
            continue;
        }
        for (int32_t kx = 0; kx < kw; ++kx, k += in_c) {
            const int32_t x = x0 + kx * p->win.dilation_w;
            ek_col_put_s16(cols, k, slot, x >= 0 && x < in_w ? row + (size_t)x * in_c : NULL, in_c);
        }
    }
    ek_col_put_s16(cols, k, slot, NULL, p->gemm.k_padded - k); /* zero weights there */
}

void ek_conv_s16_dsp(const ek_conv_s16_packed_params_t *p, const int16_t *input, int16_t *output,
                     int8_t *scratch)
{
    int16_t *cols = (int16_t *)(void *)scratch;
    const int32_t out_w = p->output.w, out_c = p->output.c;
    const int32_t pixels = p->output.h * out_w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int16_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        int16_t *out_b = output + (size_t)b * pixels * out_c;
        int32_t oy = 0, ox = 0, i = 0;
        for (; i + 1 < pixels; i += 2) {
            im2col_s16(p, in_b, oy, ox, cols, 0);
            if (++ox == out_w) {
                ox = 0;
                ++oy;
            }
            im2col_s16(p, in_b, oy, ox, cols, 1);
            if (++ox == out_w) {
                ox = 0;
                ++oy;
            }
            ek_gemm_s16_2px(&p->gemm, cols, out_b + (size_t)i * out_c, out_b + (size_t)(i + 1) * out_c);
        }
        if (i < pixels) {
            im2col_s16(p, in_b, oy, ox, cols, 0);
            ek_gemm_s16_2px(&p->gemm, cols, out_b + (size_t)i * out_c, NULL);
        }
    }
}

void ek_conv_s8(const ek_conv_params_t *p, const int8_t *input, int8_t *output)
{
    conv_loops(p, input, output, 0);
}

void ek_conv_s8_grouped(const ek_conv_params_t *p, const int8_t *input, int8_t *output)
{
    conv_loops(p, input, output, 1);
}

/* One output pixel's im2col column into slot 0/1 of the pair buffer. in_c is the pixel
 * stride, f_c the channels a filter reads: fewer in a grouped layer, whose in_b then
 * points at the group's first channel. */
EK_SPECIALIZED void im2col_body(const ek_conv_packed_params_t *p, const int8_t *in_b, int32_t oy,
                                int32_t ox, int16_t *cols, int32_t slot, const int grouped)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, in_c = p->input.c;
    const int32_t f_c = grouped ? p->filter.c : in_c;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
    const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
    const int32_t zp = p->input_zero_point;
    const int32_t k_real = p->filter.h * p->filter.w * f_c;
    int32_t k = 0;
    if ((f_c & 3) == 0) {
        /* Whole chunks per tap: one LDR and two SXTB16 per 4 values. */
        for (int32_t ky = 0; ky < p->filter.h; ++ky) {
            const int32_t y = y0 + ky * p->win.dilation_h;
            for (int32_t kx = 0; kx < p->filter.w; ++kx, k += f_c) {
                const int32_t x = x0 + kx * p->win.dilation_w;
                if (y < 0 || y >= in_h || x < 0 || x >= in_w) {
                    ek_col_fill_words(cols, k, slot, zp, f_c >> 2);
                } else {
                    ek_col_put_words(cols, k, slot, in_b + ((size_t)y * in_w + x) * in_c, f_c >> 2);
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
            if (row_inside && !grouped && p->win.dilation_w == 1 && x0 >= 0 && x0 + p->filter.w <= in_w) {
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
                for (int32_t ic = 0; ic < f_c; ++ic, ++k) {
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

static void im2col(const ek_conv_packed_params_t *p, const int8_t *in_b, int32_t oy, int32_t ox,
                   int16_t *cols, int32_t slot)
{
    im2col_body(p, in_b, oy, ox, cols, slot, 0);
}

static void im2col_grouped(const ek_conv_packed_params_t *p, const int8_t *in_b, int32_t oy,
                           int32_t ox, int16_t *cols, int32_t slot)
{
    im2col_body(p, in_b, oy, ox, cols, slot, 1);
}

/* Narrow-channel path (input channels not in whole words, no horizontal dilation: the
 * 1- and 3-channel first layers, a depthwise layer with a multiplier on one channel).
 * Per output row the filter.h input rows under it are copied once, zero-point padded to
 * the window's full width, into `rows` (row stride EK_CONV_ROW_BYTES); a pixel's column
 * is then filter.h runs of filter.w * in_c bytes from fixed offsets, with no bounds
 * checks per pixel. Scratch after the gemm columns: an int8 gather column (k_padded + 4
 * bytes, the 4 for word copies that run past K) and the rows (+ 4 bytes for the same). */
#define EK_CONV_PAD_W(p) (((p)->output.w - 1) * (p)->win.stride_w + (p)->filter.w)
#define EK_CONV_ROW_BYTES(p) ((EK_CONV_PAD_W(p) * (p)->input.c + 3) & ~3)

static int narrow_path(const ek_conv_packed_params_t *p)
{
    /* Ungrouped layers only: a grouped layer's filters read a slice of each pixel. */
    return (p->input.c & 3) != 0 && p->win.dilation_w == 1 && p->filter.c == p->input.c;
}

/* n bytes of value v at dst (memset: the loop GCC would turn into it anyway). */
static inline void fill_s8(int8_t *dst, int32_t v, int32_t n)
{
    if (n > 0) {
        memset(dst, v, (size_t)n);
    }
}

/* Word copies of ceil(n/4) words: may write up to 3 bytes past dst + n and read up to 3
 * past src + n (both inside the scratch slack). Unaligned words through ek_read_u32 and
 * memcpy: LDR/STR on cores that allow it, byte moves on the others. */
static inline void copy_words(int8_t *dst, const int8_t *src, int32_t n)
{
    for (int32_t i = 0; i < n; i += 4) {
        const uint32_t w = ek_read_u32(src + i);
        memcpy(dst + i, &w, 4);
    }
}

/* The zero-point padded input rows under output row oy. */
static void pad_rows(const ek_conv_packed_params_t *p, const int8_t *in_b, int32_t oy, int8_t *rows)
{
    const int32_t in_c = p->input.c, in_w = p->input.w, zp = p->input_zero_point;
    const int32_t pw = EK_CONV_PAD_W(p), stride = EK_CONV_ROW_BYTES(p);
    const int32_t left = p->win.pad_left < pw ? p->win.pad_left : pw;
    const int32_t right = p->win.pad_left + in_w < pw ? p->win.pad_left + in_w : pw;
    for (int32_t ky = 0; ky < p->filter.h; ++ky) {
        const int32_t y = oy * p->win.stride_h - p->win.pad_top + ky * p->win.dilation_h;
        int8_t *dst = rows + ky * stride;
        if (y < 0 || y >= p->input.h) {
            fill_s8(dst, zp, pw * in_c);
            continue;
        }
        fill_s8(dst, zp, left * in_c);
        if (right > left) {
            memcpy(dst + left * in_c, in_b + (size_t)y * in_w * in_c, (size_t)((right - left) * in_c));
        }
        fill_s8(dst + right * in_c, zp, (pw - (right > left ? right : left)) * in_c);
    }
}

/* Column of pixel ox of the current output row into slot. */
static void narrow_col(const ek_conv_packed_params_t *p, const int8_t *rows, int32_t ox, int16_t *cols,
                       int32_t slot, int8_t *tmp)
{
    const int32_t run = p->filter.w * p->input.c, stride = EK_CONV_ROW_BYTES(p);
    const int8_t *src = rows + ox * p->win.stride_w * p->input.c;
    if ((run & 3) == 0) {
        /* Whole words per filter row: widen straight into the column (K tail set once). */
        for (int32_t ky = 0; ky < p->filter.h; ++ky, src += stride) {
            ek_col_put_words(cols, ky * run, slot, src, run >> 2);
        }
        return;
    }
    int32_t k = 0;
    for (int32_t ky = 0; ky < p->filter.h; ++ky, src += stride, k += run) {
        copy_words(tmp + k, src, run);
    }
    for (; k < p->gemm.k_padded; ++k) {
        tmp[k] = 0; /* zero weights there; keep the lanes defined */
    }
    ek_col_put_words(cols, 0, slot, tmp, p->gemm.k_padded >> 2);
}

static void conv_narrow(const ek_conv_packed_params_t *p, const int8_t *input, int8_t *output,
                        int16_t *cols)
{
    const int32_t out_w = p->output.w, out_c = p->output.c, k_real = p->filter.h * p->filter.w * p->input.c;
    int8_t *tmp = (int8_t *)cols + EK_GEMM_COLS_BYTES(p->gemm.k_padded, out_c);
    int8_t *rows = tmp + p->gemm.k_padded + 4;
    if (((p->filter.w * p->input.c) & 3) == 0) {
        /* k_real is a multiple of 4 here: the padding chunks are never written again. */
        ek_col_fill_words(cols, k_real, 0, 0, (p->gemm.k_padded - k_real) >> 2);
        ek_col_fill_words(cols, k_real, 1, 0, (p->gemm.k_padded - k_real) >> 2);
    }
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            pad_rows(p, in_b, oy, rows);
            int32_t ox = 0;
            for (; ox + 1 < out_w; ox += 2, output += 2 * out_c) {
                narrow_col(p, rows, ox, cols, 0, tmp);
                narrow_col(p, rows, ox + 1, cols, 1, tmp);
                ek_gemm_2px(&p->gemm, cols, output, output + out_c);
            }
            if (ox < out_w) {
                narrow_col(p, rows, ox, cols, 0, tmp);
                ek_gemm_1px(&p->gemm, cols, output);
                output += out_c;
            }
        }
    }
}

int32_t ek_conv_s8_packed_get_buffer_size(const ek_conv_packed_params_t *p)
{
    /* gemm columns (+ accumulators) and an int8 gather row; the narrow path's rows */
    const int32_t base = EK_GEMM_COLS_BYTES(p->gemm.k_padded, p->output.c) + p->gemm.k_padded;
    return narrow_path(p) ? base + 4 + p->filter.h * EK_CONV_ROW_BYTES(p) + 4 : base;
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

/* Pixel pairs through im2col and the packed GEMM (`grouped` as in im2col). */
EK_SPECIALIZED void conv_pairs(const ek_conv_packed_params_t *p, const int8_t *input, int8_t *output,
                               int16_t *cols, const int grouped)
{
    void (*const column)(const ek_conv_packed_params_t *, const int8_t *, int32_t, int32_t,
                         int16_t *, int32_t) = grouped ? im2col_grouped : im2col;
    const int32_t out_w = p->output.w, out_c = p->output.c;
    const int32_t pixels = p->output.h * out_w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * p->input.h * p->input.w * p->input.c;
        int8_t *out_b = output + (size_t)b * pixels * out_c;
        int32_t i = 0;
        for (; i + 1 < pixels; i += 2) {
            column(p, in_b, i / out_w, i % out_w, cols, 0);
            column(p, in_b, (i + 1) / out_w, (i + 1) % out_w, cols, 1);
            ek_gemm_2px(&p->gemm, cols, out_b + (size_t)i * out_c, out_b + (size_t)(i + 1) * out_c);
        }
        if (i < pixels) {
            column(p, in_b, i / out_w, i % out_w, cols, 0);
            ek_gemm_1px(&p->gemm, cols, out_b + (size_t)i * out_c);
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
    if (narrow_path(p)) {
        conv_narrow(p, input, output, cols);
        return;
    }
    conv_pairs(p, input, output, cols, 0);
}

void ek_conv_s8_packed_grouped(const ek_conv_packed_params_t *p, const int8_t *input,
                               int8_t *output, int8_t *scratch)
{
    conv_pairs(p, input, output, (int16_t *)(void *)scratch, 1);
}
