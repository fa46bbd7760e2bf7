/* int8 PRELU and SQUARED_DIFFERENCE (see ek_binary.h). */
#include "ek_binary.h"

#include "ek_requant.h"

typedef struct {
    const void *params;
    const int8_t *in1;
    const int8_t *in2;
    int8_t *out;
} ek_binary_ctx_t;

static void ek_prelu_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                         int32_t out_index)
{
    const ek_binary_ctx_t *c = (const ek_binary_ctx_t *)ctx;
    const ek_prelu_params_t *p = (const ek_prelu_params_t *)c->params;
    const int8_t *x = c->in1 + offset[0];
    const int8_t *a = c->in2 + offset[1];
    int8_t *out = c->out + out_index;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t v = *x + p->input_offset;
        const int32_t y = v >= 0 ? ek_requant_double(v, p->multiplier1, p->shift1)
                                 : ek_requant_double(v * (*a + p->alpha_offset), p->multiplier2,
                                                     p->shift2);
        out[i] = ek_clamp_s8(y + p->output_offset, -128, 127);
        x += step[0];
        a += step[1];
    }
}

void ek_prelu_s8(const ek_prelu_params_t *params, const ek_bcast3_t *bcast, const int8_t *in,
                 const int8_t *alpha, int8_t *out)
{
    const ek_binary_ctx_t ctx = {params, in, alpha, out};
    ek_walk3(bcast, ek_prelu_row, &ctx);
}

static void ek_sqdiff_row(const void *ctx, const int32_t *offset, const int32_t *step, int32_t n,
                          int32_t out_index)
{
    const ek_binary_ctx_t *c = (const ek_binary_ctx_t *)ctx;
    const ek_squared_difference_params_t *p = (const ek_squared_difference_params_t *)c->params;
    const int8_t *a = c->in1 + offset[0];
    const int8_t *b = c->in2 + offset[1];
    int8_t *out = c->out + out_index;
    const int32_t lift = (int32_t)1 << p->left_shift;
    for (int32_t i = 0; i < n; ++i) {
        const int32_t sa = ek_requant_double((*a + p->in1_offset) * lift, p->in1_multiplier, p->in1_shift);
        const int32_t sb = ek_requant_double((*b + p->in2_offset) * lift, p->in2_multiplier, p->in2_shift);
        const int32_t d = sa - sb; /* |d| <= 255 << 7: d * d fits int32 */
        const int32_t y = ek_requant_double(d * d, p->out_multiplier, p->out_shift) + p->out_offset;
        out[i] = ek_clamp_s8(y, -128, 127);
        a += step[0];
        b += step[1];
    }
}

void ek_squared_difference_s8(const ek_squared_difference_params_t *params,
                              const ek_bcast3_t *bcast, const int8_t *in1, const int8_t *in2,
                              int8_t *out)
{
    const ek_binary_ctx_t ctx = {params, in1, in2, out};
    ek_walk3(bcast, ek_sqdiff_row, &ctx);
}
