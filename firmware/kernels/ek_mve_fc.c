#include "ek_mve_fc.h"

#include "ek_mve.h"

#if defined(EK_ARM_MVE)
/* Four dot products of x[0 .. k) with the quad of rows at *w (the interleaved blocks of
 * ek_mve_fc.h), starting from the four biases; *w moves on to the next quad. A
 * tail-predicated loop (DLSTP/LETP): the last block reads only the k % 16 lanes left. */
static inline __attribute__((always_inline)) int32x4_t quad_dot(const int8_t *x, const int8_t **w, int32_t k,
                                                               const int32_t *bias)
{
    /* VMLADAVA accumulates into even-numbered registers only: the four sums are pinned. */
    register int32_t a0 __asm__("r4");
    register int32_t a1 __asm__("r6");
    register int32_t a2 __asm__("r8");
    register int32_t a3 __asm__("r10");
    const int8_t *pw = *w;
    __asm__ volatile("ldrd %[a0], %[a1], [%[b]]\n\t"
                     "ldrd %[a2], %[a3], [%[b], #8]\n\t"
                     "dlstp.8 lr, %[k]\n"
                     "1:\n\t"
                     "vldrb.u8 q0, [%[x]], #16\n\t"
                     "vldrb.u8 q1, [%[w], #16]\n\t"
                     "vmladava.s8 %[a1], q0, q1\n\t"
                     "vldrb.u8 q2, [%[w], #32]\n\t"
                     "vmladava.s8 %[a2], q0, q2\n\t"
                     "vldrb.u8 q3, [%[w], #48]\n\t"
                     "vmladava.s8 %[a3], q0, q3\n\t"
                     "vldrb.u8 q1, [%[w]], #64\n\t"
                     "vmladava.s8 %[a0], q0, q1\n\t"
                     "letp lr, 1b"
                     : [x] "+r"(x), [w] "+r"(pw), [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2),
                       [a3] "=&r"(a3)
                     : [k] "r"(k), [b] "r"(bias)
                     : "q0", "q1", "q2", "q3", "lr", "memory");
    *w = pw;
    int32x4_t acc = vdupq_n_s32(a0);
    acc = vsetq_lane_s32(a1, acc, 1);
    acc = vsetq_lane_s32(a2, acc, 2);
    return vsetq_lane_s32(a3, acc, 3);
}

/* The whole row in one assembly loop (p->qp set: double rounding, every shift <= 0,
 * out_c a multiple of 4): per quad the four sums start from the biases, run the
 * dot product (whole blocks in a DLS/LE loop, then one predicated load of the last K % 16
 * inputs), and are requantized (VQRDMULH, the ties-away fix-up,
 * VRSHL), offset, clamped and stored, with the output offset and the activation range
 * held in q5-q7 for the whole row. */
static void dot_rows_asm(const ek_mve_fc_params_t *p, const int8_t *x, int8_t *out)
{
    register int32_t a0 __asm__("r4");
    register int32_t a1 __asm__("r6");
    register int32_t a2 __asm__("r8");
    register int32_t a3 __asm__("r10");
    const int8_t *w = p->weights, *xp;
    int32_t t;
    const int32_t *qp = p->qp;
    int32_t quads = p->out_c / 4;
    __asm__ volatile("ldr %[a0], [%[cst]]\n\t"
                     "vdup.32 q5, %[a0]\n\t"
                     "ldr %[a0], [%[cst], #4]\n\t"
                     "vdup.32 q6, %[a0]\n\t"
                     "ldr %[a0], [%[cst], #8]\n\t"
                     "vdup.32 q7, %[a0]\n"
                     "1:\n\t"
                     "ldrd %[a0], %[a1], [%[qp]]\n\t"
                     "ldrd %[a2], %[a3], [%[qp], #8]\n\t"
                     "mov %[xp], %[x]\n\t"
                     "lsrs %[t], %[k], #4\n\t"
                     "beq 3f\n\t"
                     "dls lr, %[t]\n"
                     "2:\n\t"
                     "vldrb.u8 q0, [%[xp]], #16\n\t"
                     "vldrb.u8 q1, [%[w], #16]\n\t"
                     "vmladava.s8 %[a1], q0, q1\n\t"
                     "vldrb.u8 q2, [%[w], #32]\n\t"
                     "vmladava.s8 %[a2], q0, q2\n\t"
                     "vldrb.u8 q3, [%[w], #48]\n\t"
                     "vmladava.s8 %[a3], q0, q3\n\t"
                     "vldrb.u8 q1, [%[w]], #64\n\t"
                     "vmladava.s8 %[a0], q0, q1\n\t"
                     "le lr, 2b\n"
                     "3:\n\t"
                     "ands %[t], %[k], #15\n\t"
                     "beq 4f\n\t"
                     /* the last K % 16 inputs: a predicated load (zero lanes past K), zero weights there */
                     "vctp.8 %[t]\n\t"
                     "vpstttt\n\t"
                     "vldrbt.u8 q0, [%[xp]]\n\t"
                     "vldrbt.u8 q1, [%[w], #16]\n\t"
                     "vldrbt.u8 q2, [%[w], #32]\n\t"
                     "vldrbt.u8 q3, [%[w], #48]\n\t"
                     "vmladava.s8 %[a1], q0, q1\n\t"
                     "vmladava.s8 %[a2], q0, q2\n\t"
                     "vmladava.s8 %[a3], q0, q3\n\t"
                     "vpst\n\t"
                     "vldrbt.u8 q1, [%[w]], #64\n\t"
                     "vmladava.s8 %[a0], q0, q1\n"
                     "4:\n\t"
                     "vdup.32 q0, %[a0]\n\t"
                     "vmov.32 q0[1], %[a1]\n\t"
                     "vmov.32 q0[2], %[a2]\n\t"
                     "vmov.32 q0[3], %[a3]\n\t"
                     "vldrw.u32 q1, [%[qp], #16]\n\t"
                     "vldrw.u32 q2, [%[qp], #32]\n\t"
                     "adds %[qp], #48\n\t"
                     "vqrdmulh.s32 q0, q0, q1\n\t"
                     "vand q3, q0, q2\n\t"
                     "vshr.s32 q3, q3, #31\n\t"
                     "vqadd.s32 q0, q0, q3\n\t"
                     "vrshl.s32 q0, q0, q2\n\t"
                     "vadd.i32 q0, q0, q5\n\t"
                     "vmax.s32 q0, q0, q6\n\t"
                     "vmin.s32 q0, q0, q7\n\t"
                     "vstrb.32 q0, [%[out]], #4\n\t"
                     "subs %[n], #1\n\t"
                     "bne 1b"
                     : [w] "+r"(w), [qp] "+r"(qp), [out] "+r"(out), [n] "+r"(quads), [xp] "=&r"(xp), [t] "=&r"(t),
                       [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3)
                     : [x] "r"(x), [k] "r"(p->in_features), [cst] "r"(&p->output_offset)
                     : "q0", "q1", "q2", "q3", "q5", "q6", "q7", "lr", "cc", "memory");
}

void ek_mve_dot_rows_s8(const ek_mve_fc_params_t *p, const int8_t *x, int8_t *out)
{
    const int8_t *w = p->weights;
    if (p->qp != NULL) {
        dot_rows_asm(p, x, out);
        return;
    }
    const int32_t k = p->in_features, out_c = p->out_c;
    if (p->vector_rq && p->rounding == EK_ROUND_DOUBLE && p->right_only) {
        /* The common case (every shift <= 0, proven on the host): constants held in registers. */
        const int32x4_t lo = vdupq_n_s32(p->act.min), hi = vdupq_n_s32(p->act.max);
        const int32_t zp = p->output_offset;
        for (int32_t c = 0; c < out_c; c += 4) {
            const int32x4_t acc = quad_dot(x, &w, k, p->bias + c);
            int32x4_t r = ek_mve_requant_double_right(acc, vldrwq_s32(p->multiplier + c), vldrwq_s32(p->shift + c));
            r = vminq_s32(vmaxq_s32(vaddq_n_s32(r, zp), lo), hi);
            vstrbq_p_s32(out + c, r, vctp32q((uint32_t)(out_c - c)));
        }
        return;
    }
    for (int32_t c = 0; c < out_c; c += 4) {
        const int32x4_t acc = quad_dot(x, &w, k, p->bias + c);
        if (p->vector_rq) {
            const int32x4_t r = ek_mve_requant_s8(acc, vldrwq_s32(p->multiplier + c), vldrwq_s32(p->shift + c),
                                                  p->rounding, p->output_offset, p->act);
            vstrbq_p_s32(out + c, r, vctp32q((uint32_t)(out_c - c)));
            continue;
        }
        int32_t lanes[4];
        vstrwq_s32(lanes, acc);
        const int32_t n = out_c - c < 4 ? out_c - c : 4;
        for (int32_t j = 0; j < n; ++j) {
            out[c + j] = ek_requant_s8(lanes[j], p->multiplier[c + j], p->shift[c + j], p->rounding,
                                       p->output_offset, p->act);
        }
    }
}
#else
void ek_mve_dot_rows_s8(const ek_mve_fc_params_t *p, const int8_t *x, int8_t *out)
{
    for (int32_t c = 0; c < p->out_c; ++c) {
        /* Row c of quad c / 4: block b of it at quad + b * 64 + (c % 4) * 16. */
        const int8_t *w = p->weights + (size_t)(c / 4) * 4u * (size_t)p->k_padded + (size_t)(c % 4) * 16u;
        int32_t acc = p->bias[c];
        for (int32_t i = 0; i < p->in_features; ++i) {
            acc += (int32_t)x[i] * (int32_t)w[(size_t)(i / 16) * 64u + (size_t)(i % 16)];
        }
        out[c] = ek_requant_s8(acc, p->multiplier[c], p->shift[c], p->rounding, p->output_offset, p->act);
    }
}
#endif

void ek_mve_fully_connected_s8(const ek_mve_fc_params_t *p, const int8_t *input, int8_t *output)
{
    for (int32_t b = 0; b < p->batches; ++b) {
        ek_mve_dot_rows_s8(p, input + (size_t)b * (size_t)p->in_features, output + (size_t)b * (size_t)p->out_c);
    }
}
