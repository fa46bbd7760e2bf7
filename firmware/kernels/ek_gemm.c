/* Packed 2x2 SMLAD GEMM core; see ek_gemm.h. */
#include "ek_gemm.h"

#if defined(EK_ARM_DSP)
/* Inner loops in inline assembly: GCC does not form LDRD by itself, and LDRD halves the
 * load instructions. Two chunks (8 K) per iteration; 13 registers. */
static inline void dot_i16(const int16_t *w, const int16_t *col, int32_t iters, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t w0, w1, w2, w3, x0, x1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[w0], %[w1], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a00], %[x0], %[w0], %[a00]\n\t"
        "ldrd %[w2], %[w3], [%[pw]], #8\n\t"
        "smlad %[a00], %[x1], %[w1], %[a00]\n\t"
        "smlad %[a01], %[x0], %[w2], %[a01]\n\t"
        "smlad %[a01], %[x1], %[w3], %[a01]\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a10], %[x0], %[w0], %[a10]\n\t"
        "smlad %[a10], %[x1], %[w1], %[a10]\n\t"
        "smlad %[a11], %[x0], %[w2], %[a11]\n\t"
        "smlad %[a11], %[x1], %[w3], %[a11]\n\t"
        "ldrd %[w0], %[w1], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a00], %[x0], %[w0], %[a00]\n\t"
        "ldrd %[w2], %[w3], [%[pw]], #8\n\t"
        "smlad %[a00], %[x1], %[w1], %[a00]\n\t"
        "smlad %[a01], %[x0], %[w2], %[a01]\n\t"
        "smlad %[a01], %[x1], %[w3], %[a01]\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a10], %[x0], %[w0], %[a10]\n\t"
        "smlad %[a10], %[x1], %[w1], %[a10]\n\t"
        "smlad %[a11], %[x0], %[w2], %[a11]\n\t"
        "smlad %[a11], %[x1], %[w3], %[a11]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [pw] "+r"(w),
          [pc] "+r"(col), [n] "+r"(iters), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
          [w3] "=&r"(w3), [x0] "=&r"(x0), [x1] "=&r"(x1)
        :
        : "cc", "memory");
    acc[0] = a00; acc[1] = a01; acc[2] = a10; acc[3] = a11;
}

static inline void dot_i8(const int8_t *w, const int16_t *col, int32_t iters, int32_t acc[4])
{
    int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
    uint32_t w0, w1, w2, w3, x0, x1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[w0], %[w2], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "sxtb16 %[w1], %[w0], ror #8\n\t"
        "sxtb16 %[w0], %[w0]\n\t"
        "sxtb16 %[w3], %[w2], ror #8\n\t"
        "sxtb16 %[w2], %[w2]\n\t"
        "smlad %[a00], %[x0], %[w0], %[a00]\n\t"
        "smlad %[a00], %[x1], %[w1], %[a00]\n\t"
        "smlad %[a01], %[x0], %[w2], %[a01]\n\t"
        "smlad %[a01], %[x1], %[w3], %[a01]\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a10], %[x0], %[w0], %[a10]\n\t"
        "smlad %[a10], %[x1], %[w1], %[a10]\n\t"
        "smlad %[a11], %[x0], %[w2], %[a11]\n\t"
        "smlad %[a11], %[x1], %[w3], %[a11]\n\t"
        "ldrd %[w0], %[w2], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "sxtb16 %[w1], %[w0], ror #8\n\t"
        "sxtb16 %[w0], %[w0]\n\t"
        "sxtb16 %[w3], %[w2], ror #8\n\t"
        "sxtb16 %[w2], %[w2]\n\t"
        "smlad %[a00], %[x0], %[w0], %[a00]\n\t"
        "smlad %[a00], %[x1], %[w1], %[a00]\n\t"
        "smlad %[a01], %[x0], %[w2], %[a01]\n\t"
        "smlad %[a01], %[x1], %[w3], %[a01]\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #8\n\t"
        "smlad %[a10], %[x0], %[w0], %[a10]\n\t"
        "smlad %[a10], %[x1], %[w1], %[a10]\n\t"
        "smlad %[a11], %[x0], %[w2], %[a11]\n\t"
        "smlad %[a11], %[x1], %[w3], %[a11]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [pw] "+r"(w),
          [pc] "+r"(col), [n] "+r"(iters), [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2),
          [w3] "=&r"(w3), [x0] "=&r"(x0), [x1] "=&r"(x1)
        :
        : "cc", "memory");
    acc[0] = a00; acc[1] = a01; acc[2] = a10; acc[3] = a11;
}
static inline void dot1_i8(const int8_t *w, const int16_t *col, int32_t iters, int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    uint32_t w0, w1, w2, w3, x0, x1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[w0], %[w2], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #16\n\t"
        "sxtb16 %[w1], %[w0], ror #8\n\t"
        "sxtb16 %[w0], %[w0]\n\t"
        "sxtb16 %[w3], %[w2], ror #8\n\t"
        "sxtb16 %[w2], %[w2]\n\t"
        "smlad %[a0], %[x0], %[w0], %[a0]\n\t"
        "smlad %[a0], %[x1], %[w1], %[a0]\n\t"
        "smlad %[a1], %[x0], %[w2], %[a1]\n\t"
        "smlad %[a1], %[x1], %[w3], %[a1]\n\t"
        "ldrd %[w0], %[w2], [%[pw]], #8\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #16\n\t"
        "sxtb16 %[w1], %[w0], ror #8\n\t"
        "sxtb16 %[w0], %[w0]\n\t"
        "sxtb16 %[w3], %[w2], ror #8\n\t"
        "sxtb16 %[w2], %[w2]\n\t"
        "smlad %[a0], %[x0], %[w0], %[a0]\n\t"
        "smlad %[a0], %[x1], %[w1], %[a0]\n\t"
        "smlad %[a1], %[x0], %[w2], %[a1]\n\t"
        "smlad %[a1], %[x1], %[w3], %[a1]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [pw] "+r"(w), [pc] "+r"(col), [n] "+r"(iters),
          [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [x0] "=&r"(x0),
          [x1] "=&r"(x1)
        :
        : "cc", "memory");
    acc[0] = a0; acc[1] = a1;
}

static inline void dot1_i16(const int16_t *w, const int16_t *col, int32_t iters, int32_t acc[2])
{
    int32_t a0 = acc[0], a1 = acc[1];
    uint32_t w0, w1, w2, w3, x0, x1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #16\n\t"
        "ldrd %[w0], %[w1], [%[pw]], #8\n\t"
        "ldrd %[w2], %[w3], [%[pw]], #8\n\t"
        "smlad %[a0], %[x0], %[w0], %[a0]\n\t"
        "smlad %[a0], %[x1], %[w1], %[a0]\n\t"
        "smlad %[a1], %[x0], %[w2], %[a1]\n\t"
        "smlad %[a1], %[x1], %[w3], %[a1]\n\t"
        "ldrd %[x0], %[x1], [%[pc]], #16\n\t"
        "ldrd %[w0], %[w1], [%[pw]], #8\n\t"
        "ldrd %[w2], %[w3], [%[pw]], #8\n\t"
        "smlad %[a0], %[x0], %[w0], %[a0]\n\t"
        "smlad %[a0], %[x1], %[w1], %[a0]\n\t"
        "smlad %[a1], %[x0], %[w2], %[a1]\n\t"
        "smlad %[a1], %[x1], %[w3], %[a1]\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [pw] "+r"(w), [pc] "+r"(col), [n] "+r"(iters),
          [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [x0] "=&r"(x0),
          [x1] "=&r"(x1)
        :
        : "cc", "memory");
    acc[0] = a0; acc[1] = a1;
}
#else
/* Portable twins: the same lane arithmetic through the C primitives of ek_common.h. */
static void block(uint32_t c0l, uint32_t c0h, uint32_t c1l, uint32_t c1h, const int16_t *col,
                  int32_t acc[4])
{
    const uint32_t a0 = ek_read_u32(col), a1 = ek_read_u32(col + 2);
    const uint32_t b0 = ek_read_u32(col + 4), b1 = ek_read_u32(col + 6);
    acc[0] = ek_smlad(a1, c0h, ek_smlad(a0, c0l, acc[0]));
    acc[1] = ek_smlad(a1, c1h, ek_smlad(a0, c1l, acc[1]));
    acc[2] = ek_smlad(b1, c0h, ek_smlad(b0, c0l, acc[2]));
    acc[3] = ek_smlad(b1, c1h, ek_smlad(b0, c1l, acc[3]));
}

static void dot_i16(const int16_t *w, const int16_t *col, int32_t iters, int32_t acc[4])
{
    for (int32_t n = 2 * iters; n > 0; --n, w += 8, col += 8) {
        block(ek_read_u32(w), ek_read_u32(w + 2), ek_read_u32(w + 4), ek_read_u32(w + 6), col, acc);
    }
}

static void dot_i8(const int8_t *w, const int16_t *col, int32_t iters, int32_t acc[4])
{
    for (int32_t n = 2 * iters; n > 0; --n, w += 8, col += 8) {
        const uint32_t c0 = ek_read_u32(w), c1 = ek_read_u32(w + 4);
        block(ek_sxtb16(c0), ek_sxtb16_ror8(c0), ek_sxtb16(c1), ek_sxtb16_ror8(c1), col, acc);
    }
}
static void dot1_i16(const int16_t *w, const int16_t *col, int32_t iters, int32_t acc[2])
{
    for (int32_t n = 2 * iters; n > 0; --n, w += 8, col += 8) {
        const uint32_t a0 = ek_read_u32(col), a1 = ek_read_u32(col + 2);
        acc[0] = ek_smlad(a1, ek_read_u32(w + 2), ek_smlad(a0, ek_read_u32(w), acc[0]));
        acc[1] = ek_smlad(a1, ek_read_u32(w + 6), ek_smlad(a0, ek_read_u32(w + 4), acc[1]));
    }
}

static void dot1_i8(const int8_t *w, const int16_t *col, int32_t iters, int32_t acc[2])
{
    for (int32_t n = 2 * iters; n > 0; --n, w += 8, col += 8) {
        const uint32_t c0 = ek_read_u32(w), c1 = ek_read_u32(w + 4);
        const uint32_t a0 = ek_read_u32(col), a1 = ek_read_u32(col + 2);
        acc[0] = ek_smlad(a1, ek_sxtb16_ror8(c0), ek_smlad(a0, ek_sxtb16(c0), acc[0]));
        acc[1] = ek_smlad(a1, ek_sxtb16_ror8(c1), ek_smlad(a0, ek_sxtb16(c1), acc[1]));
    }
}
#endif

static inline int8_t requant(const ek_gemm_t *g, int32_t acc, int32_t c)
{
    const int32_t q = g->per_channel ? c : 0; /* per-tensor layers store one pair */
    const int32_t shift = g->shift[q];
    if (g->rounding == EK_ROUND_SINGLE && shift <= -1) {
        /* (x*m + 2^(30-shift)) >> (31-shift) = high word of the 64-bit sum >> (-shift-1). */
        const int64_t sum = (int64_t)acc * g->multiplier[q] + ((int64_t)1 << (30 - shift));
        const int32_t v = (int32_t)(sum >> 32) >> (-shift - 1);
        return ek_clamp_s8(v + g->output_offset, g->act.min, g->act.max);
    }
    const int32_t v = g->rounding == EK_ROUND_SINGLE
                          ? ek_requant_single(acc, g->multiplier[q], shift)
                          : ek_requant_double_fast(acc, g->multiplier[q], shift);
    return ek_clamp_s8(v + g->output_offset, g->act.min, g->act.max);
}

static inline int32_t clamp_store(int32_t v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

/* The common case: bounded double-rounding requantization with the per-pair constants
 * read sequentially, output pointers advancing; the odd last channel is a tail. */
#define EK_RQ(acc, m, e, r) ek_requant_double_bounded((acc), (m), (e), (r))

/* Raw accumulators of all channel pairs for the two columns: acc[4n..4n+3] = {A.c0, A.c1,
 * B.c0, B.c1} of pair n, starting from the biases in qp (stride 8 words). The loop over
 * pairs is assembly too (ek_dot_pairs_*), so nothing is spilled per block. */
#if defined(EK_ARM_DSP)
void ek_dot_pairs_i16(const int16_t *w, const int16_t *cols, const int32_t *qp, int32_t *acc,
                      int32_t iters, int32_t pairs);
void ek_dot_pairs_i8(const int8_t *w, const int16_t *cols, const int32_t *qp, int32_t *acc,
                     int32_t iters, int32_t pairs);

/* r0 w, r1 cols, r2 qp, r3 acc, [sp] iters, [sp+4] pairs (AAPCS). State on the stack:
 * [sp] cols, [sp+4] qp, [sp+8] acc, [sp+12] pairs left; iters at [sp+52]. */
#define EK_PAIRS_PROLOGUE(name)                                                            \
    "\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global " name "\n\t.thumb_func\n"  \
    "\t.type " name ", %function\n" name ":\n"                                            \
    "\tpush {r4-r11, lr}\n"                                                              \
    "\tldr r4, [sp, #40]\n"                                                              \
    "\tpush {r1, r2, r3, r4}\n"                                                          \
    "1:\n"                                                                               \
    "\tldr r12, [sp, #4]\n"                                                              \
    "\tldrd r4, r5, [r12], #32\n"                                                        \
    "\tstr r12, [sp, #4]\n"                                                              \
    "\tmov r6, r4\n"                                                                     \
    "\tmov r7, r5\n"                                                                     \
    "\tldr r1, [sp, #0]\n"                                                               \
    "\tldr lr, [sp, #52]\n"                                                              \
    "2:\n"
#define EK_PAIRS_EPILOGUE(name)                                                            \
    "\tsubs lr, lr, #1\n"                                                                \
    "\tbne 2b\n"                                                                         \
    "\tldr r12, [sp, #8]\n"                                                              \
    "\tstmia r12!, {r4, r5, r6, r7}\n"                                                   \
    "\tstr r12, [sp, #8]\n"                                                              \
    "\tldr r12, [sp, #12]\n"                                                             \
    "\tsubs r12, r12, #1\n"                                                              \
    "\tstr r12, [sp, #12]\n"                                                             \
    "\tbne 1b\n"                                                                         \
    "\tadd sp, sp, #16\n"                                                                \
    "\tpop {r4-r11, pc}\n"                                                               \
    "\t.size " name ", .-" name "\n"
#define EK_I16_CHUNK                                                                       \
    "\tldrd r8, r9, [r0], #8\n\tldrd r2, r3, [r1], #8\n\tsmlad r4, r2, r8, r4\n"           \
    "\tldrd r10, r11, [r0], #8\n\tsmlad r4, r3, r9, r4\n\tsmlad r5, r2, r10, r5\n"         \
    "\tsmlad r5, r3, r11, r5\n\tldrd r2, r3, [r1], #8\n\tsmlad r6, r2, r8, r6\n"           \
    "\tsmlad r6, r3, r9, r6\n\tsmlad r7, r2, r10, r7\n\tsmlad r7, r3, r11, r7\n"
#define EK_I8_CHUNK                                                                        \
    "\tldrd r8, r10, [r0], #8\n\tldrd r2, r3, [r1], #8\n\tsxtb16 r9, r8, ror #8\n"         \
    "\tsxtb16 r8, r8\n\tsxtb16 r11, r10, ror #8\n\tsxtb16 r10, r10\n"                     \
    "\tsmlad r4, r2, r8, r4\n\tsmlad r4, r3, r9, r4\n\tsmlad r5, r2, r10, r5\n"             \
    "\tsmlad r5, r3, r11, r5\n\tldrd r2, r3, [r1], #8\n\tsmlad r6, r2, r8, r6\n"           \
    "\tsmlad r6, r3, r9, r6\n\tsmlad r7, r2, r10, r7\n\tsmlad r7, r3, r11, r7\n"

__asm__(EK_PAIRS_PROLOGUE("ek_dot_pairs_i16") EK_I16_CHUNK EK_I16_CHUNK EK_PAIRS_EPILOGUE("ek_dot_pairs_i16"));
__asm__(EK_PAIRS_PROLOGUE("ek_dot_pairs_i8") EK_I8_CHUNK EK_I8_CHUNK EK_PAIRS_EPILOGUE("ek_dot_pairs_i8"));

/* Bounded requantization of `pairs` whole channel pairs, output range [lo, 127]:
 * ek_requant_double_bounded + offset + SSAT (+ max with lo in the _lo variant for fused
 * ReLU), 8 (11) instructions an output. r0 acc, r1 qp, r2 out_a, r3 out_b, [sp] pairs,
 * [sp+4] offset, [sp+8] lo. */
void ek_requant_pairs_s8(const int32_t *acc, const int32_t *qp, int8_t *out_a, int8_t *out_b,
                         int32_t pairs, int32_t offset, int32_t lo);
void ek_requant_pairs_s8_lo(const int32_t *acc, const int32_t *qp, int8_t *out_a, int8_t *out_b,
                            int32_t pairs, int32_t offset, int32_t lo);
#define EK_RQ_CORE(a)                                                                            \
    "\tlsl " a ", " a ", #1\n\tsmmulr " a ", " a ", r10\n\tadd " a ", " a ", " a ", asr #31\n"     \
    "\tadd " a ", " a ", r12\n\tasr " a ", " a ", r11\n\tadd " a ", " a ", r5\n"                  \
    "\tssat " a ", #8, " a "\n"
#define EK_RQ_ONE(a, out) EK_RQ_CORE(a) "\tstrb " a ", [" out "], #1\n"
#define EK_RQ_ONE_LO(a, out)                                                                     \
    EK_RQ_CORE(a) "\tcmp " a ", lr\n\tit lt\n\tmovlt " a ", lr\n\tstrb " a ", [" out "], #1\n"
#define EK_RQ_PAIRS(name, one)                                                                   \
    "\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global " name "\n\t.thumb_func\n"     \
    "\t.type " name ", %function\n" name ":\n"                                                    \
    "\tpush {r4-r11, lr}\n\tldr r4, [sp, #36]\n\tldr r5, [sp, #40]\n\tldr lr, [sp, #44]\n"       \
    "1:\n"                                                                                         \
    "\tldrd r6, r7, [r0], #8\n\tldrd r8, r9, [r0], #8\n"                                          \
    "\tldr r10, [r1, #8]\n\tldrd r11, r12, [r1, #16]\n"                                           \
    one("r6", "r2") one("r8", "r3")                                                               \
    "\tldr r10, [r1, #12]\n\tldrd r11, r12, [r1, #24]\n"                                          \
    one("r7", "r2") one("r9", "r3")                                                               \
    "\tadd r1, r1, #32\n\tsubs r4, r4, #1\n\tbne 1b\n\tpop {r4-r11, pc}\n"                      \
    "\t.size " name ", .-" name "\n"
__asm__(EK_RQ_PAIRS("ek_requant_pairs_s8", EK_RQ_ONE));
__asm__(EK_RQ_PAIRS("ek_requant_pairs_s8_lo", EK_RQ_ONE_LO));
#else
static void ek_dot_pairs_i16(const int16_t *w, const int16_t *cols, const int32_t *qp, int32_t *acc,
                             int32_t iters, int32_t pairs)
{
    for (int32_t n = 0; n < pairs; ++n, qp += 8, acc += 4) {
        int32_t a[4] = {qp[0], qp[1], qp[0], qp[1]};
        dot_i16(w + (size_t)n * 16 * iters, cols, iters, a);
        acc[0] = a[0], acc[1] = a[1], acc[2] = a[2], acc[3] = a[3];
    }
}

static void ek_dot_pairs_i8(const int8_t *w, const int16_t *cols, const int32_t *qp, int32_t *acc,
                            int32_t iters, int32_t pairs)
{
    for (int32_t n = 0; n < pairs; ++n, qp += 8, acc += 4) {
        int32_t a[4] = {qp[0], qp[1], qp[0], qp[1]};
        dot_i8(w + (size_t)n * 16 * iters, cols, iters, a);
        acc[0] = a[0], acc[1] = a[1], acc[2] = a[2], acc[3] = a[3];
    }
}
#endif

/* The common case: bounded double-rounding requantization. First every raw accumulator
 * (assembly pair loop), then one lean requantization pass reading the constants in order. */
static void gemm_2px_bounded(const ek_gemm_t *g, int16_t *cols, int8_t *out_a, int8_t *out_b)
{
    const int32_t iters = g->k_padded >> 3, pairs = (g->out_c + 1) >> 1, out_c = g->out_c;
    int32_t *acc = (int32_t *)(void *)(cols + 2 * g->k_padded);
    if (g->weights_int16) {
        ek_dot_pairs_i16((const int16_t *)g->weights, cols, g->qp, acc, iters, pairs);
    } else {
        ek_dot_pairs_i8((const int8_t *)g->weights, cols, g->qp, acc, iters, pairs);
    }
    const int32_t off = g->output_offset, lo = g->act.min, hi = g->act.max;
    const int full = lo == -128 && hi == 127;
    const int32_t *q = g->qp;
    int32_t c = 0;
#if defined(EK_ARM_DSP)
    if (hi == 127 && out_c >= 2) {
        if (full) {
            ek_requant_pairs_s8(acc, q, out_a, out_b, out_c >> 1, off, lo);
        } else {
            ek_requant_pairs_s8_lo(acc, q, out_a, out_b, out_c >> 1, off, lo);
        }
        c = out_c & ~1;
        q += 4 * c;
        acc += 2 * c;
    }
#endif
    for (; c < out_c; c += 2, q += 8, acc += 4) {
        /* Everything into locals first: the int8 stores below may alias q and acc. */
        const int32_t m0 = q[2], m1 = q[3], e0 = q[4], r0 = q[5], e1 = q[6], r1 = q[7];
        int32_t v0 = EK_RQ(acc[0], m0, e0, r0) + off, v2 = EK_RQ(acc[2], m0, e0, r0) + off;
        int32_t v1 = EK_RQ(acc[1], m1, e1, r1) + off, v3 = EK_RQ(acc[3], m1, e1, r1) + off;
        if (full) {
            v0 = ek_ssat8(v0), v1 = ek_ssat8(v1), v2 = ek_ssat8(v2), v3 = ek_ssat8(v3);
        } else {
            v0 = clamp_store(v0, lo, hi), v1 = clamp_store(v1, lo, hi);
            v2 = clamp_store(v2, lo, hi), v3 = clamp_store(v3, lo, hi);
        }
        out_a[c] = (int8_t)v0;
        out_b[c] = (int8_t)v2;
        if (c + 1 < out_c) {
            out_a[c + 1] = (int8_t)v1;
            out_b[c + 1] = (int8_t)v3;
        }
    }
}

/* Raw dot products of one column (slot A) with four channels at a time (two packed pairs
 * walked together), int8 weights: acc[c] for every channel of `quads` * 4. */
#if defined(EK_ARM_DSP)
void ek_dot1_quads_i8(const int8_t *w, const int16_t *cols, int32_t *acc, int32_t iters,
                      int32_t quads);
#define EK_Q_CHUNK                                                                               \
    "\tldrd r2, r3, [r1], #16\n\tldrd r8, r10, [r0], #8\n\tsxtb16 r9, r8, ror #8\n"             \
    "\tsxtb16 r8, r8\n\tsxtb16 r11, r10, ror #8\n\tsxtb16 r10, r10\n"                          \
    "\tsmlad r4, r2, r8, r4\n\tsmlad r4, r3, r9, r4\n\tsmlad r5, r2, r10, r5\n"                \
    "\tsmlad r5, r3, r11, r5\n\tldrd r8, r10, [r12], #8\n\tsxtb16 r9, r8, ror #8\n"          \
    "\tsxtb16 r8, r8\n\tsxtb16 r11, r10, ror #8\n\tsxtb16 r10, r10\n"                          \
    "\tsmlad r6, r2, r8, r6\n\tsmlad r6, r3, r9, r6\n\tsmlad r7, r2, r10, r7\n"                \
    "\tsmlad r7, r3, r11, r7\n"
/* r0 w, r1 cols, r2 acc, r3 iters, [sp] quads; state [sp] cols, +4 acc, +8 iters,
 * +12 quads left, +16 bytes per channel pair. r12 walks the second pair of the quad. */
__asm__("\t.text\n\t.syntax unified\n\t.thumb\n\t.align 2\n\t.global ek_dot1_quads_i8\n"
        "\t.thumb_func\n\t.type ek_dot1_quads_i8, %function\nek_dot1_quads_i8:\n"
        "\tpush {r4-r11, lr}\n\tldr r4, [sp, #36]\n\tlsl r5, r3, #4\n\tpush {r1-r5}\n"
        "1:\n\tldr r1, [sp]\n\tldr lr, [sp, #8]\n\tldr r12, [sp, #16]\n\tadd r12, r0, r12\n"
        "\tmovs r4, #0\n\tmovs r5, #0\n\tmovs r6, #0\n\tmovs r7, #0\n"
        "2:\n" EK_Q_CHUNK EK_Q_CHUNK "\tsubs lr, lr, #1\n\tbne 2b\n"
        "\tldr r2, [sp, #4]\n\tstmia r2!, {r4, r5, r6, r7}\n\tstr r2, [sp, #4]\n\tmov r0, r12\n"
        "\tldr r2, [sp, #12]\n\tsubs r2, r2, #1\n\tstr r2, [sp, #12]\n\tbne 1b\n"
        "\tadd sp, sp, #20\n\tpop {r4-r11, pc}\n"
        "\t.size ek_dot1_quads_i8, .-ek_dot1_quads_i8\n");
#else
static void ek_dot1_quads_i8(const int8_t *w, const int16_t *cols, int32_t *acc, int32_t iters,
                             int32_t quads)
{
    const size_t pair_bytes = (size_t)16 * iters;
    for (int32_t n = 0; n < 2 * quads; ++n, acc += 2) {
        int32_t a[2] = {0, 0};
        dot1_i8(w + (size_t)n * pair_bytes, cols, iters, a);
        acc[0] = a[0], acc[1] = a[1];
    }
}
#endif

/* Raw accumulators of every channel for one column with int8 weights (no bias). */
static void dot1_all_i8(const ek_gemm_t *g, const int16_t *cols, int32_t *acc)
{
    const int32_t iters = g->k_padded >> 3, pairs = (g->out_c + 1) >> 1, quads = pairs >> 1;
    const int8_t *w = (const int8_t *)g->weights;
    if (quads > 0) {
        ek_dot1_quads_i8(w, cols, acc, iters, quads);
    }
    if (pairs & 1) {
        int32_t a[2] = {0, 0};
        dot1_i8(w + (size_t)(pairs - 1) * 2 * g->k_padded, cols, iters, a);
        acc[2 * (pairs - 1)] = a[0];
        acc[2 * (pairs - 1) + 1] = a[1];
    }
}

static void gemm_1px_bounded(const ek_gemm_t *g, const int16_t *cols, int8_t *out)
{
    const int32_t iters = g->k_padded >> 3, off = g->output_offset;
    const int32_t lo = g->act.min, hi = g->act.max;
    const int32_t *q = g->qp;
    for (int32_t c = 0; c < g->out_c; c += 2, q += 8) {
        int32_t acc[2] = {q[0], q[1]};
        if (g->weights_int16) {
            dot1_i16((const int16_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        } else {
            dot1_i8((const int8_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        }
        out[c] = (int8_t)clamp_store(EK_RQ(acc[0], q[2], q[4], q[5]) + off, lo, hi);
        if (c + 1 < g->out_c) {
            out[c + 1] = (int8_t)clamp_store(EK_RQ(acc[1], q[3], q[6], q[7]) + off, lo, hi);
        }
    }
}

void ek_gemm_2px(const ek_gemm_t *g, int16_t *cols, int8_t *out_a, int8_t *out_b)
{
    if (g->qp != NULL) {
        if (out_b != NULL) {
            gemm_2px_bounded(g, cols, out_a, out_b);
        } else {
            gemm_1px_bounded(g, cols, out_a);
        }
        return;
    }
    const int32_t iters = g->k_padded >> 3;
    for (int32_t c = 0; c < g->out_c; c += 2) {
        int32_t acc[4] = {g->bias[c], g->bias[c + 1], g->bias[c], g->bias[c + 1]};
        if (g->weights_int16) {
            dot_i16((const int16_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        } else {
            dot_i8((const int8_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        }
        const int has_c1 = c + 1 < g->out_c;
        out_a[c] = requant(g, acc[0], c);
        if (has_c1) {
            out_a[c + 1] = requant(g, acc[1], c + 1);
        }
        if (out_b != NULL) {
            out_b[c] = requant(g, acc[2], c);
            if (has_c1) {
                out_b[c + 1] = requant(g, acc[3], c + 1);
            }
        }
    }
}

void ek_gemm_1px(const ek_gemm_t *g, int16_t *cols, int8_t *out)
{
    if (!g->weights_int16) {
        /* Batch-1 FULLY_CONNECTED and odd last pixels: four channels per pass. */
        int32_t *acc = (int32_t *)(void *)(cols + 2 * g->k_padded);
        dot1_all_i8(g, cols, acc);
        const int32_t off = g->output_offset, lo = g->act.min, hi = g->act.max;
        const int32_t out_c = g->out_c;
        if (g->qp != NULL) {
            for (int32_t c = 0; c < out_c; ++c) {
                const int32_t *q = g->qp + 8 * (c >> 1), j = c & 1;
                const int32_t v = EK_RQ(acc[c] + q[j], q[2 + j], q[4 + 2 * j], q[5 + 2 * j]) + off;
                out[c] = (int8_t)clamp_store(v, lo, hi);
            }
        } else if (g->rounding == EK_ROUND_SINGLE && !g->per_channel && g->shift[0] <= -1) {
            /* TF's per-tensor FC: one multiplier; single rounding as the high word of the
             * 64-bit sum (exact for shift <= -1). */
            const int32_t m = g->multiplier[0], sh = -g->shift[0] - 1;
            const int64_t round = (int64_t)1 << (31 + sh);
            const int32_t *bias = g->bias;
            for (int32_t c = 0; c < out_c; ++c) {
                const int32_t v = (int32_t)(((int64_t)(acc[c] + bias[c]) * m + round) >> 32) >> sh;
                out[c] = (int8_t)clamp_store(v + off, lo, hi);
            }
        } else {
            for (int32_t c = 0; c < out_c; ++c) {
                out[c] = requant(g, acc[c] + g->bias[c], c);
            }
        }
        return;
    }
    if (g->qp != NULL) {
        gemm_1px_bounded(g, cols, out);
        return;
    }
    const int32_t iters = g->k_padded >> 3;
    for (int32_t c = 0; c < g->out_c; c += 2) {
        int32_t acc[2] = {g->bias[c], g->bias[c + 1]};
        if (g->weights_int16) {
            dot1_i16((const int16_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        } else {
            dot1_i8((const int8_t *)g->weights + (size_t)c * g->k_padded, cols, iters, acc);
        }
        out[c] = requant(g, acc[0], c);
        if (c + 1 < g->out_c) {
            out[c + 1] = requant(g, acc[1], c + 1);
        }
    }
}

/* ---- int16x8 (see ek_gemm.h) ---- */

/* The exact int64 sums of one channel pair: acc[4] = A.c0, A.c1, B.c0, B.c1 (two_px) or
 * acc[0..1] = A.c0, A.c1, in int32 blocks of EK_GEMM_S16_BLOCK_K products. */
static void dot_s16_pair(const int16_t *w, const int16_t *cols, int32_t iters, int two_px, int64_t acc[4])
{
    enum { BLOCK_ITERS = EK_GEMM_S16_BLOCK_K / 8 };
    acc[0] = acc[1] = acc[2] = acc[3] = 0;
    for (int32_t done = 0; done < iters; done += BLOCK_ITERS) {
        const int32_t n = iters - done < BLOCK_ITERS ? iters - done : BLOCK_ITERS;
        const size_t off = (size_t)done * 16;
        int32_t a[4] = {0, 0, 0, 0};
        if (two_px) {
            dot_i16(w + off, cols + off, n, a);
        } else {
            dot1_i16(w + off, cols + off, n, a);
        }
        for (int32_t i = 0; i < 4; ++i) {
            acc[i] += a[i];
        }
    }
}

static inline int16_t requant_s16(const ek_gemm_s16_t *g, int64_t acc, int32_t c)
{
    return ek_clamp_s16(ek_requant_s64_folded(acc, g->rq + 4 * c), g->act.min, g->act.max);
}

static inline int16_t requant_s16_32(const ek_gemm_s16_t *g, int32_t acc, int32_t c)
{
    return ek_clamp_s16(ek_requant_s64_folded32(acc, g->rq + 4 * c), g->act.min, g->act.max);
}

void ek_gemm_s16_2px(const ek_gemm_s16_t *g, const int16_t *cols, int16_t *out_a, int16_t *out_b)
{
    const int32_t iters = g->k_padded >> 3;
    if (iters <= EK_GEMM_S16_BLOCK_K / 8 && out_b != NULL) {
        /* One block (K <= 504, every layer of the MLPerf models): the int32 sums are exact. */
        for (int32_t c = 0; c < g->out_c; c += 2) {
            int32_t acc[4] = {0, 0, 0, 0};
            dot_i16(g->weights + (size_t)c * g->k_padded, cols, iters, acc);
            out_a[c] = requant_s16_32(g, acc[0], c);
            out_b[c] = requant_s16_32(g, acc[2], c);
            if (c + 1 < g->out_c) {
                out_a[c + 1] = requant_s16_32(g, acc[1], c + 1);
                out_b[c + 1] = requant_s16_32(g, acc[3], c + 1);
            }
        }
        return;
    }
    for (int32_t c = 0; c < g->out_c; c += 2) {
        int64_t acc[4];
        dot_s16_pair(g->weights + (size_t)c * g->k_padded, cols, iters, out_b != NULL, acc);
        const int has_c1 = c + 1 < g->out_c;
        out_a[c] = requant_s16(g, acc[0], c);
        if (has_c1) {
            out_a[c + 1] = requant_s16(g, acc[1], c + 1);
        }
        if (out_b != NULL) {
            out_b[c] = requant_s16(g, acc[2], c);
            if (has_c1) {
                out_b[c + 1] = requant_s16(g, acc[3], c + 1);
            }
        }
    }
}
