/* Test firmware for the BSP (tests/test_bsp.py): reports the board, whether startup
 * initialized .data/.bss and the FPU, the getc timeout, the ticks a loop of exactly
 * 2*EK_PROBE_LOOPS instructions takes, then echoes bytes until it receives 'q' followed
 * by an exit status byte, or 'F' (on Arm: execute an undefined instruction). */
#include <stdint.h>

#include "ek_bsp.h"

#define EK_PROBE_LOOPS 200000u

static volatile uint32_t g_data_word = 0x12345678u; /* .data: copied by startup */
static volatile uint32_t g_bss_words[256];          /* .bss: zeroed by startup */

static void put_str(const char *s)
{
    while (*s) {
        ek_bsp_putc((uint8_t)*s++);
    }
}

static void put_u32(uint32_t v)
{
    char digits[11];
    int n = 0;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        ek_bsp_putc((uint8_t)digits[--n]);
    }
}

static void put_field(const char *key, uint32_t v)
{
    put_str(key);
    put_u32(v);
    ek_bsp_putc('\n');
}

/* Two instructions per iteration on every ISA, so ticks can be checked against the
 * board's instructions-per-tick ratio. */
static void counted_loop(uint32_t n)
{
#if defined(__arm__)
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
#elif defined(__riscv)
    __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(n));
#else
    for (volatile uint32_t i = 0; i < n; ++i) {
    }
#endif
}

int main(void)
{
    ek_bsp_init();
    put_str("board=");
    put_str(ek_bsp_board_name);
    ek_bsp_putc('\n');
    put_field("tps=", ek_bsp_ticks_per_second());
    put_field("num=", ek_bsp_units_per_tick_num());
    put_field("den=", ek_bsp_units_per_tick_den());
    put_field("emulated=", (uint32_t)ek_bsp_emulated());
    put_field("cpu_hz=", ek_bsp_cpu_hz());

    uint32_t bss_zero = 1u;
    for (uint32_t i = 0; i < 256u; ++i) {
        bss_zero &= (uint32_t)(g_bss_words[i] == 0u);
    }
    put_field("data_ok=", (uint32_t)(g_data_word == 0x12345678u));
    put_field("bss_ok=", bss_zero);
    volatile float f = 1.5f;
    f = f * 3.0f; /* a hardware FP instruction where the core has an FPU */
    put_field("fpu=", (uint32_t)(f * 2.0f));
    ek_bsp_flush();

    const uint32_t t0 = ek_bsp_ticks();
    counted_loop(EK_PROBE_LOOPS);
    const uint32_t t1 = ek_bsp_ticks();
    put_field("loop_instr=", 2u * EK_PROBE_LOOPS);
    put_field("loop_ticks=", t1 - t0);

    const uint32_t timeout = ek_bsp_ticks_per_second() / 1000u; /* 1 ms */
    const uint32_t w0 = ek_bsp_ticks();
    const int none = ek_bsp_getc(timeout);
    const uint32_t waited = ek_bsp_ticks() - w0;
    put_field("timeout_ok=", (uint32_t)(none == -1 && waited >= timeout));
    put_str("ready\n");
    ek_bsp_flush();

    for (;;) {
        const int c = ek_bsp_getc(EK_BSP_WAIT_FOREVER);
#if defined(__arm__)
        if (c == 'F') {
            __asm__ volatile("udf #0"); /* UsageFault -> the BSP's fault handler */
        }
#endif
        if (c == 'q') {
            const int code = ek_bsp_getc(EK_BSP_WAIT_FOREVER);
            put_str("bye\n");
            ek_bsp_exit(code);
        }
        ek_bsp_putc((uint8_t)c);
        ek_bsp_flush();
    }
}
