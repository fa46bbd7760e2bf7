/* Tensors written from a value or from shapes: FILL, ZEROS_LIKE (memset), BROADCAST_ARGS,
 * CAST between integer/bool types, DYNAMIC_UPDATE_SLICE. BROADCAST_TO is a strided copy
 * with stride 0 (ek_shape.h), SHAPE a constant. */
#ifndef EK_FILL_H
#define EK_FILL_H

#include <stdint.h>

#define EK_UPDATE_MAX_DIMS 6

/* Element types of CAST (the host names them; values as in TFLite's TensorType). */
typedef enum {
    EK_TYPE_INT32 = 2,
    EK_TYPE_UINT8 = 3,
    EK_TYPE_INT64 = 4,
    EK_TYPE_BOOL = 6,
    EK_TYPE_INT16 = 7,
    EK_TYPE_INT8 = 9,
    EK_TYPE_UINT32 = 15,
    EK_TYPE_UINT16 = 17
} ek_type_t;

/* out = count copies of the element_bytes at value. */
void ek_fill(void *out, const void *value, int32_t element_bytes, int32_t count);

/* BROADCAST_ARGS: out = the broadcast of shapes a (na entries) and b (nb), right-aligned;
 * index_bytes 4 (int32) or 8 (int64) for all three. Returns 1 if they do not broadcast. */
int32_t ek_broadcast_args(const void *a, int32_t na, const void *b, int32_t nb, void *out,
                          int32_t index_bytes);

/* CAST: count elements, C conversions (wrap on narrowing, bool = value != 0). */
void ek_cast(const void *in, ek_type_t in_type, void *out, ek_type_t out_type, int32_t count);

/* DYNAMIC_UPDATE_SLICE: out = operand with update written at start (each start clamped to
 * 0 .. operand_dim - update_dim, as TFLite does). out may be operand itself. */
typedef struct {
    int32_t ndims; /* 1..EK_UPDATE_MAX_DIMS */
    int32_t operand_dims[EK_UPDATE_MAX_DIMS];
    int32_t update_dims[EK_UPDATE_MAX_DIMS];
    int32_t element_bytes;
    int32_t index_bytes; /* 4 or 8 */
} ek_update_slice_t;

void ek_dynamic_update_slice(const ek_update_slice_t *p, const void *operand, const void *update,
                             const void *start, void *out);

#endif /* EK_FILL_H */
