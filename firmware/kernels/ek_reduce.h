/* int8 reductions over any axes (MEAN, SUM, REDUCE_MAX, REDUCE_MIN) and ARG_MAX/ARG_MIN,
 * bit-exact with TF's reference kernels and TFLite Micro. The host resolves the axes
 * into two strided iteration spaces over the input (edgekit/kernels/reduce.py): the kept
 * dimensions, in output order, and the reduced ones. MEAN and SUM requantize
 * sum - zp_in * n with MultiplyByQuantizedMultiplier (the 1/n of MEAN is folded into the
 * multiplier on the host); REDUCE_MAX/MIN and ARG_* compare raw values.
 *
 * Output k is written after every input it reads, but later outputs may read inputs that
 * lie before it, so these kernels do NOT run in place.
 */
#ifndef EK_REDUCE_H
#define EK_REDUCE_H

#include <stdint.h>

#define EK_REDUCE_MAX_DIMS 6

typedef struct {
    int32_t nkeep; /* 1..EK_REDUCE_MAX_DIMS */
    int32_t keep_dims[EK_REDUCE_MAX_DIMS];
    int32_t keep_strides[EK_REDUCE_MAX_DIMS]; /* in input elements */
    int32_t nred;
    int32_t red_dims[EK_REDUCE_MAX_DIMS];
    int32_t red_strides[EK_REDUCE_MAX_DIMS];
} ek_reduce_shape_t;

typedef enum {
    EK_REDUCE_SUM = 0, /* requantized sum: MEAN and SUM */
    EK_REDUCE_MAX = 1,
    EK_REDUCE_MIN = 2
} ek_reduce_mode_t;

typedef struct {
    ek_reduce_mode_t mode;
    int32_t in_offset; /* -zp_in * n */
    int32_t multiplier;
    int32_t shift;
    int32_t out_zero_point;
} ek_reduce_params_t;

void ek_reduce_s8(const ek_reduce_shape_t *shape, const ek_reduce_params_t *params,
                  const int8_t *in, int8_t *out);
/* int16 form (int16x8 models): the same reductions over int16 elements. */
void ek_reduce_s16(const ek_reduce_shape_t *shape, const ek_reduce_params_t *params,
                   const int16_t *in, int16_t *out);

/* out: int32_t[] (out_is_int64 == 0) or int64_t[]; the first index of the extreme. */
void ek_arg_max_s8(const ek_reduce_shape_t *shape, const int8_t *in, void *out,
                   int32_t out_is_int64);
void ek_arg_min_s8(const ek_reduce_shape_t *shape, const int8_t *in, void *out,
                   int32_t out_is_int64);

#endif /* EK_REDUCE_H */
