/* Comparisons, logical ops and SELECT_V2 (see ek_compare.h). */
#include "ek_compare.h"

#include <string.h>

#include "ek_requant.h"

static int8_t ek_cmp(ek_cmp_t cmp, int32_t a, int32_t b)
{
    switch (cmp) {
    case EK_CMP_EQUAL: return (int8_t)(a == b);
    case EK_CMP_NOT_EQUAL: return (int8_t)(a != b);
    case EK_CMP_LESS: return (int8_t)(a < b);
    case EK_CMP_LESS_EQUAL: return (int8_t)(a <= b);
    case EK_CMP_GREATER: return (int8_t)(a > b);
    default: return (int8_t)(a >= b);
    }
}

/* ---- int8 comparisons ---- */

typedef struct {
    const ek_compare_params_t *p;
    const int8_t *in1;
    const int8_t *in2;
    int8_t *out;
} ek_cmp_s8_ctx_t;

static int32_t ek_cmp_scale(int32_t x, int32_t offset, int32_t left_shift, int32_t m, int32_t shift)
{
    return ek_requant_double((x + offset) * (1 << left_shift), m, shift);
}

static void ek_cmp_s8_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                          int32_t out_index)
{
    const ek_cmp_s8_ctx_t *c = (const ek_cmp_s8_ctx_t *)ctx;
    const ek_compare_params_t *p = c->p;
    const int8_t *a = c->in1 + offset[0];
    const int8_t *b = c->in2 + offset[1];
    int8_t *out = c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t sa = ek_cmp_scale(*a, p->in1_offset, p->left_shift, p->in1_multiplier, p->in1_shift);
        const int32_t sb = ek_cmp_scale(*b, p->in2_offset, p->left_shift, p->in2_multiplier, p->in2_shift);
        out[i] = ek_cmp(p->cmp, sa, sb);
        a += step[0];
        b += step[1];
    }
}

void ek_compare_s8(const ek_compare_params_t *params, const ek_bcast3_t *bcast, const int8_t *in1,
                   const int8_t *in2, int8_t *out)
{
    const ek_cmp_s8_ctx_t ctx = {params, in1, in2, out};
    ek_walk3(bcast, ek_cmp_s8_row, &ctx);
}

/* ---- int32 comparisons ---- */

typedef struct {
    ek_cmp_t cmp;
    const int32_t *in1;
    const int32_t *in2;
    int8_t *out;
} ek_cmp_s32_ctx_t;

static void ek_cmp_s32_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                           int32_t out_index)
{
    const ek_cmp_s32_ctx_t *c = (const ek_cmp_s32_ctx_t *)ctx;
    const int32_t *a = c->in1 + offset[0];
    const int32_t *b = c->in2 + offset[1];
    int8_t *out = c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        out[i] = ek_cmp(c->cmp, *a, *b);
        a += step[0];
        b += step[1];
    }
}

void ek_compare_s32(ek_cmp_t cmp, const ek_bcast3_t *bcast, const int32_t *in1,
                    const int32_t *in2, int8_t *out)
{
    const ek_cmp_s32_ctx_t ctx = {cmp, in1, in2, out};
    ek_walk3(bcast, ek_cmp_s32_row, &ctx);
}

/* ---- logical ops ---- */

typedef struct {
    int32_t is_or;
    const int8_t *in1;
    const int8_t *in2;
    int8_t *out;
} ek_logical_ctx_t;

static void ek_logical_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                           int32_t out_index)
{
    const ek_logical_ctx_t *c = (const ek_logical_ctx_t *)ctx;
    const int8_t *a = c->in1 + offset[0];
    const int8_t *b = c->in2 + offset[1];
    int8_t *out = c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        out[i] = (int8_t)(c->is_or ? (*a != 0 || *b != 0) : (*a != 0 && *b != 0));
        a += step[0];
        b += step[1];
    }
}

void ek_logical_b8(int32_t is_or, const ek_bcast3_t *bcast, const int8_t *in1, const int8_t *in2,
                   int8_t *out)
{
    const ek_logical_ctx_t ctx = {is_or, in1, in2, out};
    ek_walk3(bcast, ek_logical_row, &ctx);
}

void ek_logical_not_b8(const int8_t *in, int8_t *out, int32_t size)
{
    for (int32_t i = 0; i < size; ++i) {
        out[i] = (int8_t)(in[i] == 0);
    }
}

/* ---- SELECT_V2 ---- */

typedef struct {
    int32_t elem_bytes;
    const int8_t *cond;
    const uint8_t *x;
    const uint8_t *y;
    uint8_t *out;
} ek_select_ctx_t;

static void ek_select_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                          int32_t out_index)
{
    const ek_select_ctx_t *c = (const ek_select_ctx_t *)ctx;
    const int32_t w = c->elem_bytes;
    const int8_t *cond = c->cond + offset[0];
    const uint8_t *x = c->x + (size_t)offset[1] * (size_t)w;
    const uint8_t *y = c->y + (size_t)offset[2] * (size_t)w;
    uint8_t *out = c->out + (size_t)out_index * (size_t)w;
    for (int32_t i = 0; i < n; ++i) {
        /* memmove: in place, out may be x or y itself. */
        memmove(out, *cond ? x : y, (size_t)w);
        cond += step[0];
        x += step[1] * w;
        y += step[2] * w;
        out += w;
    }
}

void ek_select(const ek_bcast3_t *bcast, int32_t elem_bytes, const int8_t *cond, const void *x,
               const void *y, void *out)
{
    const ek_select_ctx_t ctx = {elem_bytes, cond, (const uint8_t *)x, (const uint8_t *)y,
                                 (uint8_t *)out};
    ek_walk3(bcast, ek_select_row, &ctx);
}
