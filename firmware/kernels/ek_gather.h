/* GATHER / EMBEDDING_LOOKUP / GATHER_ND: slice copies chosen by int32 or int64 indices,
 * any element type (the host gives sizes in bytes). An index outside the table (TFLite
 * fails the invoke) produces a slice of zeros; the functions return how many there were. */
#ifndef EK_GATHER_H
#define EK_GATHER_H

#include <stdint.h>

#define EK_GATHER_ND_MAX_DEPTH 6

/* out[b][o][i] = params[b][o][indices[b][i]] with slices of inner_bytes. */
typedef struct {
    int32_t batches;     /* product of the batch_dims leading dimensions */
    int32_t outer;       /* dimensions between batch_dims and axis */
    int32_t axis_size;   /* size of the gathered axis */
    int32_t inner_bytes; /* bytes of one slice (dimensions after axis) */
    int32_t coords;      /* indices per batch */
    int32_t index_bytes; /* 4 (int32) or 8 (int64) */
} ek_gather_t;

/* out[i] = params[indices[i][0], ..., indices[i][depth-1]] (a slice of slice_bytes). */
typedef struct {
    int32_t count; /* index tuples */
    int32_t depth;
    int32_t dims[EK_GATHER_ND_MAX_DEPTH];    /* params dimensions indexed */
    int32_t strides[EK_GATHER_ND_MAX_DEPTH]; /* in slices */
    int32_t slice_bytes;
    int32_t index_bytes; /* 4 or 8 */
} ek_gather_nd_t;

int32_t ek_gather(const ek_gather_t *p, const void *params, const void *indices, void *out);
int32_t ek_gather_nd(const ek_gather_nd_t *p, const void *params, const void *indices, void *out);

#endif /* EK_GATHER_H */
