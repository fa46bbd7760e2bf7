/* Data-movement kernels (see ek_shape.h). */
#include "ek_shape.h"

#include <string.h>

void ek_strided_copy_s8(const ek_strided_copy_t *params, const int8_t *in, int8_t *out)
{
    const int32_t last = params->ndims - 1;
    const int32_t n = params->dims[last];
    const int32_t step = params->in_strides[last];
    int32_t index[EK_SHAPE_MAX_DIMS] = {0};
    int32_t rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        rows *= params->dims[d];
    }
    int32_t offset = params->start;
    for (int32_t r = 0; r < rows; ++r) {
        if (step == 1) {
            memcpy(out, in + offset, (size_t)n);
        } else {
            const int8_t *p = in + offset;
            for (int32_t i = 0; i < n; ++i) {
                out[i] = *p;
                p += step;
            }
        }
        out += n;
        for (int32_t d = last - 1; d >= 0; --d) {
            offset += params->in_strides[d];
            if (++index[d] < params->dims[d]) {
                break;
            }
            offset -= params->in_strides[d] * params->dims[d];
            index[d] = 0;
        }
    }
}

void ek_pad_s8(const ek_pad_params_t *params, const int8_t *in, int8_t *out)
{
    const int32_t last = params->ndims - 1;
    const int32_t row = params->out_dims[last];
    const int32_t before = params->pad_before[last];
    const int32_t width = params->in_dims[last];
    const int val = params->pad_value;
    int32_t index[EK_SHAPE_MAX_DIMS] = {0};
    int32_t rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        rows *= params->out_dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        int inside = 1;
        for (int32_t d = 0; d < last; ++d) {
            const int32_t i = index[d] - params->pad_before[d];
            inside &= i >= 0 && i < params->in_dims[d];
        }
        if (inside) {
            memset(out, val, (size_t)before);
            memcpy(out + before, in, (size_t)width);
            memset(out + before + width, val, (size_t)(row - before - width));
            in += width; /* input rows are consumed in order */
        } else {
            memset(out, val, (size_t)row);
        }
        out += row;
        for (int32_t d = last - 1; d >= 0; --d) {
            if (++index[d] < params->out_dims[d]) {
                break;
            }
            index[d] = 0;
        }
    }
}

void ek_copy_blocks_s8(const int8_t *in, int8_t *out, int32_t outer, int32_t chunk,
                       int32_t out_stride)
{
    for (int32_t o = 0; o < outer; ++o) {
        memcpy(out, in, (size_t)chunk);
        in += chunk;
        out += out_stride;
    }
}
