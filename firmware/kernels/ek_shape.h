/* Data-movement kernels (any 1-byte element type): TRANSPOSE and STRIDED_SLICE as one
 * strided copy, PAD / PADV2, and the per-input block copy of CONCATENATION. The host
 * (edgekit/kernels/shape.py) resolves permutations, slice masks and paddings into the
 * plain counts and strides below and merges dimensions wherever it can. RESHAPE,
 * SQUEEZE and EXPAND_DIMS need no kernel: the output aliases the input.
 */
#ifndef EK_SHAPE_H
#define EK_SHAPE_H

#include <stdint.h>

#define EK_SHAPE_MAX_DIMS 6

/* out (contiguous, dims outermost first) = in[start + sum_d index_d * in_strides[d]] */
typedef struct {
    int32_t ndims; /* 1..EK_SHAPE_MAX_DIMS */
    int32_t dims[EK_SHAPE_MAX_DIMS];
    int32_t in_strides[EK_SHAPE_MAX_DIMS]; /* elements; may be 0 or negative */
    int32_t start;
} ek_strided_copy_t;

/* Output of PAD: in_dims copied at offset pad_before in out_dims, the rest pad_value. */
typedef struct {
    int32_t ndims; /* 1..EK_SHAPE_MAX_DIMS */
    int32_t out_dims[EK_SHAPE_MAX_DIMS];
    int32_t in_dims[EK_SHAPE_MAX_DIMS];
    int32_t pad_before[EK_SHAPE_MAX_DIMS];
    int32_t pad_value;
} ek_pad_params_t;

void ek_strided_copy_s8(const ek_strided_copy_t *params, const int8_t *in, int8_t *out);
void ek_pad_s8(const ek_pad_params_t *params, const int8_t *in, int8_t *out);
/* CONCATENATION, one call per input: for o < outer, copy in[o*chunk .. +chunk) to
 * out[o*out_stride .. +chunk) (out already offset to this input's slot). */
void ek_copy_blocks_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t chunk,
                       int32_t out_stride);

#endif /* EK_SHAPE_H */
