/* Minimal bare-metal runtime for the kernel tests on qemu-cortex-m4 (mps2-an386): vector
 * table, .data/.bss set-up, FPU on, CMSDK UART0 output, timer0 as an instruction counter
 * (-icount shift=0: 1 tick = 40 instructions), semihosting exit.
 * qemu-cortex-m55 (mps3-an547) builds it with -DKT_UART_BASE=0x59303000u and
 * -DKT_FPGAIO_COUNTER=0x59302018u: the same CMSDK UART, and the FPGAIO counter (counting
 * up, 1 tick = 50 instructions) instead of timer0. CP10/CP11 also switch MVE on. */
#include <stdint.h>
#include <string.h>

#include "kt_runtime.h"

int main(void);
extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;

void kt_reset(void);
void kt_fault(void);

__attribute__((section(".vectors"), used)) static void *const kt_vectors[16] = {
    (void *)&__stack_top, (void *)kt_reset, (void *)kt_fault, (void *)kt_fault,
    (void *)kt_fault, (void *)kt_fault, (void *)kt_fault, 0, 0, 0, 0,
    (void *)kt_fault, (void *)kt_fault, 0, (void *)kt_fault, (void *)kt_fault,
};

#ifndef KT_UART_BASE
#define KT_UART_BASE 0x40004000u
#endif
#define UART_DATA (*(volatile uint32_t *)(KT_UART_BASE))
#define UART_STATE (*(volatile uint32_t *)(KT_UART_BASE + 4u))
#define UART_CTRL (*(volatile uint32_t *)(KT_UART_BASE + 8u))
#define TIMER_CTRL (*(volatile uint32_t *)0x40000000u)
#define TIMER_VALUE (*(volatile uint32_t *)0x40000004u)
#define TIMER_RELOAD (*(volatile uint32_t *)0x40000008u)

void kt_exit(int code)
{
    volatile uint32_t block[2] = {0x20026u, (uint32_t)code};
    register uint32_t r0 __asm__("r0") = 0x20u; /* SYS_EXIT_EXTENDED */
    register volatile uint32_t *r1 __asm__("r1") = block;
    __asm__ volatile("bkpt 0xab" : : "r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

void kt_reset(void)
{
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20; /* CP10/CP11: FPU */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    memcpy(&__data_start, &__data_load, (size_t)((uintptr_t)&__data_end - (uintptr_t)&__data_start));
    memset(&__bss_start, 0, (size_t)((uintptr_t)&__bss_end - (uintptr_t)&__bss_start));
    UART_CTRL = 1u; /* TX enable before the first write */
#ifndef KT_FPGAIO_COUNTER
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 1u;
#endif
    kt_exit(main());
}

void kt_fault(void)
{
    kt_puts("FAULT\n");
    kt_exit(99);
}

void kt_putc(char c)
{
    while (UART_STATE & 1u) {
    }
    UART_DATA = (uint32_t)(uint8_t)c;
}

void kt_puts(const char *s)
{
    while (*s) {
        kt_putc(*s++);
    }
}

void kt_put_u32(uint32_t v)
{
    char buf[11];
    int i = 10;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    kt_puts(buf + i);
}

void kt_put_hex(const int8_t *data, uint32_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (uint32_t i = 0; i < n; ++i) {
        const uint8_t b = (uint8_t)data[i];
        kt_putc(digits[b >> 4]);
        kt_putc(digits[b & 15u]);
    }
}

uint32_t kt_ticks(void)
{
#ifdef KT_FPGAIO_COUNTER
    return ~*(volatile uint32_t *)(KT_FPGAIO_COUNTER); /* counts up: inverted, it counts down */
#else
    return TIMER_VALUE; /* counts down */
#endif
}
