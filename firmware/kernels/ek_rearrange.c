/* Per-axis table gather (see ek_rearrange.h). */
#include "ek_rearrange.h"

#include <string.h>

void ek_axis_gather(const ek_axis_gather_t *p, const void *in, void *out)
{
    const uint8_t *src = (const uint8_t *)in;
    uint8_t *dst = (uint8_t *)out;
    const int32_t last = p->ndims - 1;
    const size_t inner = (size_t)p->inner_bytes;
    const int32_t *table[EK_AXIS_GATHER_MAX_DIMS];
    int32_t index[EK_AXIS_GATHER_MAX_DIMS] = {0};
    int32_t base[EK_AXIS_GATHER_MAX_DIMS + 1]; /* base[d]: offset of axes < d */
    int32_t rows = 1;
    const int32_t *t = p->offsets;
    for (int32_t d = 0; d <= last; ++d) {
        table[d] = t;
        t += p->dims[d];
        if (d < last) {
            rows *= p->dims[d];
        }
    }
    base[0] = 0;
    for (int32_t d = 0; d < last; ++d) {
        base[d + 1] = base[d] + table[d][0];
    }
    for (int32_t r = 0; r < rows; ++r) {
        const uint8_t *row = src + base[last];
        for (int32_t i = 0; i < p->dims[last]; ++i) {
            memcpy(dst, row + table[last][i], inner);
            dst += inner;
        }
        /* next outer coordinate (odometer), then refresh the partial sums it changed */
        int32_t d = last - 1;
        while (d >= 0 && ++index[d] == p->dims[d]) {
            index[d] = 0;
            --d;
        }
        for (int32_t k = d < 0 ? 0 : d; k < last; ++k) {
            base[k + 1] = base[k] + table[k][index[k]];
        }
    }
}
