/* int8 reductions (see ek_reduce.h). */
#include "ek_reduce.h"

#include "ek_requant.h"

/* Advance an odometer over dims/strides (outermost first); returns the new offset. */
static int32_t ek_step(int32_t *index, const int32_t *dims, const int32_t *strides, int32_t n,
                       int32_t offset)
{
    for (int32_t d = n - 1; d >= 0; --d) {
        offset += strides[d];
        if (++index[d] < dims[d]) {
            return offset;
        }
        offset -= strides[d] * dims[d];
        index[d] = 0;
    }
    return offset;
}

static int32_t ek_count(const int32_t *dims, int32_t n)
{
    int32_t count = 1;
    for (int32_t d = 0; d < n; ++d) {
        count *= dims[d];
    }
    return count;
}

/* The reductions for element type T in [LO, HI]: ONE reduces the elements of one output
 * (the innermost reduced dimension as a plain loop), NAME walks the outputs. */
#define EK_DEFINE_REDUCE(NAME, ONE, T, LO, HI) \
    static int32_t ONE(const ek_reduce_shape_t *s, ek_reduce_mode_t mode, const T *base)            \
    {                                                                                               \
        const int32_t last = s->nred - 1;                                                           \
        const int32_t n = s->red_dims[last];                                                        \
        const int32_t stride = s->red_strides[last];                                                \
        const int32_t rows = ek_count(s->red_dims, last);                                           \
        int32_t index[EK_REDUCE_MAX_DIMS] = {0};                                                    \
        int32_t offset = 0;                                                                         \
        int32_t acc = mode == EK_REDUCE_MAX ? (LO) : (mode == EK_REDUCE_MIN ? (HI) : 0);            \
        for (int32_t r = 0; r < rows; ++r) {                                                        \
            const T *p = base + offset;                                                             \
            if (mode == EK_REDUCE_MAX) {                                                            \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                      \
                    acc = *p > acc ? *p : acc;                                                      \
                }                                                                                   \
            } else if (mode == EK_REDUCE_MIN) {                                                     \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                      \
                    acc = *p < acc ? *p : acc;                                                      \
                }                                                                                   \
            } else {                                                                                \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                      \
                    acc += *p;                                                                      \
                }                                                                                   \
            }                                                                                       \
            offset = ek_step(index, s->red_dims, s->red_strides, last, offset);                     \
        }                                                                                           \
        return acc;                                                                                 \
    }                                                                                               \
                                                                                                    \
    void NAME(const ek_reduce_shape_t *shape, const ek_reduce_params_t *params, const T *in, T *out)\
    {                                                                                               \
        const ek_reduce_mode_t mode = params->mode;                                                 \
        const int32_t outputs = ek_count(shape->keep_dims, shape->nkeep);                           \
        int32_t index[EK_REDUCE_MAX_DIMS] = {0};                                                    \
        int32_t offset = 0;                                                                         \
        for (int32_t o = 0; o < outputs; ++o) {                                                     \
            const int32_t acc = ONE(shape, mode, in + offset);                                      \
            if (mode == EK_REDUCE_SUM) {                                                            \
                const int32_t y = ek_requant_double(acc + params->in_offset, params->multiplier,    \
                                                    params->shift);                                 \
                out[o] = (T)(y + params->out_zero_point < (LO) ? (LO) : (y + params->out_zero_point > (HI) ? (HI) : y + params->out_zero_point));\
            } else {                                                                                \
                out[o] = (T)acc;                                                                    \
            }                                                                                       \
            offset = ek_step(index, shape->keep_dims, shape->keep_strides, shape->nkeep, offset);   \
        }                                                                                           \
    }

EK_DEFINE_REDUCE(ek_reduce_s8, ek_reduce_one, int8_t, -128, 127)
EK_DEFINE_REDUCE(ek_reduce_s16, ek_reduce_one_s16, int16_t, INT16_MIN, INT16_MAX)

/* One reduced dimension (the host checks it): walk it, keep the first extreme. */
static void ek_arg_s8(const ek_reduce_shape_t *shape, const int8_t *in, void *out,
                      int32_t out_is_int64, int32_t sign)
{
    const int32_t n = shape->red_dims[0];
    const int32_t stride = shape->red_strides[0];
    const int32_t outputs = ek_count(shape->keep_dims, shape->nkeep);
    int32_t index[EK_REDUCE_MAX_DIMS] = {0};
    int32_t offset = 0;
    for (int32_t o = 0; o < outputs; ++o) {
        const int8_t *p = in + offset;
        int32_t best = sign * p[0];
        int32_t at = 0;
        for (int32_t i = 1; i < n; ++i) {
            const int32_t v = sign * p[i * stride];
            if (v > best) {
                best = v;
                at = i;
            }
        }
        if (out_is_int64) {
            ((int64_t *)out)[o] = at;
        } else {
            ((int32_t *)out)[o] = at;
        }
        offset = ek_step(index, shape->keep_dims, shape->keep_strides, shape->nkeep, offset);
    }
}

void ek_arg_max_s8(const ek_reduce_shape_t *shape, const int8_t *in, void *out,
                   int32_t out_is_int64)
{
    ek_arg_s8(shape, in, out, out_is_int64, 1);
}

void ek_arg_min_s8(const ek_reduce_shape_t *shape, const int8_t *in, void *out,
                   int32_t out_is_int64)
{
    ek_arg_s8(shape, in, out, out_is_int64, -1);
}
