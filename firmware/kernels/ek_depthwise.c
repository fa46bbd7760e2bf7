/* DEPTHWISE_CONV_2D kernels; see ek_depthwise.h. */
#include "ek_depthwise.h"
#include "ek_weighted_ref.h"

#define EK_DW_RQ_S8(acc, p, q) \
    ek_requant_s8((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)
#define EK_DW_RQ_S16(acc, p, q) \
    ek_requant_s16((acc), (p)->multiplier[q], (p)->shift[q], EK_ROUND_DOUBLE, (p)->output_offset, (p)->act)

EK_DEFINE_DEPTHWISE_REF(ek_depthwise_s8, ek_dw_params_t, int8_t, int32_t, uint32_t, EK_DW_RQ_S8)
EK_DEFINE_DEPTHWISE_REF(ek_depthwise_s16, ek_dw_s16_params_t, int16_t, int64_t, uint64_t, EK_DW_RQ_S16)

/* ---- int16x8, DSP boards (see ek_depthwise.h) ---- */

static inline int16_t dw_s16_out(const ek_dw_s16_packed_params_t *p, int32_t acc, int32_t c)
{
    return ek_clamp_s16(ek_requant_s64_folded32(acc, p->rq + 4 * c), p->act.min, p->act.max);
}

/* Channels c..c+3 over every pair of taps: acc[i] = sum_t x[t][c+i] * w; returns the
 * weights after the group's. Assembly on Arm (13 registers, nothing spilled): per pair of
 * taps two pointer loads, four word loads, four PKHBT/PKHTB, four SMLAD. */
static inline const int16_t *dw_s16_quad(const int16_t *const *taps, int32_t c, const int16_t *w, int32_t pairs,
                                         int32_t acc[4])
{
#if defined(EK_ARM_DSP)
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    const int32_t coff = 2 * c;
    uint32_t x0, x1, u0, u1, t;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[x0], [%[tap]], #4\n\t"
        "ldr %[x1], [%[tap]], #4\n\t"
        "add %[x0], %[x0], %[coff]\n\t"
        "add %[x1], %[x1], %[coff]\n\t"
        "ldr %[u0], [%[x0]]\n\t"
        "ldr %[u1], [%[x1]]\n\t"
        "pkhbt %[t], %[u0], %[u1], lsl #16\n\t"
        "pkhtb %[u1], %[u1], %[u0], asr #16\n\t"
        "ldr %[u0], [%[w]], #4\n\t"
        "smlad %[a0], %[t], %[u0], %[a0]\n\t"
        "ldr %[u0], [%[w]], #4\n\t"
        "smlad %[a1], %[u1], %[u0], %[a1]\n\t"
        "ldr %[u0], [%[x0], #4]\n\t"
        "ldr %[u1], [%[x1], #4]\n\t"
        "pkhbt %[t], %[u0], %[u1], lsl #16\n\t"
        "pkhtb %[u1], %[u1], %[u0], asr #16\n\t"
        "ldr %[u0], [%[w]], #4\n\t"
        "smlad %[a2], %[t], %[u0], %[a2]\n\t"
        "ldr %[u0], [%[w]], #4\n\t"
        "smlad %[a3], %[u1], %[u0], %[a3]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [tap] "+r"(taps), [w] "+r"(w),
          [n] "+r"(pairs), [x0] "=&r"(x0), [x1] "=&r"(x1), [u0] "=&r"(u0), [u1] "=&r"(u1), [t] "=&r"(t)
        : [coff] "r"(coff)
        : "cc", "memory");
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
    return w;
#else
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
    for (int32_t j = 0; j < pairs; ++j, taps += 2, w += 8) {
        const int16_t *x0 = taps[0] + c, *x1 = taps[1] + c;
        const uint32_t u0 = ek_read_u32(x0), u1 = ek_read_u32(x1);
        const uint32_t v0 = ek_read_u32(x0 + 2), v1 = ek_read_u32(x1 + 2);
        acc[0] = ek_smlad(ek_pkhbt16(u0, u1), ek_read_u32(w), acc[0]);
        acc[1] = ek_smlad(ek_pkhtb16(u0, u1), ek_read_u32(w + 2), acc[1]);
        acc[2] = ek_smlad(ek_pkhbt16(v0, v1), ek_read_u32(w + 4), acc[2]);
        acc[3] = ek_smlad(ek_pkhtb16(v0, v1), ek_read_u32(w + 6), acc[3]);
    }
    return w;
#endif
}

void ek_depthwise_s16_dsp(const ek_dw_s16_packed_params_t *p, const int16_t *input, int16_t *output,
                          int8_t *scratch)
{
    const int16_t **taps = (const int16_t **)(void *)scratch;
    const int32_t tp = p->taps_padded, pairs = tp >> 1;
    int16_t *zero = (int16_t *)(void *)(scratch + 8 * tp);
    const int32_t in_h = p->input.h, in_w = p->input.w, ch = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    memset(zero, 0, (size_t)ch * sizeof(int16_t));
    taps[tp - 1] = zero; /* the padding tap of an odd count (zero weights) */
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int16_t *in_b = input + (size_t)b * in_h * in_w * ch;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            for (int32_t ox = 0; ox < p->output.w; ++ox, output += ch) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                int32_t t = 0;
                for (int32_t ky = 0; ky < kh; ++ky) {
                    const int32_t y = y0 + ky * p->win.dilation_h;
                    for (int32_t kx = 0; kx < kw; ++kx, ++t) {
                        const int32_t x = x0 + kx * p->win.dilation_w;
                        taps[t] = y >= 0 && y < in_h && x >= 0 && x < in_w ? in_b + ((size_t)y * in_w + x) * ch : zero;
                    }
                }
                const int16_t *w = p->weights;
                int32_t c = 0;
                for (; c + 3 < ch; c += 4) {
                    int32_t acc[4];
                    w = dw_s16_quad(taps, c, w, pairs, acc);
                    output[c] = dw_s16_out(p, acc[0], c);
                    output[c + 1] = dw_s16_out(p, acc[1], c + 1);
                    output[c + 2] = dw_s16_out(p, acc[2], c + 2);
                    output[c + 3] = dw_s16_out(p, acc[3], c + 3);
                }
                for (; c + 1 < ch; c += 2) {
                    int32_t a0 = 0, a1 = 0;
                    const int16_t *const *tap = taps;
                    for (int32_t j = 0; j < pairs; ++j, tap += 2, w += 4) {
                        const uint32_t u0 = ek_read_u32(tap[0] + c), u1 = ek_read_u32(tap[1] + c);
                        a0 = ek_smlad(ek_pkhbt16(u0, u1), ek_read_u32(w), a0);
                        a1 = ek_smlad(ek_pkhtb16(u0, u1), ek_read_u32(w + 2), a1);
                    }
                    output[c] = dw_s16_out(p, a0, c);
                    output[c + 1] = dw_s16_out(p, a1, c + 1);
                }
                if (c < ch) { /* odd last channel: the low lanes of its (zero-padded) pair */
                    int32_t a0 = 0;
                    for (int32_t j = 0; j < pairs; ++j, w += 4) {
                        const uint32_t x = (uint32_t)(uint16_t)taps[2 * j][c] | ((uint32_t)(uint16_t)taps[2 * j + 1][c] << 16);
                        a0 = ek_smlad(x, ek_read_u32(w), a0);
                    }
                    output[c] = dw_s16_out(p, a0, c);
                }
            }
        }
    }
}

/* One tap on 4 channels: input word at p (4 int8 channels), weights *pw (4 int16 in lane
 * order c0,c2,c1,c3), advanced by 4 int16. In assembly on Arm so GCC keeps the four
 * accumulators in registers instead of hoisting every load and spilling. */
#if defined(EK_ARM_DSP)
#define EK_DW_TAP(p, pw, a0, a1, a2, a3)                                                    \
    do {                                                                                   \
        uint32_t v_, lo_, w0_, w1_;                                                        \
        __asm__ volatile("ldr %[v], [%[src]]\n\t"                                           \
                         "ldrd %[w0], %[w1], [%[w]], #8\n\t"                               \
                         "sxtb16 %[lo], %[v]\n\t"                                          \
                         "sxtb16 %[v], %[v], ror #8\n\t"                                   \
                         "smlabb %[a0], %[lo], %[w0], %[a0]\n\t"                           \
                         "smlatt %[a2], %[lo], %[w0], %[a2]\n\t"                           \
                         "smlabb %[a1], %[v], %[w1], %[a1]\n\t"                            \
                         "smlatt %[a3], %[v], %[w1], %[a3]\n\t"                            \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),      \
                           [w] "+r"(pw), [v] "=&r"(v_), [lo] "=&r"(lo_), [w0] "=&r"(w0_),  \
                           [w1] "=&r"(w1_)                                                 \
                         : [src] "r"(p)                                                    \
                         : "memory");                                                      \
    } while (0)
#else
#define EK_DW_TAP(p, pw, a0, a1, a2, a3)                                                    \
    do {                                                                                   \
        const uint32_t v_ = ek_read_u32(p);                                                \
        const uint32_t lo_ = ek_sxtb16(v_), hi_ = ek_sxtb16_ror8(v_);                      \
        const uint32_t w0_ = ek_read_u32(pw), w1_ = ek_read_u32((pw) + 2);                 \
        (pw) += 4;                                                                         \
        a0 = ek_smlabb(lo_, w0_, a0);                                                      \
        a2 = ek_smlatt(lo_, w0_, a2);                                                      \
        a1 = ek_smlabb(hi_, w1_, a1);                                                      \
        a3 = ek_smlatt(hi_, w1_, a3);                                                      \
    } while (0)
#endif

/* Requantization constants in locals: int8 stores may alias anything, so reading them
 * through `p` after each store would reload them every time. */
typedef struct {
    const int32_t *mult, *shift, *qp;
    int32_t offset, lo, hi, full;
} dw_quant_t;

static inline int8_t dw_out(const dw_quant_t *q, int32_t acc, int32_t c)
{
    const int32_t *g = q->qp + (c >> 2) * 16; /* bounded constants of c's group */
    const int32_t v = q->qp != NULL ? ek_requant_double_bounded(acc, g[4 + (c & 3)], g[8 + 2 * (c & 3)],
                                                                g[9 + 2 * (c & 3)])
                                    : ek_requant_double_fast(acc, q->mult[c], q->shift[c]);
    return q->full ? (int8_t)ek_ssat8(v + q->offset) : ek_clamp_s8(v + q->offset, q->lo, q->hi);
}

/* 3x3 taps of one output pixel, every channel group, bounded requantization to the full
 * int8 range: the per-group constants {b0..b3, m0..m3, e0, r0, .., e3, r3} are read
 * sequentially from qp. */
static void dw_pixel_3x3_bounded(const int8_t *r0, const int8_t *r1, const int8_t *r2, size_t sx,
                                 const int16_t *w, const int32_t *qp, int32_t groups, int32_t off,
                                 int8_t *out)
{
    for (int32_t g = 0; g < groups; ++g, r0 += 4, r1 += 4, r2 += 4, qp += 16, out += 4) {
        int32_t a0 = qp[0], a1 = qp[1], a2 = qp[2], a3 = qp[3];
        const int8_t *src = r0;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src = r1;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src = r2;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        src += sx;
        EK_DW_TAP(src, w, a0, a1, a2, a3);
        out[0] = (int8_t)ek_ssat8(ek_requant_double_bounded(a0, qp[4], qp[8], qp[9]) + off);
        out[1] = (int8_t)ek_ssat8(ek_requant_double_bounded(a1, qp[5], qp[10], qp[11]) + off);
        out[2] = (int8_t)ek_ssat8(ek_requant_double_bounded(a2, qp[6], qp[12], qp[13]) + off);
        out[3] = (int8_t)ek_ssat8(ek_requant_double_bounded(a3, qp[7], qp[14], qp[15]) + off);
    }
}

/* Geometry of the padded ring: rows span the columns the windows touch. */
static int32_t ring_rows(const ek_dw_packed_params_t *p)
{
    return (p->filter.h - 1) * p->win.dilation_h + 1;
}

static int32_t padded_width(const ek_dw_packed_params_t *p)
{
    return (p->output.w - 1) * p->win.stride_w + (p->filter.w - 1) * p->win.dilation_w + 1;
}

int32_t ek_depthwise_s8_packed_get_buffer_size(const ek_dw_packed_params_t *p)
{
    const int32_t rows = ring_rows(p);
    return 4 * rows + (rows + 1) * padded_width(p) * p->input.c;
}

static void fill_word(int8_t *dst, uint32_t word, int32_t bytes)
{
    for (int32_t i = 0; i < bytes; i += 4) {
        memcpy(dst + i, &word, 4);
    }
}

static void copy_words(int8_t *EK_RESTRICT dst, const int8_t *EK_RESTRICT src, int32_t bytes)
{
    for (int32_t i = 0; i < bytes; i += 4) {
        const uint32_t v = ek_read_u32(src + i);
        memcpy(dst + i, &v, 4);
    }
}

void ek_depthwise_s8_packed(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output,
                            int8_t *scratch)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t dh = p->win.dilation_h, dw = p->win.dilation_w;
    const uint32_t zp_word = 0x01010101u * (uint32_t)(uint8_t)(int8_t)p->input_zero_point;
    const int32_t rows = ring_rows(p), wp = padded_width(p), pad_l = p->win.pad_left;
    const size_t row_bytes = (size_t)wp * c_all;
    int32_t *tags = (int32_t *)(void *)scratch; /* input row held by each ring slot */
    int8_t *ring = scratch + 4 * rows;
    int8_t *zp_row = ring + (size_t)rows * row_bytes;
    /* Valid input columns inside the padded row: [x_lo, x_hi) in padded coordinates. */
    const int32_t x_lo = pad_l, x_hi = pad_l + in_w < wp ? pad_l + in_w : wp;
    const dw_quant_t q = {p->multiplier, p->shift, p->qp, p->output_offset, p->act.min, p->act.max,
                          p->act.min == -128 && p->act.max == 127};
    const int32_t *bias = p->bias;
    const int16_t *weights = p->weights;
    const int32_t out_h = p->output.h, out_w = p->output.w, stride_w = p->win.stride_w;
    const int fast = kh == 3 && kw == 3 && p->qp != NULL && q.full;
    fill_word(zp_row, zp_word, (int32_t)row_bytes);
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * c_all;
        for (int32_t r = 0; r < rows; ++r) {
            tags[r] = -1;
        }
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            const int8_t *tap_row[EK_DW_MAX_KH];
            for (int32_t ky = 0; ky < kh; ++ky) {
                const int32_t y = y0 + ky * dh;
                if (y < 0 || y >= in_h) {
                    tap_row[ky] = zp_row;
                    continue;
                }
                const int32_t slot = y % rows;
                int8_t *dst = ring + (size_t)slot * row_bytes;
                if (tags[slot] != y) {
                    /* Only rows of this output row's window are read (planner contract). */
                    fill_word(dst, zp_word, x_lo * c_all);
                    copy_words(dst + (size_t)x_lo * c_all, in_b + (size_t)y * in_w * c_all,
                               (x_hi - x_lo) * c_all);
                    fill_word(dst + (size_t)x_hi * c_all, zp_word, (wp - x_hi) * c_all);
                    tags[slot] = y;
                }
                tap_row[ky] = dst;
            }
            if (fast) {
                const size_t sx = (size_t)dw * c_all, step = (size_t)stride_w * c_all;
                for (int32_t ox = 0; ox < out_w; ++ox, output += c_all) {
                    const size_t x0 = (size_t)ox * step;
                    dw_pixel_3x3_bounded(tap_row[0] + x0, tap_row[1] + x0, tap_row[2] + x0, sx, weights,
                                         p->qp, c_all >> 2, p->output_offset, output);
                }
                continue;
            }
            for (int32_t ox = 0; ox < out_w; ++ox) {
                const size_t x0 = (size_t)ox * stride_w * c_all;
                const int16_t *w = weights; /* [C/4][kh*kw][4] */
                const size_t sx = (size_t)dw * c_all;
                for (int32_t c = 0; c < c_all; c += 4) {
                    /* Bounded layers keep their (folded) biases only in qp. */
                    const int32_t *b4 = p->qp != NULL ? p->qp + (size_t)(c >> 2) * 16 : bias + c;
                    int32_t a0 = b4[0], a1 = b4[1], a2 = b4[2], a3 = b4[3];
                    if (kh == 3 && kw == 3) {
                        for (int32_t ky = 0; ky < 3; ++ky) {
                            const int8_t *src = tap_row[ky] + x0 + c;
                            EK_DW_TAP(src, w, a0, a1, a2, a3);
                            src += sx;
                            EK_DW_TAP(src, w, a0, a1, a2, a3);
                            src += sx;
                            EK_DW_TAP(src, w, a0, a1, a2, a3);
                        }
                    } else {
                        for (int32_t ky = 0; ky < kh; ++ky) {
                            const int8_t *src = tap_row[ky] + x0 + c;
                            for (int32_t kx = 0; kx < kw; ++kx, src += sx) {
                                EK_DW_TAP(src, w, a0, a1, a2, a3);
                            }
                        }
                    }
                    const int8_t o0 = dw_out(&q, a0, c), o1 = dw_out(&q, a1, c + 1);
                    const int8_t o2 = dw_out(&q, a2, c + 2), o3 = dw_out(&q, a3, c + 3);
                    output[0] = o0;
                    output[1] = o1;
                    output[2] = o2;
                    output[3] = o3;
                    output += 4;
                }
            }
        }
    }
}

/* ---- 3x3 kernel on a group-major int8 ring (ek_depthwise_s8_3x3 with blk) ------------- */

/* One output row of one group of 4 channels: n pixels, rows r0-r2 at the pixel's first
 * column (group-major: columns 4 bytes apart), blk the group's EK_DW3G_WORDS constants,
 * out the pixel's first channel (pixels c_all bytes apart). */
#if defined(EK_ARM_DSP)
void ek_dw3x3g_row_s2(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int32_t *blk,
                      int8_t *out, int32_t n, int32_t c_all);
/* One tap: input word at [row, #col], weights (c0,c2),(c1,c3) at [r3, #wo]; acc r4-r7 = c0-c3. */
#define EK_DW3G_TAP(ld, wo)                                                                     \
    "\t" ld "\n\tldrd r10, r11, [r3, #" wo "]\n\tsxtb16 r9, r8\n\tsxtb16 r8, r8, ror #8\n"       \
    "\tsmlabb r4, r9, r10, r4\n\tsmlatt r6, r9, r10, r6\n\tsmlabb r5, r8, r11, r5\n"             \
    "\tsmlatt r7, r8, r11, r7\n"
/* Bounded requantization of acc into out[c]: m at blk[22+c], {e, r} at blk[26+2c]. Weights and
 * biases are doubled on the host, so acc is already the 2x of SMMULR(2x, m); SMMLAR adds r,
 * and the -1 of RoundingDivideByPOT for t < 0 comes from acc's sign (see dw3x3g_row). */
#define EK_DW3G_RQ(acc, mo, eo, c)                                                              \
    "\tldr r8, [r3, #" mo "]\n\tldrd r9, r10, [r3, #" eo "]\n"                                  \
    "\tsmmlar r11, " acc ", r8, r10\n\tadd r11, r11, " acc ", asr #31\n"                        \
    "\tasr r11, r11, r9\n\tssat r11, #8, r11\n\tstrb r11, [r12, #" c "]\n"
/* r0-r2 rows (advanced by step per pixel), r3 blk, r12 out, lr c_all; the end of r0 is kept
 * in the stack slot of n. */
#define EK_DW3G_ROW(name, step, lsl)                                                            \
    "\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global " name "\n\t.thumb_func\n"     \
    "\t.type " name ", %function\n" name ":\n"                                               \
    "\tpush {r4-r11, lr}\n\tldr r12, [sp, #36]\n\tldr r8, [sp, #40]\n\tldr lr, [sp, #44]\n"    \
    "\tadd r8, r0, r8, lsl #" lsl "\n\tstr r8, [sp, #40]\n"                                  \
    "1:\n\tldrd r4, r5, [r3, #72]\n\tldrd r6, r7, [r3, #80]\n"                                 \
    EK_DW3G_TAP("ldr r8, [r0, #8]", "16") EK_DW3G_TAP("ldr r8, [r0, #4]", "8")                \
    EK_DW3G_TAP("ldr r8, [r0], #" step, "0")                                                  \
    EK_DW3G_TAP("ldr r8, [r1, #8]", "40") EK_DW3G_TAP("ldr r8, [r1, #4]", "32")               \
    EK_DW3G_TAP("ldr r8, [r1], #" step, "24")                                                 \
    EK_DW3G_TAP("ldr r8, [r2, #8]", "64") EK_DW3G_TAP("ldr r8, [r2, #4]", "56")               \
    EK_DW3G_TAP("ldr r8, [r2], #" step, "48")                                                 \
    EK_DW3G_RQ("r4", "88", "104", "0") EK_DW3G_RQ("r5", "92", "112", "1")                     \
    EK_DW3G_RQ("r6", "96", "120", "2") EK_DW3G_RQ("r7", "100", "128", "3")                    \
    "\tadd r12, r12, lr\n\tldr r8, [sp, #40]\n\tcmp r0, r8\n\tbne 1b\n\tpop {r4-r11, pc}\n"      \
    "\t.size " name ", .-" name "\n"
__asm__(EK_DW3G_ROW("ek_dw3x3g_row_s2", "8", "3"));
/* Stride 1, two pixels (A, B) a pass: the 4 columns of a window row are loaded and widened
 * once for both, and the requantization constants once per channel. Accumulators r4-r7
 * (A: c0, c1, c2, c3) and r8-r11 (B), r12 blk, lr the current row; the three row pointers
 * live in the frame ([sp], [sp, #4], [sp, #8]), [sp, #12] the end of the pairs in out, out,
 * n and c_all in the argument slots ([sp, #52], [sp, #56], [sp, #60]); an odd last pixel is
 * done alone after the pairs. */
void ek_dw3x3g_pairs_s1(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int32_t *blk,
                        int8_t *out, int32_t n, int32_t c_all);
#define EK_DW3G_MAC(a0, a1, a2, a3)                                                             \
    "\tsmlabb " a0 ", r1, r2, " a0 "\n\tsmlatt " a2 ", r1, r2, " a2 "\n"                         \
    "\tsmlabb " a1 ", r0, r3, " a1 "\n\tsmlatt " a3 ", r0, r3, " a3 "\n"
#define EK_DW3G_A EK_DW3G_MAC("r4", "r5", "r6", "r7")
#define EK_DW3G_B EK_DW3G_MAC("r8", "r9", "r10", "r11")
#define EK_DW3G_COL(ld) "\t" ld "\n\tsxtb16 r1, r0\n\tsxtb16 r0, r0, ror #8\n"
#define EK_DW3G_W(wo) "\tldrd r2, r3, [r12, #" wo "]\n"
/* Window row k: slot so, weights k0, k1, k2 at byte offsets w0, w1, w2. Columns right to
 * left: each tap's weights are loaded once for B's column and A's next one (COL writes
 * r0/r1 only, the MACs no register of r2/r3). */
#define EK_DW3G_PROW(so, w0, w1, w2)                                                            \
    "\tldr lr, [sp, #" so "]\n"                                                                 \
    EK_DW3G_COL("ldr r0, [lr, #12]") EK_DW3G_W(w2) EK_DW3G_B                                    \
    EK_DW3G_COL("ldr r0, [lr, #8]") EK_DW3G_A EK_DW3G_W(w1) EK_DW3G_B                           \
    EK_DW3G_COL("ldr r0, [lr, #4]") EK_DW3G_A EK_DW3G_W(w0) EK_DW3G_B                           \
    EK_DW3G_COL("ldr r0, [lr], #8") EK_DW3G_A                                                   \
    "\tstr lr, [sp, #" so "]\n"
#define EK_DW3G_RQ1(acc, t, dst, c)                                                             \
    "\tsmmlar " t ", " acc ", r0, r2\n\tadd " t ", " t ", " acc ", asr #31\n"                    \
    "\tasr " t ", " t ", r1\n\tssat " t ", #8, " t "\n\tstrb " t ", [" dst ", #" c "]\n"
/* The odd last pixel: window row from slot so, pixel A only; then its requantization. */
#define EK_DW3G_SROW(so, w0, w1, w2)                                                            \
    "\tldr lr, [sp, #" so "]\n"                                                                 \
    EK_DW3G_COL("ldr r0, [lr, #8]") EK_DW3G_W(w2) EK_DW3G_A                                     \
    EK_DW3G_COL("ldr r0, [lr, #4]") EK_DW3G_W(w1) EK_DW3G_A                                     \
    EK_DW3G_COL("ldr r0, [lr]") EK_DW3G_W(w0) EK_DW3G_A
#define EK_DW3G_RQS(a, mo, eo, c)                                                               \
    "\tldr r0, [r12, #" mo "]\n\tldrd r1, r2, [r12, #" eo "]\n" EK_DW3G_RQ1(a, "r3", "lr", c)
/* Channel c of A then B (t a free register; B's pixel at r3). */
#define EK_DW3G_RQ2(a, b, mo, eo, c)                                                            \
    "\tldr r0, [r12, #" mo "]\n\tldrd r1, r2, [r12, #" eo "]\n"                                  \
    EK_DW3G_RQ1(a, "r4", "lr", c) EK_DW3G_RQ1(b, "r4", "r3", c)
__asm__("\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global ek_dw3x3g_pairs_s1\n"
        "\t.thumb_func\n\t.type ek_dw3x3g_pairs_s1, %function\nek_dw3x3g_pairs_s1:\n"
        "\tpush {r4-r11, lr}\n\tsub sp, sp, #16\n\tstmia sp, {r0, r1, r2}\n\tmov r12, r3\n"
        "\tldr lr, [sp, #52]\n\tldr r0, [sp, #56]\n\tldr r1, [sp, #60]\n\tlsrs r0, r0, #1\n"
        "\tbeq 2f\n\tmul r0, r0, r1\n\tadd r0, lr, r0, lsl #1\n\tstr r0, [sp, #12]\n"
        "1:\n\tldrd r4, r5, [r12, #72]\n\tldrd r6, r7, [r12, #80]\n"
        "\tldrd r8, r9, [r12, #72]\n\tldrd r10, r11, [r12, #80]\n"
        EK_DW3G_PROW("0", "0", "8", "16") EK_DW3G_PROW("4", "24", "32", "40")
        EK_DW3G_PROW("8", "48", "56", "64")
        "\tldr lr, [sp, #52]\n\tldr r0, [r12, #88]\n\tldrd r1, r2, [r12, #104]\n"
        EK_DW3G_RQ1("r4", "r3", "lr", "0") "\tldr r3, [sp, #60]\n\tadd r3, lr, r3\n"
        EK_DW3G_RQ1("r8", "r4", "r3", "0") EK_DW3G_RQ2("r5", "r9", "92", "112", "1")
        EK_DW3G_RQ2("r6", "r10", "96", "120", "2") EK_DW3G_RQ2("r7", "r11", "100", "128", "3")
        "\tldr r0, [sp, #60]\n\tadd lr, r3, r0\n\tstr lr, [sp, #52]\n"
        "\tldr r0, [sp, #12]\n\tcmp lr, r0\n\tbne 1b\n"
        "2:\n\tldr r0, [sp, #56]\n\ttst r0, #1\n\tbeq 3f\n"
        "\tldrd r4, r5, [r12, #72]\n\tldrd r6, r7, [r12, #80]\n"
        EK_DW3G_SROW("0", "0", "8", "16") EK_DW3G_SROW("4", "24", "32", "40")
        EK_DW3G_SROW("8", "48", "56", "64")
        "\tldr lr, [sp, #52]\n"
        EK_DW3G_RQS("r4", "88", "104", "0") EK_DW3G_RQS("r5", "92", "112", "1")
        EK_DW3G_RQS("r6", "96", "120", "2") EK_DW3G_RQS("r7", "100", "128", "3")
        "3:\n\tadd sp, sp, #16\n\tpop {r4-r11, pc}\n\t.size ek_dw3x3g_pairs_s1, .-ek_dw3x3g_pairs_s1\n");
#else
static void dw3x3g_row(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int32_t *blk,
                       int8_t *out, int32_t n, int32_t c_all, int32_t step)
{
    for (int32_t i = 0; i < n; ++i, r0 += step, r1 += step, r2 += step, out += c_all) {
        int32_t a[4] = {blk[18], blk[19], blk[20], blk[21]};
        const int8_t *rows[3] = {r0, r1, r2};
        for (int32_t t = 0; t < 9; ++t) {
            const uint32_t v = ek_read_u32(rows[t / 3] + 4 * (t % 3));
            const uint32_t lo = ek_sxtb16(v), hi = ek_sxtb16_ror8(v);
            const uint32_t w0 = (uint32_t)blk[2 * t], w1 = (uint32_t)blk[2 * t + 1];
            a[0] = ek_smlabb(lo, w0, a[0]);
            a[2] = ek_smlatt(lo, w0, a[2]);
            a[1] = ek_smlabb(hi, w1, a[1]);
            a[3] = ek_smlatt(hi, w1, a[3]);
        }
        for (int32_t c = 0; c < 4; ++c) {
            /* ek_requant_double_bounded on the doubled accumulator; the output offset is folded
             * into the rounding constant (host-checked range). */
            /* t < 0 exactly when a < 0 (multipliers are 0 or >= 2^30), except a = -2 with
             * m = 2^30, where t = 0 and both give the same floor since 2^(e-1) - 1 < 2^e. */
            const int32_t t = ek_smmulr(a[c], blk[22 + c]) + blk[27 + 2 * c] + (a[c] >> 31);
            out[c] = (int8_t)ek_ssat8(t >> blk[26 + 2 * c]);
        }
    }
}
static void ek_dw3x3g_row_s2(const int8_t *r0, const int8_t *r1, const int8_t *r2, const int32_t *blk,
                             int8_t *out, int32_t n, int32_t c_all)
{
    dw3x3g_row(r0, r1, r2, blk, out, n, c_all, 8);
}
static void ek_dw3x3g_pairs_s1(const int8_t *r0, const int8_t *r1, const int8_t *r2,
                               const int32_t *blk, int8_t *out, int32_t n, int32_t c_all)
{
    dw3x3g_row(r0, r1, r2, blk, out, n, c_all, 4);
}
#endif

/* Padded row width of the group-major ring: exactly the windows' columns. */
static int32_t ring3g_width(const ek_dw_packed_params_t *p)
{
    return (p->output.w - 1) * p->win.stride_w + 3;
}

/* Input row (zero-point padded) into group-major layout: dst[g][x] = 4 channel bytes. Many
 * groups on a narrow row: column after column (the source read sequentially, each word wp*4
 * bytes on); few groups on a wide row: group after group (the loop overhead goes per loop). */
static void load_row_groups(const ek_dw_packed_params_t *p, const int8_t *src, int8_t *dst, int32_t wp)
{
    const int32_t c_all = p->input.c, pad_l = p->win.pad_left, in_w = p->input.w;
    const int32_t x_hi = pad_l + in_w < wp ? pad_l + in_w : wp;
    const uint32_t zp_word = 0x01010101u * (uint32_t)(uint8_t)(int8_t)p->input_zero_point;
    const size_t gs = (size_t)wp * 4;
    if ((c_all >> 2) * 2 < wp) {
        for (int32_t g = 0; g < c_all; g += 4) {
            int8_t *d = dst + (size_t)g * wp;
            const int8_t *s = src + g;
            int32_t x = 0;
            for (; x < pad_l; ++x, d += 4) {
                memcpy(d, &zp_word, 4);
            }
            for (; x < x_hi; ++x, d += 4, s += c_all) {
                const uint32_t v = ek_read_u32(s);
                memcpy(d, &v, 4);
            }
            for (; x < wp; ++x, d += 4) {
                memcpy(d, &zp_word, 4);
            }
        }
        return;
    }
    for (int32_t x = 0; x < wp; ++x) {
        int8_t *d = dst + (size_t)x * 4;
        int8_t *const d_end = d + (size_t)(c_all >> 2) * gs;
        if (x < pad_l || x >= x_hi) {
            for (; d != d_end; d += gs) {
                memcpy(d, &zp_word, 4);
            }
            continue;
        }
        const int8_t *s = src + (size_t)(x - pad_l) * c_all;
        for (; d != d_end; d += gs, s += 4) {
            const uint32_t v = ek_read_u32(s);
            memcpy(d, &v, 4);
        }
    }
}

static void depthwise_3x3_groups(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output,
                                 int8_t *scratch)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;
    const int32_t dh = p->win.dilation_h, rows = 2 * dh + 1, wp = ring3g_width(p);
    const int32_t out_h = p->output.h, out_w = p->output.w;
    const size_t slot = (size_t)wp * c_all;
    const size_t gstride = (size_t)wp * 4; /* bytes between groups inside a ring row */
    int32_t *tags = (int32_t *)(void *)scratch;
    int8_t *ring = scratch + 4 * rows;
    int8_t *zp_row = ring + (size_t)rows * slot;
    const uint32_t zp_word = 0x01010101u * (uint32_t)(uint8_t)(int8_t)p->input_zero_point;
    fill_word(zp_row, zp_word, (int32_t)slot);
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * c_all;
        int8_t *out_row = output + (size_t)b * out_h * out_w * c_all;
        for (int32_t r = 0; r < rows; ++r) {
            tags[r] = -1;
        }
        for (int32_t oy = 0; oy < out_h; ++oy, out_row += (size_t)out_w * c_all) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            const int8_t *tap[3];
            for (int32_t ky = 0; ky < 3; ++ky) {
                const int32_t y = y0 + ky * dh;
                if (y < 0 || y >= in_h) {
                    tap[ky] = zp_row;
                    continue;
                }
                int8_t *dst = ring + (size_t)(y % rows) * slot;
                if (tags[y % rows] != y) {
                    /* Only rows of this output row's window are read (planner contract). */
                    load_row_groups(p, in_b + (size_t)y * in_w * c_all, dst, wp);
                    tags[y % rows] = y;
                }
                tap[ky] = dst;
            }
            const int32_t *blk = p->blk;
            for (int32_t g = 0; g < c_all; g += 4, blk += EK_DW3G_WORDS) {
                const size_t o = (size_t)(g >> 2) * gstride;
                if (p->win.stride_w == 1) {
                    ek_dw3x3g_pairs_s1(tap[0] + o, tap[1] + o, tap[2] + o, blk, out_row + g, out_w, c_all);
                } else {
                    ek_dw3x3g_row_s2(tap[0] + o, tap[1] + o, tap[2] + o, blk, out_row + g, out_w, c_all);
                }
            }
        }
    }
}

/* ---- 3x3 kernel on a channel-major int16 ring (ek_depthwise_s8_3x3) ------------------- */

/* Raw accumulators of one channel along one output row: acc[i] = bias + sum over the three
 * rows of SMLAD(pair(x, x+1), (k0, k1)) + SMLAD(pair(x+2, x+3), (k2, 0)), x = i * stride.
 * w6 = {(k00,k01), (k02,0), (k10,k11), (k12,0), (k20,k21), (k22,0)}. */
#if defined(EK_ARM_DSP)
void ek_dw3x3_row_s1(const int16_t *r0, const int16_t *r1, const int16_t *r2, const uint32_t *w6,
                     int32_t *acc, int32_t n, int32_t bias);
void ek_dw3x3_row_s2(const int16_t *r0, const int16_t *r1, const int16_t *r2, const uint32_t *w6,
                     int32_t *acc, int32_t n, int32_t bias);
/* r0-r2 rows, r3 weights -> r4-r9, bias r3, r10 pair, r11 acc, r12 out, lr count. */
#define EK_DW3_ROW(name, step)                                                                 \
    "\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global " name "\n\t.thumb_func\n"         \
    "\t.type " name ", %function\n" name ":\n"                                                   \
    "\tpush {r4-r11, lr}\n\tldr r12, [sp, #36]\n\tldr lr, [sp, #40]\n\tldmia r3, {r4-r9}\n"      \
    "\tldr r3, [sp, #44]\n"                                                                      \
    "1:\n"                                                                                       \
    "\tldr r10, [r0, #4]\n\tsmlad r11, r10, r5, r3\n\tldr r10, [r0], #" step "\n"               \
    "\tsmlad r11, r10, r4, r11\n\tldr r10, [r1, #4]\n\tsmlad r11, r10, r7, r11\n"                \
    "\tldr r10, [r1], #" step "\n\tsmlad r11, r10, r6, r11\n\tldr r10, [r2, #4]\n"               \
    "\tsmlad r11, r10, r9, r11\n\tldr r10, [r2], #" step "\n\tsmlad r11, r10, r8, r11\n"         \
    "\tstr r11, [r12], #4\n\tsubs lr, lr, #1\n\tbne 1b\n\tpop {r4-r11, pc}\n"                   \
    "\t.size " name ", .-" name "\n"
__asm__(EK_DW3_ROW("ek_dw3x3_row_s1", "2"));
__asm__(EK_DW3_ROW("ek_dw3x3_row_s2", "4"));
#else
static void dw3x3_row(const int16_t *r0, const int16_t *r1, const int16_t *r2, const uint32_t *w6,
                      int32_t *acc, int32_t n, int32_t bias, int32_t stride)
{
    for (int32_t i = 0; i < n; ++i, r0 += stride, r1 += stride, r2 += stride) {
        int32_t a = ek_smlad(ek_read_u32(r0 + 2), w6[1], bias);
        a = ek_smlad(ek_read_u32(r0), w6[0], a);
        a = ek_smlad(ek_read_u32(r1 + 2), w6[3], a);
        a = ek_smlad(ek_read_u32(r1), w6[2], a);
        a = ek_smlad(ek_read_u32(r2 + 2), w6[5], a);
        acc[i] = ek_smlad(ek_read_u32(r2), w6[4], a);
    }
}
static void ek_dw3x3_row_s1(const int16_t *r0, const int16_t *r1, const int16_t *r2,
                            const uint32_t *w6, int32_t *acc, int32_t n, int32_t bias)
{
    dw3x3_row(r0, r1, r2, w6, acc, n, bias, 1);
}
static void ek_dw3x3_row_s2(const int16_t *r0, const int16_t *r1, const int16_t *r2,
                            const uint32_t *w6, int32_t *acc, int32_t n, int32_t bias)
{
    dw3x3_row(r0, r1, r2, w6, acc, n, bias, 2);
}
#endif

/* Padded row width of the 3x3 ring: the windows' columns plus one int16 so the (k2, 0)
 * pair of the last pixel stays inside. */
static int32_t ring3_width(const ek_dw_packed_params_t *p)
{
    return (p->output.w - 1) * p->win.stride_w + 3 + 1;
}

int32_t ek_depthwise_s8_3x3_get_buffer_size(const ek_dw_packed_params_t *p)
{
    const int32_t rows = 2 * p->win.dilation_h + 1;
    if (p->blk != NULL) {
        return 4 * rows + (rows + 1) * ring3g_width(p) * p->input.c;
    }
    return 4 * rows + (rows + 1) * ring3_width(p) * p->input.c * 2 + 4 * p->output.w;
}

/* Input row (zero-point padded) transposed to channel-major int16: dst[c][x]. */
static void load_row_i16(const ek_dw_packed_params_t *p, const int8_t *src, int16_t *dst, int32_t wp)
{
    const int32_t c_all = p->input.c, pad_l = p->win.pad_left, in_w = p->input.w;
    const int32_t x_hi = pad_l + in_w < wp ? pad_l + in_w : wp;
    const int16_t zp = (int16_t)p->input_zero_point;
    for (int32_t c = 0; c < c_all; ++c) {
        int16_t *d = dst + (size_t)c * wp;
        const int8_t *s = src + c;
        int32_t x = 0;
        for (; x < pad_l; ++x) {
            d[x] = zp;
        }
        for (; x < x_hi; ++x, s += c_all) {
            d[x] = *s;
        }
        for (; x < wp; ++x) {
            d[x] = zp;
        }
    }
}

void ek_depthwise_s8_3x3(const ek_dw_packed_params_t *p, const int8_t *input, int8_t *output,
                         int8_t *scratch)
{
    if (p->blk != NULL) {
        depthwise_3x3_groups(p, input, output, scratch);
        return;
    }
    const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;
    const int32_t dh = p->win.dilation_h, rows = 2 * dh + 1, wp = ring3_width(p);
    const int32_t out_h = p->output.h, out_w = p->output.w;
    const size_t slot = (size_t)wp * c_all;
    int32_t *tags = (int32_t *)(void *)scratch;
    int16_t *ring = (int16_t *)(void *)(scratch + 4 * rows);
    int16_t *zp_row = ring + (size_t)rows * slot;
    int32_t *acc = (int32_t *)(void *)(zp_row + slot);
    const int32_t off = p->output_offset, lo = p->act.min, hi = p->act.max;
    const uint32_t *w6 = (const uint32_t *)(const void *)p->weights; /* [C][6] words */
    for (size_t i = 0; i < slot; ++i) {
        zp_row[i] = (int16_t)p->input_zero_point;
    }
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * c_all;
        int8_t *out_b = output + (size_t)b * out_h * out_w * c_all;
        for (int32_t r = 0; r < rows; ++r) {
            tags[r] = -1;
        }
        for (int32_t oy = 0; oy < out_h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            const int16_t *tap[3];
            for (int32_t ky = 0; ky < 3; ++ky) {
                const int32_t y = y0 + ky * dh;
                if (y < 0 || y >= in_h) {
                    tap[ky] = zp_row;
                    continue;
                }
                int16_t *dst = ring + (size_t)(y % rows) * slot;
                if (tags[y % rows] != y) {
                    /* Only rows of this output row's window are read (planner contract). */
                    load_row_i16(p, in_b + (size_t)y * in_w * c_all, dst, wp);
                    tags[y % rows] = y;
                }
                tap[ky] = dst;
            }
            int8_t *out_row = out_b + (size_t)oy * out_w * c_all;
            for (int32_t c = 0; c < c_all; ++c) {
                const size_t co = (size_t)c * wp;
                const int32_t *q = p->qp + 4 * c; /* {bias, multiplier, e, 2^(e-1)} */
                if (p->win.stride_w == 1) {
                    ek_dw3x3_row_s1(tap[0] + co, tap[1] + co, tap[2] + co, w6 + 6 * c, acc, out_w, q[0]);
                } else {
                    ek_dw3x3_row_s2(tap[0] + co, tap[1] + co, tap[2] + co, w6 + 6 * c, acc, out_w, q[0]);
                }
                const int32_t m = q[1], e = q[2], rnd = q[3];
                int8_t *o = out_row + c;
                for (int32_t ox = 0; ox < out_w; ++ox, o += c_all) {
                    const int32_t v = ek_requant_double_bounded(acc[ox], m, e, rnd) + off;
                    *o = (int8_t)(v < lo ? lo : (v > hi ? hi : v));
                }
            }
        }
    }
}
