/* Gather kernels (see ek_gather.h). */
#include "ek_gather.h"

#include <string.h>

/* Index i of an int32 or int64 index array (memcpy: no alignment assumption). */
static int64_t ek_index_at(const void *indices, int32_t index_bytes, int32_t i)
{
    const uint8_t *base = (const uint8_t *)indices + (size_t)i * (size_t)index_bytes;
    if (index_bytes == 8) {
        int64_t v;
        memcpy(&v, base, sizeof v);
        return v;
    }
    int32_t v;
    memcpy(&v, base, sizeof v);
    return v;
}

int32_t ek_gather(const ek_gather_t *p, const void *params, const void *indices, void *out)
{
    const uint8_t *src = (const uint8_t *)params;
    uint8_t *dst = (uint8_t *)out;
    const size_t inner = (size_t)p->inner_bytes;
    int32_t bad = 0;
    for (int32_t b = 0; b < p->batches; ++b) {
        for (int32_t o = 0; o < p->outer; ++o) {
            const uint8_t *table = src + ((size_t)b * (size_t)p->outer + (size_t)o) *
                                             (size_t)p->axis_size * inner;
            for (int32_t i = 0; i < p->coords; ++i) {
                const int64_t k = ek_index_at(indices, p->index_bytes, b * p->coords + i);
                if (k >= 0 && k < p->axis_size) {
                    memcpy(dst, table + (size_t)k * inner, inner);
                } else {
                    memset(dst, 0, inner);
                    ++bad;
                }
                dst += inner;
            }
        }
    }
    return bad;
}

int32_t ek_gather_nd(const ek_gather_nd_t *p, const void *params, const void *indices, void *out)
{
    const uint8_t *src = (const uint8_t *)params;
    uint8_t *dst = (uint8_t *)out;
    const size_t slice = (size_t)p->slice_bytes;
    int32_t bad = 0;
    for (int32_t i = 0; i < p->count; ++i) {
        size_t offset = 0;
        int inside = 1;
        for (int32_t d = 0; d < p->depth; ++d) {
            const int64_t k = ek_index_at(indices, p->index_bytes, i * p->depth + d);
            inside &= k >= 0 && k < p->dims[d];
            offset += inside ? (size_t)k * (size_t)p->strides[d] : 0;
        }
        if (inside) {
            memcpy(dst, src + offset * slice, slice);
        } else {
            memset(dst, 0, slice);
            ++bad;
        }
        dst += slice;
    }
    return bad;
}
