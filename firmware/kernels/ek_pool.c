/* Pooling kernels; see ek_pool.h. */
#include "ek_pool.h"

typedef enum { POOL_AVG, POOL_MAX } pool_kind_t;

/* The pooling loops for element type T (LOWEST its minimum, CLAMP its clamp). */
#define EK_DEFINE_POOL(NAME, T, LOWEST, CLAMP) \
    static void NAME(const ek_pool_params_t *p, const T *input, T *output, pool_kind_t kind)            \
    {                                                                                                   \
        const int32_t in_h = p->input.h, in_w = p->input.w, c_all = p->input.c;                         \
        for (int32_t b = 0; b < p->output.n; ++b) {                                                     \
            const T *in_b = input + (size_t)b * in_h * in_w * c_all;                                    \
            for (int32_t oy = 0; oy < p->output.h; ++oy) {                                              \
                const int32_t y0 = oy * p->win.stride_h - p->win.pad_top;                               \
                const int32_t fy0 = y0 < 0 ? -y0 : 0;                                                   \
                const int32_t fy1 = p->filter_h < in_h - y0 ? p->filter_h : in_h - y0;                  \
                for (int32_t ox = 0; ox < p->output.w; ++ox) {                                          \
                    const int32_t x0 = ox * p->win.stride_w - p->win.pad_left;                          \
                    const int32_t fx0 = x0 < 0 ? -x0 : 0;                                               \
                    const int32_t fx1 = p->filter_w < in_w - x0 ? p->filter_w : in_w - x0;              \
                    const int32_t count = (fy1 - fy0) * (fx1 - fx0);                                    \
                    for (int32_t c = 0; c < c_all; ++c) {                                               \
                        int32_t acc = kind == POOL_AVG ? 0 : (LOWEST);                                  \
                        for (int32_t fy = fy0; fy < fy1; ++fy) {                                        \
                            const T *row = in_b + ((size_t)(y0 + fy) * in_w + x0) * c_all + c;          \
                            for (int32_t fx = fx0; fx < fx1; ++fx) {                                    \
                                const int32_t v = row[(size_t)fx * c_all];                              \
                                if (kind == POOL_AVG) {                                                 \
                                    acc += v;                                                           \
                                } else if (v > acc) {                                                   \
                                    acc = v;                                                            \
                                }                                                                       \
                            }                                                                           \
                        }                                                                               \
                        if (kind == POOL_AVG && count > 0) {                                            \
                            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;      \
                        }                                                                               \
                        *output++ = CLAMP(acc, p->act.min, p->act.max);                                 \
                    }                                                                                   \
                }                                                                                       \
            }                                                                                           \
        }                                                                                               \
    }

EK_DEFINE_POOL(pool, int8_t, -128, ek_clamp_s8)
EK_DEFINE_POOL(pool_s16, int16_t, INT16_MIN, ek_clamp_s16)

void ek_avgpool_s8(const ek_pool_params_t *p, const int8_t *input, int8_t *output)
{
    pool(p, input, output, POOL_AVG);
}

void ek_maxpool_s8(const ek_pool_params_t *p, const int8_t *input, int8_t *output)
{
    pool(p, input, output, POOL_MAX);
}

void ek_avgpool_s16(const ek_pool_params_t *p, const int16_t *input, int16_t *output)
{
    pool_s16(p, input, output, POOL_AVG);
}

void ek_maxpool_s16(const ek_pool_params_t *p, const int16_t *input, int16_t *output)
{
    pool_s16(p, input, output, POOL_MAX);
}
