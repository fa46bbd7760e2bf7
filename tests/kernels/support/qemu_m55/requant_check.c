/* ek_mve.h's four-lane requantization against ek_requant.h's scalar forms on the M55:
 * pseudo-random lanes plus constructed ties and extremes; prints the mismatch counts. */
#include <stdint.h>

#include "ek_mve.h"
#include "kt_runtime.h"

static uint32_t state = 12345u;

static uint32_t next(void)
{
    state = state * 1664525u + 1013904223u;
    return state ^ (state >> 13);
}

/* A tie of the last rounding step: x * 2^30 / 2^31 exact, then a half at 2^(e-1). */
static int32_t double_tie(int32_t e)
{
    const int32_t base = (int32_t)(next() >> (e + 2)) << e;
    const int32_t half = (int32_t)(base | (1 << (e - 1)));
    return (next() & 1u) ? 2 * half : -2 * half;
}

static void lanes(int32_t *x, int32_t *m, int32_t *s, int single, int32_t i)
{
    for (int j = 0; j < 4; ++j) {
        const uint32_t kind = next() % 8u;
        s[j] = single ? -(int32_t)(1u + next() % 30u) : (int32_t)(next() % 42u) - 31;
        m[j] = (int32_t)(0x40000000u + (next() >> 2));
        x[j] = (int32_t)next();
        if (kind == 0u) {
            x[j] = (int32_t)(next() & 0xFFFFu) - 0x8000;
        } else if (kind == 1u) {
            x[j] = (i & 1) ? INT32_MIN : INT32_MAX;
        } else if (kind == 2u && !single && s[j] < 0) {
            m[j] = 0x40000000;
            s[j] = s[j] < -28 ? -28 : s[j];
            x[j] = double_tie(-s[j]);
        } else if (kind == 2u && single) {
            const int32_t t = 31 - (s[j] < -30 ? -30 : s[j]); /* x * 2^30 has a half at 2^(t-1) */
            s[j] = 31 - t;
            m[j] = 0x40000000;
            const int32_t low = t - 30; /* x mod 2^low == 2^(low-1) */
            x[j] = (int32_t)((next() >> low) << (low > 1 ? low - 1 : 0)) * 2 + (1 << (low - 1));
            if (next() & 1u) {
                x[j] = -x[j];
            }
        } else if (!single && s[j] > 0) {
            x[j] >>= s[j] + 1; /* keep x << shift representable, as TFLite's inputs are */
        }
    }
}

__attribute__((noinline)) static uint32_t check(int single, int32_t count)
{
    uint32_t bad = 0;
    for (int32_t i = 0; i < count; ++i) {
        int32_t x[4], m[4], s[4], got[4];
        lanes(x, m, s, single, i);
        const int32x4_t r = single ? ek_mve_requant_single(vldrwq_s32(x), vldrwq_s32(m), vldrwq_s32(s))
                                   : ek_mve_requant_double(vldrwq_s32(x), vldrwq_s32(m), vldrwq_s32(s));
        vstrwq_s32(got, r);
        for (int j = 0; j < 4; ++j) {
            const int32_t want = single ? ek_requant_single(x[j], m[j], s[j]) : ek_requant_double(x[j], m[j], s[j]);
            bad += want != got[j];
        }
    }
    return bad;
}

int main(void)
{
    kt_puts("DOUBLE ");
    kt_put_u32(check(0, 20000));
    kt_puts(" SINGLE ");
    kt_put_u32(check(1, 20000));
    kt_puts("\nDONE\n");
    return 0;
}
