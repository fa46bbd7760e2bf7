#include "ek_mve_fc.h"

#include "ek_mve.h"

#if defined(EK_ARM_MVE)
/* Inlined: one call per pixel, not per quad of channels. */
static inline __attribute__((always_inline)) void fc_quad(const ek_mve_fc_params_t *p, const int8_t *x,
                                                         int32_t g, int8_t *out)
{
    const int32_t kp = p->k_padded;
    const int8_t *w0 = p->weights + (size_t)g * 4u * (size_t)kp;
    const int8_t *w1 = w0 + kp, *w2 = w1 + kp, *w3 = w2 + kp;
    /* VMLADAVA accumulates into even-numbered registers only: the four sums are pinned. */
    register int32_t a0 __asm__("r4") = 0;
    register int32_t a1 __asm__("r6") = 0;
    register int32_t a2 __asm__("r8") = 0;
    register int32_t a3 __asm__("r10") = 0;
    int32_t left = p->in_features;
    int32_t blocks = left / 16;
    /* Whole vectors with post-incremented loads (GCC 12 indexes every load off the loop
     * counter instead), then one predicated tail: the weights are zero padded to k_padded,
     * the input is not, and its tail load reads nothing past K. */
    if (blocks > 0) {
        __asm__ volatile("1:\n\t"
                         "vldrb.u8 q0, [%[x]], #16\n\t"
                         "vldrb.u8 q1, [%[w0]], #16\n\t"
                         "vmladava.s8 %[a0], q0, q1\n\t"
                         "vldrb.u8 q2, [%[w1]], #16\n\t"
                         "vmladava.s8 %[a1], q0, q2\n\t"
                         "vldrb.u8 q3, [%[w2]], #16\n\t"
                         "vmladava.s8 %[a2], q0, q3\n\t"
                         "vldrb.u8 q1, [%[w3]], #16\n\t"
                         "vmladava.s8 %[a3], q0, q1\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b"
                         : [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3),
                           [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [n] "+r"(blocks)
                         :
                         : "q0", "q1", "q2", "q3", "cc", "memory");
        left &= 15;
    }
    if (left > 0) {
        const int8x16_t v = vldrbq_z_s8(x, vctp8q((uint32_t)left));
        a0 = vmladavaq_s8(a0, v, vldrbq_s8(w0));
        a1 = vmladavaq_s8(a1, v, vldrbq_s8(w1));
        a2 = vmladavaq_s8(a2, v, vldrbq_s8(w2));
        a3 = vmladavaq_s8(a3, v, vldrbq_s8(w3));
    }
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    acc = vsetq_lane_s32(a3, acc, 3);
    const int32_t c = g * 4;
    acc = vaddq_s32(acc, vldrwq_s32(p->bias + c));
    const int32_t n = p->out_c - c < 4 ? p->out_c - c : 4;
    if (p->vector_rq) {
        const int32x4_t r = ek_mve_requant_s8(acc, vldrwq_s32(p->multiplier + c), vldrwq_s32(p->shift + c),
                                              p->rounding, p->output_offset, p->act);
        vstrbq_p_s32(out + c, r, vctp32q((uint32_t)n));
        return;
    }
    int32_t lanes[4];
    vstrwq_s32(lanes, acc);
    for (int32_t j = 0; j < n; ++j) {
        out[c + j] = ek_requant_s8(lanes[j], p->multiplier[c + j], p->shift[c + j], p->rounding,
                                   p->output_offset, p->act);
    }
}
#else
static void fc_quad(const ek_mve_fc_params_t *p, const int8_t *x, int32_t g, int8_t *out)
{
    const int32_t c0 = g * 4;
    const int32_t n = p->out_c - c0 < 4 ? p->out_c - c0 : 4;
    for (int32_t j = 0; j < n; ++j) {
        const int32_t c = c0 + j;
        const int8_t *w = p->weights + (size_t)c * (size_t)p->k_padded;
        int32_t acc = p->bias[c];
        for (int32_t i = 0; i < p->in_features; ++i) {
            acc += (int32_t)x[i] * (int32_t)w[i];
        }
        out[c] = ek_requant_s8(acc, p->multiplier[c], p->shift[c], p->rounding, p->output_offset, p->act);
    }
}
#endif

void ek_mve_dot_rows_s8(const ek_mve_fc_params_t *p, const int8_t *x, int8_t *out)
{
    const int32_t groups = (p->out_c + 3) / 4;
    for (int32_t g = 0; g < groups; ++g) {
        fc_quad(p, x, g, out);
    }
}

void ek_mve_fully_connected_s8(const ek_mve_fc_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        ek_mve_dot_rows_s8(p, input + (size_t)b * (size_t)p->in_features, output + (size_t)b * (size_t)p->out_c);
    }
}
