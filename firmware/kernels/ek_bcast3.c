/* The broadcast walk (see ek_bcast3.h). */
#include "ek_bcast3.h"

void ek_walk3(const ek_bcast3_t *bc, ek_row3_fn row, const void *ctx)
{
    const int32_t last = bc->ndims - 1;
    const int32_t n = bc->dims[last];
    const int32_t step[3] = {bc->stride[0][last], bc->stride[1][last], bc->stride[2][last]};
    int32_t index[EK_BCAST3_MAX_DIMS] = {0};
    int32_t offset[3] = {0, 0, 0};
    int32_t rows = 1;
    for (int32_t d = 0; d < last; ++d) {
        rows *= bc->dims[d];
    }
    for (int32_t r = 0; r < rows; ++r) {
        row(ctx, offset, step, n, r * n);
        for (int32_t d = last - 1; d >= 0; --d) {
            for (int32_t k = 0; k < 3; ++k) {
                offset[k] += bc->stride[k][d];
            }
            if (++index[d] < bc->dims[d]) {
                break;
            }
            for (int32_t k = 0; k < 3; ++k) {
                offset[k] -= bc->stride[k][d] * bc->dims[d];
            }
            index[d] = 0;
        }
    }
}

