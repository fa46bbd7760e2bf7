/* Register-blocked portable depthwise convolution; see ek_depthwise_blocked.h. */
#include "ek_depthwise_blocked.h"

/* The taps of one pixel that lie inside the image. */
typedef struct {
    const int8_t *x; /* input at the first inside tap, channel 0 */
    const int8_t *w; /* weights of that tap, channel 0 */
    int32_t rows, cols;
    int32_t x_row, w_row; /* steps between tap rows */
    int32_t x_col;        /* step between taps of a row (weights: C) */
} ek_dw_taps_t;

/* Channels c..c+3 over the taps: acc += (x + off) * w. `off` is 0 for interior pixels
 * (a constant after inlining, so the add disappears there). */
static inline void group4(const ek_dw_taps_t *t, int32_t c, int32_t chans, int32_t off, int32_t acc[4])
{
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *xr = t->x + c, *wr = t->w + c;
    for (int32_t r = 0; r < t->rows; ++r, xr += t->x_row, wr += t->w_row) {
        const int8_t *x = xr, *w = wr;
        for (int32_t k = 0; k < t->cols; ++k, x += t->x_col, w += chans) {
            a0 += (x[0] + off) * w[0];
            a1 += (x[1] + off) * w[1];
            a2 += (x[2] + off) * w[2];
            a3 += (x[3] + off) * w[3];
        }
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

static inline int32_t group1(const ek_dw_taps_t *t, int32_t c, int32_t chans, int32_t off, int32_t a)
{
    const int8_t *xr = t->x + c, *wr = t->w + c;
    for (int32_t r = 0; r < t->rows; ++r, xr += t->x_row, wr += t->w_row) {
        const int8_t *x = xr, *w = wr;
        for (int32_t k = 0; k < t->cols; ++k, x += t->x_col, w += chans) {
            a += (x[0] + off) * w[0];
        }
    }
    return a;
}

static inline int8_t requant(const ek_dw_blocked_params_t *p, int32_t acc, int32_t c)
{
    return ek_clamp_s8(ek_requant_double_fast(acc, p->multiplier[c], p->shift[c]) + p->output_offset,
                       p->act.min, p->act.max);
}

/* First and one-past-last k with origin + k * step in [0, size), k in [0, n). */
static inline void clip(int32_t origin, int32_t step, int32_t size, int32_t n, int32_t *lo, int32_t *hi)
{
    int32_t a = 0, b = n;
    while (a < n && origin + a * step < 0) {
        ++a;
    }
    while (b > a && origin + (b - 1) * step >= size) {
        --b;
    }
    *lo = a;
    *hi = b;
}

static void pixel(const ek_dw_blocked_params_t *p, const ek_dw_taps_t *t, int interior, int8_t *out)
{
    const int32_t chans = p->output.c, off = p->input_offset;
    const int32_t *bias = interior ? p->bias_folded : p->bias;
    int32_t c = 0;
    for (; c + 4 <= chans; c += 4) {
        int32_t acc[4] = {bias[c], bias[c + 1], bias[c + 2], bias[c + 3]};
        if (interior) {
            group4(t, c, chans, 0, acc);
        } else {
            group4(t, c, chans, off, acc);
        }
        for (int32_t i = 0; i < 4; ++i) {
            out[c + i] = requant(p, acc[i], c + i);
        }
    }
    for (; c < chans; ++c) {
        out[c] = requant(p, interior ? group1(t, c, chans, 0, bias[c]) : group1(t, c, chans, off, bias[c]), c);
    }
}

void ek_depthwise_s8_blocked(const ek_dw_blocked_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, chans = p->input.c;
    const int32_t kh = p->filter.h, kw = p->filter.w;
    const int32_t dh = p->win.dilation_h, dw = p->win.dilation_w;
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * chans;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;
            int32_t ky0, ky1;
            clip(y0, dh, in_h, kh, &ky0, &ky1);
            for (int32_t ox = 0; ox < p->output.w; ++ox, output += chans) {
                const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;
                int32_t kx0, kx1;
                clip(x0, dw, in_w, kw, &kx0, &kx1);
                ek_dw_taps_t t;
                t.rows = ky1 - ky0;
                t.cols = kx1 - kx0;
                t.x_row = dh * in_w * chans;
                t.w_row = kw * chans;
                t.x_col = dw * chans;
                if (t.rows <= 0 || t.cols <= 0) {
                    t.rows = 0; /* no tap inside: the bias alone */
                    t.x = in_b;
                    t.w = p->weights;
                } else {
                    t.x = in_b + ((size_t)(y0 + ky0 * dh) * in_w + x0 + kx0 * dw) * chans;
                    t.w = p->weights + ((size_t)ky0 * kw + kx0) * chans;
                }
                pixel(p, &t, ky0 == 0 && ky1 == kh && kx0 == 0 && kx1 == kw, output);
            }
        }
    }
}
