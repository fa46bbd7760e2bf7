/* MIRROR_PAD and TILE (and any op whose output coordinate d reads one input coordinate
 * chosen per axis): out[o_0, ..., o_{n-1}] = in at byte offset sum_d offsets_d[o_d],
 * each output element a block of inner_bytes. The host (edgekit/kernels/rearrange.py)
 * tabulates the per-axis byte offsets, so reflections and repeats cost a table lookup. */
#ifndef EK_REARRANGE_H
#define EK_REARRANGE_H

#include <stdint.h>

#define EK_AXIS_GATHER_MAX_DIMS 6

typedef struct {
    int32_t ndims; /* 1..EK_AXIS_GATHER_MAX_DIMS */
    int32_t dims[EK_AXIS_GATHER_MAX_DIMS];
    const int32_t *offsets; /* dims[0] entries for axis 0, then dims[1] for axis 1, ... */
    int32_t inner_bytes;    /* contiguous bytes copied per output element */
} ek_axis_gather_t;

void ek_axis_gather(const ek_axis_gather_t *p, const void *in, void *out);

#endif /* EK_REARRANGE_H */
