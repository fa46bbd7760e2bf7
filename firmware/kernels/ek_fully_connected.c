/* FULLY_CONNECTED kernels; see ek_fully_connected.h. */
#include "ek_fully_connected.h"
#include "ek_weighted_ref.h"

#define EK_FC_RQ_S8(acc, p, q) \
    ek_requant_s8((acc), (p)->multiplier[q], (p)->shift[q], (p)->rounding, (p)->output_offset, (p)->act)
#define EK_FC_RQ_S16(acc, p, q) \
    ek_requant_s16((acc), (p)->multiplier[q], (p)->shift[q], (p)->rounding, (p)->output_offset, (p)->act)

/* int16 activations x int16 (widened) weights, the int16x8 zero points being 0: SMLALD on
 * pairs (unaligned 32-bit loads are fine on Cortex-M4), the odd tail in C. */
static inline int64_t ek_dot_s16(const int16_t *x, const int16_t *w, int32_t k)
{
    int64_t acc = 0;
    int32_t i = 0;
#if defined(EK_ARM_DSP)
    for (; i + 1 < k; i += 2) {
        int32_t a, b;
        memcpy(&a, x + i, 4);
        memcpy(&b, w + i, 4);
        acc = __smlald(a, b, acc);
    }
#endif
    for (; i < k; ++i) {
        acc += (int32_t)x[i] * w[i];
    }
    return acc;
}

#define EK_FC_DOT_S16(ACC_T, acc, x, w, k, p) (acc) = ek_dot_s16((x), (w), (k));

EK_DEFINE_FC_REF(ek_fully_connected_s8, ek_fc_params_t, int8_t, int8_t, int32_t, uint32_t, EK_FC_RQ_S8, EK_FC_DOT_REF)
EK_DEFINE_FC_REF(ek_fully_connected_s16, ek_fc_s16_params_t, int16_t, int8_t, int64_t, uint64_t, EK_FC_RQ_S16,
                 EK_FC_DOT_REF)
EK_DEFINE_FC_REF(ek_fully_connected_s16_dsp, ek_fc_s16w_params_t, int16_t, int16_t, int64_t, uint64_t, EK_FC_RQ_S16,
                 EK_FC_DOT_S16)

/* Row x (K values) widened into column slot `slot`; the K tail up to k_padded is zero. */
static void widen_row(const int8_t *x, int32_t k, int32_t k_padded, int16_t *cols, int32_t slot)
{
    const int32_t whole = k >> 2;
    ek_col_put_words(cols, 0, slot, x, whole);
    for (int32_t i = whole * 4; i < k_padded; ++i) {
        ek_col_put(cols, i, slot, i < k ? x[i] : 0);
    }
}

int32_t ek_fully_connected_s8_packed_get_buffer_size(const ek_fc_packed_params_t *p)
{
    return p->vec.weights != NULL ? 0 : EK_GEMM_COLS_BYTES(p->gemm.k_padded, p->gemm.out_c);
}

/* ---- Batch 1 without scratch (ek_fc_vec_t) ---- */

/* One pass over a quad (or all quads of a layer): initial accumulators from `bias` (minus
 * e128 = 128 * the even-k input sum), dot products of `chunks` chunks of 4 K, then by mode
 * the requantized int8 outputs or the raw int32 accumulators. */
typedef struct {
    const int32_t *bias; /* this quad's initial accumulators (bias or qp); advances by stride */
    int32_t quads;       /* counts down */
    int32_t chunks;      /* whole chunks of 4 K read from x */
    int32_t e128;
    int32_t m, hr, sh;   /* per-tensor single rounding: SMMLA(acc, m, hr) >> sh */
    int32_t off, lo, hi;
    const int8_t *x;
    int8_t *out;         /* EK_FC_RAW: int32 accumulators */
    int32_t mode;
    int32_t stride;      /* bytes from one quad's bias (16) or qp (64) to the next */
} ek_fc_job_t;

enum { EK_FC_PT_FULL, EK_FC_PT_CLAMP, EK_FC_QP_FULL, EK_FC_QP_CLAMP, EK_FC_RAW };

#if defined(EK_ARM_DSP)
/* One chunk: r8 = A = SXTB16(X), r9 = C = REV16(X) ^ r2; per channel SMLAD(W, A) then
 * SMLAD(SXTB16(W ror 8), C). 17 instructions for 16 MACs. */
#define EK_VEC_CHUNK                                                                          \
    "\tldr r8, [r0], #4\n\tldmia r1!, {r10, r11, r12, lr}\n\trev16 r9, r8\n"                  \
    "\tsxtb16 r8, r8\n\teor r9, r9, r2\n"                                                   \
    "\tsmlad r4, r10, r8, r4\n\tsxtb16 r10, r10, ror #8\n\tsmlad r4, r10, r9, r4\n"         \
    "\tsmlad r5, r11, r8, r5\n\tsxtb16 r11, r11, ror #8\n\tsmlad r5, r11, r9, r5\n"         \
    "\tsmlad r6, r12, r8, r6\n\tsxtb16 r12, r12, ror #8\n\tsmlad r6, r12, r9, r6\n"         \
    "\tsmlad r7, lr, r8, r7\n\tsxtb16 lr, lr, ror #8\n\tsmlad r7, lr, r9, r7\n"
/* The chunk loop: r3 chunks (>= 1), four per iteration, a count not a multiple of 4
 * entering part way; loads the constant into r2; clobbers r8 first. */
#define EK_VEC_LOOP                                                                           \
    "\tands r8, r3, #3\n\tadd r3, r3, #3\n\tlsr r3, r3, #2\n"                                \
    "\tmovw r2, #0xFF80\n\tmovt r2, #0xFF80\n"                                               \
    "\tbeq 1f\n\tcmp r8, #2\n\tblt 7f\n\tbeq 6f\n\tb 5f\n"                                   \
    "1:\n" EK_VEC_CHUNK "5:\n" EK_VEC_CHUNK "6:\n" EK_VEC_CHUNK "7:\n" EK_VEC_CHUNK           \
    "\tsubs r3, r3, #1\n\tbne 1b\n"
/* Requantization after the loop: r11 offset, r0 lo, r3 hi, r2 out, r12 this quad's qp.
 * Single rounding (acc*m + 2^(30+s)) >> (31+s) = SMMLA(acc, m, 2^(s-2)) >> (s-1) (r8 m,
 * r9 2^(s-2), r10 s-1): 5 instructions an output at the full int8 range. Bounded double
 * rounding (ek_requant_double_bounded, constants from qp): 11. A fused activation range
 * adds 5. */
#define EK_VEC_PT(a) "\tsmmla " a ", " a ", r8, r9\n\tasr " a ", " a ", r10\n\tadd " a ", " a ", r11\n"
#define EK_VEC_QP(a, j)                                                                       \
    "\tldr r8, [r12, #" #j "*4+16]\n\tldr r9, [r12, #" #j "*4+32]\n"                         \
    "\tldr r10, [r12, #" #j "*4+48]\n\tlsl " a ", " a ", #1\n\tsmmulr " a ", " a ", r8\n"    \
    "\tadd " a ", " a ", " a ", asr #31\n\tadd " a ", " a ", r10\n\tasr " a ", " a ", r9\n"  \
    "\tadd " a ", " a ", r11\n"
#define EK_VEC_FULL(a) "\tssat " a ", #8, " a "\n\tstrb " a ", [r2], #1\n"
#define EK_VEC_CLAMP(a)                                                                       \
    "\tcmp " a ", r0\n\tit lt\n\tmovlt " a ", r0\n\tcmp " a ", r3\n\tit gt\n\tmovgt " a ", r3\n" \
    "\tstrb " a ", [r2], #1\n"
void ek_fc_vec_s8(const int8_t *w, ek_fc_job_t *job);
/* r0 w, r1 job -> r1 w, [sp] job; the mode picks the requantization block (TBB; blocks in
 * order of size so every offset fits a byte). */
__asm__("\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global ek_fc_vec_s8\n"
        "\t.thumb_func\n\t.type ek_fc_vec_s8, %function\nek_fc_vec_s8:\n"
        "\tpush {r1, r4-r11, lr}\n\tmov r1, r0\n"
        "4:\n\tldr lr, [sp]\n\tldr r0, [lr, #40]\n\tldr r3, [lr, #8]\n\tldr r2, [lr]\n"
        "\tldm r2, {r4-r7}\n\tldr r2, [lr, #12]\n"
        "\tsub r4, r4, r2\n\tsub r5, r5, r2\n\tsub r6, r6, r2\n\tsub r7, r7, r2\n"
        EK_VEC_LOOP
        "\tldr lr, [sp]\n\tldr r12, [lr]\n\tldr r11, [lr, #28]\n\tldrd r0, r3, [lr, #32]\n"
        "\tldr r2, [lr, #44]\n\tldr r8, [lr, #48]\n\ttbb [pc, r8]\n"
        "0:\n\t.byte (10f-0b)/2, (11f-0b)/2, (12f-0b)/2, (13f-0b)/2, (14f-0b)/2\n\t.align 1\n"
        "14:\n\tstmia r2!, {r4-r7}\n\tb 9f\n"
        "10:\n\tldrd r8, r9, [lr, #16]\n\tldr r10, [lr, #24]\n"
        EK_VEC_PT("r4") EK_VEC_FULL("r4") EK_VEC_PT("r5") EK_VEC_FULL("r5")
        EK_VEC_PT("r6") EK_VEC_FULL("r6") EK_VEC_PT("r7") EK_VEC_FULL("r7") "\tb 9f\n"
        "11:\n\tldrd r8, r9, [lr, #16]\n\tldr r10, [lr, #24]\n"
        EK_VEC_PT("r4") EK_VEC_CLAMP("r4") EK_VEC_PT("r5") EK_VEC_CLAMP("r5")
        EK_VEC_PT("r6") EK_VEC_CLAMP("r6") EK_VEC_PT("r7") EK_VEC_CLAMP("r7") "\tb 9f\n"
        "12:\n" EK_VEC_QP("r4", 0) EK_VEC_FULL("r4") EK_VEC_QP("r5", 1) EK_VEC_FULL("r5")
        EK_VEC_QP("r6", 2) EK_VEC_FULL("r6") EK_VEC_QP("r7", 3) EK_VEC_FULL("r7") "\tb 9f\n"
        "13:\n" EK_VEC_QP("r4", 0) EK_VEC_CLAMP("r4") EK_VEC_QP("r5", 1) EK_VEC_CLAMP("r5")
        EK_VEC_QP("r6", 2) EK_VEC_CLAMP("r6") EK_VEC_QP("r7", 3) EK_VEC_CLAMP("r7")
        "9:\n\tstr r2, [lr, #44]\n\tldr r3, [lr, #52]\n\tadd r12, r12, r3\n\tstr r12, [lr]\n"
        "\tldr r3, [lr, #4]\n\tsubs r3, r3, #1\n\tstr r3, [lr, #4]\n\tbne 4b\n"
        "\tpop {r1, r4-r11, pc}\n"
        "\t.size ek_fc_vec_s8, .-ek_fc_vec_s8\n");

/* A last group of 1-2 channels (stored as a pair, 2 words a chunk): acc[0..1] += dots. Two
 * chunks an iteration, an odd count entering at the second. */
void ek_fc_dot2_s8(const int8_t *x, const int8_t *w, int32_t acc[2], int32_t chunks);
#define EK_VEC_CHUNK2                                                                         \
    "\tldr r6, [r0], #4\n\tldrd r8, r9, [r1], #8\n\trev16 r7, r6\n\tsxtb16 r6, r6\n"        \
    "\teor r7, r7, r2\n\tsmlad r4, r8, r6, r4\n\tsxtb16 r8, r8, ror #8\n"                    \
    "\tsmlad r4, r8, r7, r4\n\tsmlad r5, r9, r6, r5\n\tsxtb16 r9, r9, ror #8\n"             \
    "\tsmlad r5, r9, r7, r5\n"
__asm__("\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global ek_fc_dot2_s8\n"
        "\t.thumb_func\n\t.type ek_fc_dot2_s8, %function\nek_fc_dot2_s8:\n"
        "\tpush {r2, r4-r9, lr}\n\tldrd r4, r5, [r2]\n\tmovw r2, #0xFF80\n\tmovt r2, #0xFF80\n"
        "\ttst r3, #1\n\tadd r3, r3, #1\n\tlsr r3, r3, #1\n\tbne 3f\n"
        "1:\n" EK_VEC_CHUNK2 "3:\n" EK_VEC_CHUNK2 "\tsubs r3, r3, #1\n\tbne 1b\n"
        "\tpop {r2}\n\tstrd r4, r5, [r2]\n\tpop {r4-r9, pc}\n"
        "\t.size ek_fc_dot2_s8, .-ek_fc_dot2_s8\n");

/* acc[j] += dots of one quad (the layer loop in its raw mode: acc is read, then written). */
static void dot4(const int8_t *x, const int8_t *w, int32_t acc[4], int32_t chunks)
{
    ek_fc_job_t job = {acc, 1, chunks, 0, 0, 0, 0, 0, 0, 0, x, (int8_t *)(void *)acc, EK_FC_RAW, 16};
    ek_fc_vec_s8(w, &job);
}
#else
static uint32_t rev16(uint32_t x) { return ((x & 0x00FF00FFu) << 8) | ((x >> 8) & 0x00FF00FFu); }

/* The same lane arithmetic through the C primitives of ek_common.h. */
static void dot_group(const int8_t *x, const int8_t *w, int32_t *acc, int32_t chunks, int32_t n)
{
    for (int32_t i = 0; i < chunks; ++i, x += 4) {
        const uint32_t v = ek_read_u32(x);
        const uint32_t a = ek_sxtb16(v), c = rev16(v) ^ 0xFF80FF80u;
        for (int32_t j = 0; j < n; ++j, w += 4) {
            const uint32_t wv = ek_read_u32(w);
            acc[j] = ek_smlad(ek_sxtb16_ror8(wv), c, ek_smlad(wv, a, acc[j]));
        }
    }
}

static void dot4(const int8_t *x, const int8_t *w, int32_t acc[4], int32_t chunks)
{
    dot_group(x, w, acc, chunks, 4);
}

static void ek_fc_dot2_s8(const int8_t *x, const int8_t *w, int32_t acc[2], int32_t chunks)
{
    dot_group(x, w, acc, chunks, 2);
}
#endif

/* Sum of the inputs at even k (the correction the weight encoding needs, x 128). */
static int32_t even_sum(const int8_t *x, int32_t k)
{
    int32_t s = 0, i = 0;
    for (; i + 8 <= k; i += 8) {
        s = ek_smlad(ek_sxtb16(ek_read_u32(x + i)), 0x00010001u, s);
        s = ek_smlad(ek_sxtb16(ek_read_u32(x + i + 4)), 0x00010001u, s);
    }
    for (; i + 4 <= k; i += 4) {
        s = ek_smlad(ek_sxtb16(ek_read_u32(x + i)), 0x00010001u, s);
    }
    for (; i < k; i += 2) {
        s += x[i];
    }
    return s;
}

/* Dot products of one group (a quad, or a pair when n <= 2) over the whole K; a K tail is
 * read from a zero-padded copy. */
static void group_dot(const int8_t *x, int32_t k, const int8_t *w, int32_t acc[4], int32_t n)
{
    const int32_t full = k >> 2;
    int8_t tail[4] = {0, 0, 0, 0};
    if (k & 3) {
        memcpy(tail, x + 4 * full, (size_t)(k & 3));
    }
    if (n <= 2) {
        if (full > 0) {
            ek_fc_dot2_s8(x, w, acc, full);
        }
        if (k & 3) {
            ek_fc_dot2_s8(tail, w + 8 * full, acc, 1);
        }
        return;
    }
    if (full > 0) {
        dot4(x, w, acc, full);
    }
    if (k & 3) {
        dot4(tail, w + 16 * full, acc, 1);
    }
}

static int8_t vec_requant(const ek_fc_vec_t *v, int32_t acc, int32_t c)
{
    const int32_t q = v->per_channel ? c : 0;
    const int32_t r = v->rounding == EK_ROUND_SINGLE
                          ? ek_requant_single(acc, v->multiplier[q], v->shift[q])
                          : ek_requant_double_fast(acc, v->multiplier[q], v->shift[q]);
    return ek_clamp_s8(r + v->output_offset, v->act.min, v->act.max);
}

static int single_fast(const ek_fc_vec_t *v)
{
    if (v->rounding != EK_ROUND_SINGLE) {
        return 0;
    }
    const int32_t n = v->per_channel ? v->out_c : 1;
    for (int32_t c = 0; c < n; ++c) {
        if (v->shift[c] > -1 || v->shift[c] < -31) {
            return 0;
        }
    }
    return 1;
}

static void fc_vec(const ek_fc_vec_t *v, int32_t k, const int8_t *input, int8_t *output)
{
    const int32_t quad_bytes = 4 * ((k + 3) & ~3);
    const int32_t e128 = 128 * even_sum(input, k);
    const int32_t off = v->output_offset, lo = v->act.min, hi = v->act.max;
    const int8_t *w = v->weights;
    const int fast = v->qp == NULL && single_fast(v);
    int32_t c = 0;
#if defined(EK_ARM_DSP)
    const int pt = fast && !v->per_channel && v->shift[0] <= -2;
    if ((v->qp != NULL || pt) && (k & 3) == 0 && k > 0 && v->out_c >= 4) {
        const int clamp = lo != -128 || hi != 127;
        ek_fc_job_t job = {v->qp != NULL ? v->qp : v->bias, v->out_c >> 2, k >> 2, e128, 0, 0, 0,
                           off, lo, hi, input, output, 0, v->qp != NULL ? 64 : 16};
        if (v->qp != NULL) {
            job.mode = clamp ? EK_FC_QP_CLAMP : EK_FC_QP_FULL;
        } else {
            job.mode = clamp ? EK_FC_PT_CLAMP : EK_FC_PT_FULL;
            job.m = v->multiplier[0];
            job.hr = 1 << (-v->shift[0] - 2);
            job.sh = -v->shift[0] - 1;
        }
        ek_fc_vec_s8(w, &job);
        c = v->out_c & ~3;
        w += (size_t)(c >> 2) * quad_bytes;
    }
#endif
    for (; c < v->out_c; c += 4, w += quad_bytes) {
        const int32_t n = v->out_c - c < 4 ? v->out_c - c : 4;
        int32_t acc[4];
        if (v->qp != NULL) {
            /* Bounded double rounding (host-proved |acc| < 2^30, shift <= -1). */
            const int32_t *qp = v->qp + 4 * c;
            for (int32_t j = 0; j < 4; ++j) {
                acc[j] = qp[j] - e128;
            }
            group_dot(input, k, w, acc, n);
            for (int32_t j = 0; j < n; ++j) {
                const int32_t r = ek_requant_double_bounded(acc[j], qp[4 + j], qp[8 + j], qp[12 + j]);
                output[c + j] = ek_clamp_s8(r + off, lo, hi);
            }
            continue;
        }
        for (int32_t j = 0; j < 4; ++j) {
            acc[j] = v->bias[c + j] - e128;
        }
        group_dot(input, k, w, acc, n);
        if (fast) {
            /* Single rounding, shift <= -1: (acc*m + 2^(30+s)) >> (31+s) as the high word of
             * the 64-bit sum, then >> (s-1) (s = -shift); constant 64-bit shifts only (a
             * variable one is a library call on Arm). */
            for (int32_t j = 0; j < n; ++j) {
                const int32_t q = v->per_channel ? c + j : 0;
                const int32_t s = -v->shift[q];
                const int64_t round = s >= 2 ? (int64_t)((uint64_t)(1u << (s - 2)) << 32)
                                             : (int64_t)0x80000000u;
                const int64_t sum = (int64_t)acc[j] * v->multiplier[q] + round;
                const int32_t r = (int32_t)(sum >> 32) >> (s - 1);
                output[c + j] = ek_clamp_s8(r + off, lo, hi);
            }
        } else {
            for (int32_t j = 0; j < n; ++j) {
                output[c + j] = vec_requant(v, acc[j], c + j);
            }
        }
    }
}

void ek_fully_connected_s8_packed(const ek_fc_packed_params_t *p, const int8_t *input,
                                  int8_t *output, int8_t *scratch)
{
    if (p->vec.weights != NULL) {
        (void)scratch;
        for (int32_t b = 0; b < p->batches; ++b) {
            fc_vec(&p->vec, p->in_features, input + (size_t)b * p->in_features,
                   output + (size_t)b * p->vec.out_c);
        }
        return;
    }
    int16_t *cols = (int16_t *)(void *)scratch;
    const int32_t k = p->in_features, kp = p->gemm.k_padded, n = p->gemm.out_c;
    int32_t b = 0;
    for (; b + 1 < p->batches; b += 2) {
        widen_row(input + (size_t)b * k, k, kp, cols, 0);
        widen_row(input + (size_t)(b + 1) * k, k, kp, cols, 1);
        ek_gemm_2px(&p->gemm, cols, output + (size_t)b * n, output + (size_t)(b + 1) * n);
    }
    if (b < p->batches) {
        widen_row(input + (size_t)b * k, k, kp, cols, 0);
        ek_gemm_1px(&p->gemm, cols, output + (size_t)b * n);
    }
}

/* ---- Cores without SIMD: 4 output channels per pass (ek_fully_connected_s8_blocked) ---- */

void ek_fully_connected_s8_blocked(const ek_fc_params_t *p, const int8_t *input, int8_t *output)
{
    const int32_t k = p->in_features, n = p->out_features;
    for (int32_t b = 0; b < p->batches; ++b) {
        const int8_t *x_b = input + (size_t)b * k;
        int8_t *out = output + (size_t)b * n;
        const int8_t *w = p->weights;
        for (int32_t o = 0; o < n; o += 4) {
            int32_t a0 = p->bias[o], a1 = p->bias[o + 1], a2 = p->bias[o + 2], a3 = p->bias[o + 3];
            const int8_t *x = x_b;
            const int8_t *const end = w + 4 * (size_t)k;
#define EK_FCB_STEP(i)                                                                   \
    do {                                                                                 \
        const int32_t v = x[i];                                                          \
        a0 += v * w[4 * (i)];                                                            \
        a1 += v * w[4 * (i) + 1];                                                        \
        a2 += v * w[4 * (i) + 2];                                                        \
        a3 += v * w[4 * (i) + 3];                                                        \
    } while (0)
            if (k & 1) {
                EK_FCB_STEP(0);
                x += 1;
                w += 4;
            }
            while (w != end) {
                EK_FCB_STEP(0);
                EK_FCB_STEP(1);
                x += 2;
                w += 8;
            }
#undef EK_FCB_STEP
            const int32_t acc[4] = {a0, a1, a2, a3};
            for (int32_t i = 0; i < 4 && o + i < n; ++i) {
                const int32_t q = p->per_channel ? o + i : 0;
                out[o + i] = ek_requant_s8(acc[i], p->multiplier[q], p->shift[q], p->rounding,
                                           p->output_offset, p->act);
            }
        }
    }
}
