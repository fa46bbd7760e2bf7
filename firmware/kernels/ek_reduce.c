/* int8 reductions (see ek_reduce.h). */
#include "ek_reduce.h"

#include "ek_common.h"
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

/* Reduce the elements of one output (element type T in [LO, HI]), the innermost reduced
 * dimension as a plain loop. */
#define EK_DEFINE_REDUCE_ONE(ONE, T, LO, HI)                                                       \
    static int32_t ONE(const ek_reduce_shape_t *s, ek_reduce_mode_t mode, const T *base)           \
    {                                                                                              \
        const int32_t last = s->nred - 1;                                                          \
        const int32_t n = s->red_dims[last];                                                       \
        const int32_t stride = s->red_strides[last];                                               \
        const int32_t rows = ek_count(s->red_dims, last);                                          \
        int32_t index[EK_REDUCE_MAX_DIMS] = {0};                                                   \
        int32_t offset = 0;                                                                        \
        int32_t acc = mode == EK_REDUCE_MAX ? (LO) : (mode == EK_REDUCE_MIN ? (HI) : 0);           \
        for (int32_t r = 0; r < rows; ++r) {                                                       \
            const T *p = base + offset;                                                            \
            if (mode == EK_REDUCE_MAX) {                                                           \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                     \
                    acc = *p > acc ? *p : acc;                                                     \
                }                                                                                  \
            } else if (mode == EK_REDUCE_MIN) {                                                    \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                     \
                    acc = *p < acc ? *p : acc;                                                     \
                }                                                                                  \
            } else {                                                                               \
                for (int32_t i = 0; i < n; ++i, p += stride) {                                     \
                    acc += *p;                                                                     \
                }                                                                                  \
            }                                                                                      \
            offset = ek_step(index, s->red_dims, s->red_strides, last, offset);                    \
        }                                                                                          \
        return acc;                                                                                \
    }

EK_DEFINE_REDUCE_ONE(ek_reduce_one, int8_t, -128, 127)
EK_DEFINE_REDUCE_ONE(ek_reduce_one_s16, int16_t, INT16_MIN, INT16_MAX)

/* Every output in order: ONE reduces it, SUM_OUT requantizes a MEAN/SUM (T the type). */
#define EK_REDUCE_WALK(T, ONE, SUM_OUT)                                                         \
    const int32_t outputs = ek_count(shape->keep_dims, shape->nkeep);                           \
    int32_t index[EK_REDUCE_MAX_DIMS] = {0};                                                    \
    int32_t offset = 0;                                                                         \
    for (int32_t o = 0; o < outputs; ++o) {                                                     \
        const int32_t acc = ONE(shape, mode, in + offset);                                      \
        out[o] = mode == EK_REDUCE_SUM ? SUM_OUT(params, acc) : (T)acc;                         \
        offset = ek_step(index, shape->keep_dims, shape->keep_strides, shape->nkeep, offset);   \
    }

static int8_t ek_reduce_sum_out(const ek_reduce_params_t *params, int32_t acc)
{
    const int32_t y = ek_requant_double(acc + params->in_offset, params->multiplier, params->shift);
    return ek_clamp_s8(y + params->out_zero_point, -128, 127);
}

#if defined(EK_ARM_DSP)
/* Bytes 1 and 3 of w, sign-extended, added to the two int16 lanes of acc. */
static inline uint32_t ek_sxtab16_ror8(uint32_t acc, uint32_t w)
{
    uint32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(w));
    return r;
}

static int ek_reduce_sum4_layout(const ek_reduce_shape_t *s)
{
    return s->nkeep == 1 && s->keep_strides[0] == 1 && s->nred == 1;
}

/* MEAN/SUM of one strided run per output with the outputs contiguous (the spatial mean
 * of NHWC): four outputs per 32-bit load, two SXTAB16 into int16 lanes, which 255 rows
 * of |x| <= 128 cannot overflow, then flushed into int32. Integer sums: the same bytes
 * as the portable loop. Returns the number of outputs done (a multiple of 4); the
 * caller does the rest. */
static int32_t ek_reduce_sum4_dsp(const ek_reduce_shape_t *s, const ek_reduce_params_t *params,
                                  const int8_t *in, int8_t *out)
{
    const int32_t outputs = s->keep_dims[0] & ~3;
    const int32_t n = s->red_dims[0], stride = s->red_strides[0];
    for (int32_t o = 0; o < outputs; o += 4) {
        int32_t acc[4] = {0, 0, 0, 0};
        const int8_t *p = in + o;
        for (int32_t left = n; left > 0; left -= 255) {
            const int32_t chunk = left < 255 ? left : 255;
            uint32_t even = 0, odd = 0;
            for (int32_t i = 0; i < chunk; ++i, p += stride) {
                const uint32_t w = ek_read_u32(p);
                even = __sxtab16(even, w);
                odd = ek_sxtab16_ror8(odd, w);
            }
            acc[0] += (int16_t)(even & 0xFFFFu);
            acc[1] += (int16_t)(odd & 0xFFFFu);
            acc[2] += (int16_t)(even >> 16);
            acc[3] += (int16_t)(odd >> 16);
        }
        for (int32_t k = 0; k < 4; ++k) {
            out[o + k] = ek_reduce_sum_out(params, acc[k]);
        }
    }
    return outputs;
}
#endif

void ek_reduce_s8(const ek_reduce_shape_t *shape, const ek_reduce_params_t *params,
                  const int8_t *in, int8_t *out)
{
    const ek_reduce_mode_t mode = params->mode;
#if defined(EK_ARM_DSP)
    if (mode == EK_REDUCE_SUM && ek_reduce_sum4_layout(shape)) {
        for (int32_t o = ek_reduce_sum4_dsp(shape, params, in, out); o < shape->keep_dims[0]; ++o) {
            out[o] = ek_reduce_sum_out(params, ek_reduce_one(shape, mode, in + o));
        }
        return;
    }
#endif
    EK_REDUCE_WALK(int8_t, ek_reduce_one, ek_reduce_sum_out);
}

static int16_t ek_reduce_sum_out_s16(const ek_reduce_params_t *params, int32_t acc)
{
    const int32_t y = ek_requant_double(acc + params->in_offset, params->multiplier, params->shift);
    return ek_clamp_s16(y + params->out_zero_point, INT16_MIN, INT16_MAX);
}

void ek_reduce_s16(const ek_reduce_shape_t *shape, const ek_reduce_params_t *params,
                   const int16_t *in, int16_t *out)
{
    const ek_reduce_mode_t mode = params->mode;
    EK_REDUCE_WALK(int16_t, ek_reduce_one_s16, ek_reduce_sum_out_s16);
}

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
