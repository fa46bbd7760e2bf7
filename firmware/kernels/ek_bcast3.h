/* Numpy broadcasting of up to three inputs over one output, as strides the host computed
 * (edgekit/kernels/compare.py plan_broadcast_n): the walk shared by the comparison,
 * logical, SELECT_V2, PRELU and SQUARED_DIFFERENCE kernels. Rows go front to back. */
#ifndef EK_BCAST3_H
#define EK_BCAST3_H

#include <stdint.h>

#define EK_BCAST3_MAX_DIMS 6

/* Output iteration space, outermost first; per-input element strides (0 = broadcast). */
typedef struct {
    int32_t ndims; /* 1..EK_BCAST3_MAX_DIMS */
    int32_t dims[EK_BCAST3_MAX_DIMS];
    int32_t stride[3][EK_BCAST3_MAX_DIMS];
} ek_bcast3_t;

/* `row` handles one innermost run of n elements: offset[k] is input k's first element,
 * step[k] its stride, out_index the run's first output element. */
typedef void (*ek_row3_fn)(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                           int32_t out_index);

void ek_walk3(const ek_bcast3_t *bc, ek_row3_fn row, const void *ctx);

#endif /* EK_BCAST3_H */
