/* AVERAGE_POOL_2D and MAX_POOL_2D on four channels per 32-bit word (DSP boards, C % 4 == 0,
 * filter_w <= 255); see ek_pool_x4.h. Same window clipping, rounding and clamping as pool() in
 * ek_pool.c. On Arm (EK_ARM_DSP) a word of 4 int8 is summed by two SXTAB16 into int16 lanes
 * (bytes 0, 2 and 1, 3), flushed into int32 before 256 values can overflow a lane, and its
 * lane-wise maximum is SSUB8 (GE flags per byte) then SEL; elsewhere plain C gives the same
 * words, so the host tests run this file's loops under the sanitizers. */
#include "ek_pool_x4.h"

#if defined(EK_ARM_DSP)
static inline uint32_t pool_add_even(uint32_t acc, uint32_t w) { return __sxtab16(acc, w); }
static inline uint32_t pool_add_odd(uint32_t acc, uint32_t w)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(w));
    return r;
}
/* Lane-wise signed max / min of 4 int8 lanes: SSUB8 sets GE[i] where a[i] >= b[i]. */
static inline uint32_t pool_max4(uint32_t a, uint32_t b)
{
    (void)__ssub8(a, b);
    return __sel(a, b);
}
static inline uint32_t pool_min4(uint32_t a, uint32_t b)
{
    (void)__ssub8(a, b);
    return __sel(b, a);
}
#else
static inline uint32_t pool_lane16_add(uint32_t acc, int32_t shift, int32_t v)
{
    const uint32_t lane = (uint32_t)(uint16_t)((uint32_t)(acc >> shift) + (uint32_t)v);
    return (acc & ~(0xFFFFu << shift)) | (lane << shift);
}
static inline uint32_t pool_add_even(uint32_t acc, uint32_t w)
{
    acc = pool_lane16_add(acc, 0, (int8_t)(w & 0xFFu));
    return pool_lane16_add(acc, 16, (int8_t)((w >> 16) & 0xFFu));
}
static inline uint32_t pool_add_odd(uint32_t acc, uint32_t w) { return pool_add_even(acc, w >> 8); }
static inline uint32_t pool_pick4(uint32_t a, uint32_t b, int32_t want_max)
{
    uint32_t r = 0;
    for (int32_t i = 0; i < 32; i += 8) {
        const int32_t x = (int8_t)((a >> i) & 0xFFu), y = (int8_t)((b >> i) & 0xFFu);
        const int32_t keep_a = want_max ? x >= y : x < y;
        r |= (uint32_t)(uint8_t)(int8_t)(keep_a ? x : y) << i;
    }
    return r;
}
static inline uint32_t pool_max4(uint32_t a, uint32_t b) { return pool_pick4(a, b, 1); }
static inline uint32_t pool_min4(uint32_t a, uint32_t b) { return pool_pick4(a, b, 0); }
#endif

static inline uint32_t pool_splat(int32_t v) { return 0x01010101u * (uint32_t)(uint8_t)(int8_t)v; }

/* Clipped window of one output pixel (the same bounds as pool() in ek_pool.c). */
typedef struct {
    const int8_t *first; /* input at (y0 + fy0, x0 + fx0), channel 0 */
    int32_t rows, cols, count;
} pool_window_t;

static pool_window_t pool_window(const ek_pool_params_t *p, const int8_t *in_b, int32_t oy, int32_t ox)
{
    const int32_t in_h = p->input.h, in_w = p->input.w;
    const int32_t y0 = oy * p->win.stride_h - p->win.pad_top, x0 = ox * p->win.stride_w - p->win.pad_left;
    const int32_t fy0 = y0 < 0 ? -y0 : 0, fx0 = x0 < 0 ? -x0 : 0;
    const int32_t fy1 = p->filter_h < in_h - y0 ? p->filter_h : in_h - y0;
    const int32_t fx1 = p->filter_w < in_w - x0 ? p->filter_w : in_w - x0;
    pool_window_t w = {in_b, 0, 0, 0};
    if (fy1 > fy0 && fx1 > fx0) {
        w.first = in_b + ((size_t)(y0 + fy0) * in_w + (x0 + fx0)) * p->input.c;
        w.rows = fy1 - fy0;
        w.cols = fx1 - fx0;
        w.count = w.rows * w.cols;
    }
    return w;
}

static inline int32_t pool_mean(int32_t acc, int32_t count, const ek_act_t *act)
{
    if (count > 0) {
        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
    }
    return ek_clamp_s8(acc, act->min, act->max);
}

/* Four channels of one window: int16 lane sums, flushed into int32 every `rows_per_flush`
 * rows (rows_per_flush * cols <= 255, so |lane| <= 255 * 128 < 2^15). */
static void avg_group(const pool_window_t *w, const int8_t *src, size_t row_step, size_t c_all,
                      int32_t rows_per_flush, const ek_act_t *act, int8_t *dst)
{
    int32_t acc[4] = {0, 0, 0, 0};
    for (int32_t r = 0; r < w->rows;) {
        const int32_t end = w->rows - r < rows_per_flush ? w->rows : r + rows_per_flush;
        uint32_t even = 0, odd = 0;
        for (; r < end; ++r, src += row_step) {
            const int8_t *s = src;
            for (int32_t x = 0; x < w->cols; ++x, s += c_all) {
                const uint32_t v = ek_read_u32(s);
                even = pool_add_even(even, v);
                odd = pool_add_odd(odd, v);
            }
        }
        acc[0] += (int16_t)(even & 0xFFFFu);
        acc[1] += (int16_t)(odd & 0xFFFFu);
        acc[2] += (int16_t)(even >> 16);
        acc[3] += (int16_t)(odd >> 16);
    }
    for (int32_t k = 0; k < 4; ++k) {
        dst[k] = pool_mean(acc[k], w->count, act);
    }
}

static uint32_t max_group(const pool_window_t *w, const int8_t *src, size_t row_step, size_t c_all)
{
    uint32_t m = pool_splat(-128);
    for (int32_t r = 0; r < w->rows; ++r, src += row_step) {
        const int8_t *s = src;
        for (int32_t x = 0; x < w->cols; ++x, s += c_all) {
            m = pool_max4(m, ek_read_u32(s));
        }
    }
    return m;
}

static void pool_x4(const ek_pool_params_t *p, const int8_t *input, int8_t *output, int32_t is_max)
{
    const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;
    const size_t row_step = (size_t)in_w * c_all;
    /* filter_w <= 255 (host-checked); a run of whole rows has count <= 255 (below) */
    const int32_t rows_per_flush = 255 / p->filter_w;
    const uint32_t lo = pool_splat(p->act.min), hi = pool_splat(p->act.max);
    for (int32_t b = 0; b < p->output.n; ++b) {
        const int8_t *in_b = input + (size_t)b * in_h * in_w * c_all;
        for (int32_t oy = 0; oy < p->output.h; ++oy) {
            for (int32_t ox = 0; ox < p->output.w; ++ox, output += c_all) {
                pool_window_t w = pool_window(p, in_b, oy, ox);
                if (w.rows > 1 && w.cols == in_w && w.count <= 255) {
                    /* Whole input rows (a global pool): one run of count words, one flush. */
                    w.cols = w.count;
                    w.rows = 1;
                }
                for (int32_t g = 0; g < c_all; g += 4) {
                    if (is_max) {
                        const uint32_t m = pool_min4(pool_max4(max_group(&w, w.first + g, row_step, (size_t)c_all),
                                                               lo), hi);
                        memcpy(output + g, &m, 4);
                    } else {
                        avg_group(&w, w.first + g, row_step, (size_t)c_all, rows_per_flush, &p->act, output + g);
                    }
                }
            }
        }
    }
}

void ek_avgpool_s8_x4(const ek_pool_params_t *p, const int8_t *input, int8_t *output)
{
    pool_x4(p, input, output, 0);
}

void ek_maxpool_s8_x4(const ek_pool_params_t *p, const int8_t *input, int8_t *output)
{
    pool_x4(p, input, output, 1);
}
