/* Fill, cast and update kernels (see ek_fill.h). */
#include "ek_fill.h"

#include <string.h>

void ek_fill(void *out, const void *value, int32_t element_bytes, int32_t count)
{
    uint8_t *dst = (uint8_t *)out;
    if (element_bytes == 1) {
        memset(dst, *(const uint8_t *)value, (size_t)count);
        return;
    }
    for (int32_t i = 0; i < count; ++i) {
        memcpy(dst, value, (size_t)element_bytes);
        dst += element_bytes;
    }
}

static int64_t ek_read_index(const void *p, int32_t index_bytes, int32_t i)
{
    const uint8_t *at = (const uint8_t *)p + (size_t)i * (size_t)index_bytes;
    if (index_bytes == 8) {
        int64_t v;
        memcpy(&v, at, sizeof v);
        return v;
    }
    int32_t v;
    memcpy(&v, at, sizeof v);
    return v;
}

static void ek_write_index(void *p, int32_t index_bytes, int32_t i, int64_t v)
{
    uint8_t *at = (uint8_t *)p + (size_t)i * (size_t)index_bytes;
    if (index_bytes == 8) {
        memcpy(at, &v, sizeof v);
    } else {
        const int32_t w = (int32_t)v;
        memcpy(at, &w, sizeof w);
    }
}

int32_t ek_broadcast_args(const void *a, int32_t na, const void *b, int32_t nb, void *out,
                          int32_t index_bytes)
{
    const int32_t n = na > nb ? na : nb;
    int32_t bad = 0;
    for (int32_t i = 0; i < n; ++i) { /* i counts from the right */
        const int64_t x = i < na ? ek_read_index(a, index_bytes, na - 1 - i) : 1;
        const int64_t y = i < nb ? ek_read_index(b, index_bytes, nb - 1 - i) : 1;
        bad |= x != y && x != 1 && y != 1;
        ek_write_index(out, index_bytes, n - 1 - i, x == 1 ? y : x);
    }
    return bad;
}

static int64_t ek_load(const uint8_t *p, ek_type_t type)
{
    switch (type) {
    case EK_TYPE_INT8: return (int8_t)*p;
    case EK_TYPE_UINT8:
    case EK_TYPE_BOOL: return *p;
    case EK_TYPE_INT16: { int16_t v; memcpy(&v, p, sizeof v); return v; }
    case EK_TYPE_UINT16: { uint16_t v; memcpy(&v, p, sizeof v); return v; }
    case EK_TYPE_INT32: { int32_t v; memcpy(&v, p, sizeof v); return v; }
    case EK_TYPE_UINT32: { uint32_t v; memcpy(&v, p, sizeof v); return v; }
    case EK_TYPE_INT64: { int64_t v; memcpy(&v, p, sizeof v); return v; }
    }
    return 0;
}

static int32_t ek_type_bytes(ek_type_t type)
{
    switch (type) {
    case EK_TYPE_INT8:
    case EK_TYPE_UINT8:
    case EK_TYPE_BOOL: return 1;
    case EK_TYPE_INT16:
    case EK_TYPE_UINT16: return 2;
    case EK_TYPE_INT32:
    case EK_TYPE_UINT32: return 4;
    case EK_TYPE_INT64: return 8;
    }
    return 1;
}

/* Stores v's low bytes (two's complement wrap, as static_cast does), bool as v != 0. */
static void ek_store(uint8_t *p, ek_type_t type, int64_t v)
{
    const uint64_t u = (uint64_t)v;
    if (type == EK_TYPE_BOOL) {
        *p = v != 0;
        return;
    }
    for (int32_t k = 0; k < ek_type_bytes(type); ++k) {
        p[k] = (uint8_t)(u >> (8 * k)); /* little-endian targets */
    }
}

void ek_cast(const void *in, ek_type_t in_type, void *out, ek_type_t out_type, int32_t count)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t in_bytes = ek_type_bytes(in_type);
    const int32_t out_bytes = ek_type_bytes(out_type);
    for (int32_t i = 0; i < count; ++i) {
        ek_store(dst + (size_t)i * (size_t)out_bytes, out_type,
                 ek_load(src + (size_t)i * (size_t)in_bytes, in_type));
    }
}

void ek_dynamic_update_slice(const ek_update_slice_t *p, const void *operand, const void *update,
                             const void *start, void *out)
{
    const int32_t n = p->ndims;
    int32_t total = p->element_bytes;
    for (int32_t d = 0; d < n; ++d) {
        total *= p->operand_dims[d];
    }
    if (out != operand) {
        memmove(out, operand, (size_t)total);
    }
    int32_t stride[EK_UPDATE_MAX_DIMS];
    int32_t origin = 0;
    int32_t rows = 1;
    int32_t acc = p->element_bytes;
    for (int32_t d = n - 1; d >= 0; --d) {
        stride[d] = acc;
        acc *= p->operand_dims[d];
        int64_t s = ek_read_index(start, p->index_bytes, d);
        const int64_t hi = p->operand_dims[d] - p->update_dims[d];
        s = s < 0 ? 0 : (s > hi ? hi : s);
        origin += (int32_t)s * stride[d];
        if (d < n - 1) {
            rows *= p->update_dims[d];
        }
    }
    for (int32_t d = 0; d < n; ++d) {
        if (p->update_dims[d] == 0) {
            return;
        }
    }
    const size_t row = (size_t)p->update_dims[n - 1] * (size_t)p->element_bytes;
    const uint8_t *src = (const uint8_t *)update;
    uint8_t *dst = (uint8_t *)out;
    int32_t index[EK_UPDATE_MAX_DIMS] = {0};
    int32_t offset = origin;
    for (int32_t r = 0; r < rows; ++r) {
        memcpy(dst + offset, src, row);
        src += row;
        for (int32_t d = n - 2; d >= 0; --d) {
            offset += stride[d];
            if (++index[d] < p->update_dims[d]) {
                break;
            }
            offset -= stride[d] * p->update_dims[d];
            index[d] = 0;
        }
    }
}
