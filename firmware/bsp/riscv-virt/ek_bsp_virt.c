/* RISC-V `virt` board: NS16550A UART, minstret as the tick counter, exit through the
 * sifive_test finisher. picolibc's crt0 sets up the stack, .data and .bss, calls main and
 * then exit(), which ends in our _exit. */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

#define EK_REG8(addr) (*(volatile uint8_t *)(uintptr_t)(addr))
#define UART_THR EK_REG8(EK_BSP_UART_BASE + 0u)
#define UART_RBR EK_REG8(EK_BSP_UART_BASE + 0u)
#define UART_LSR EK_REG8(EK_BSP_UART_BASE + 5u)
#define LSR_DATA_READY 0x01u
#define LSR_THR_EMPTY 0x20u

void _exit(int code) __attribute__((noreturn));

void ek_bsp_init(void)
{
    /* QEMU's 16550 needs no set-up. */
}

void ek_bsp_putc(uint8_t c)
{
    while ((UART_LSR & LSR_THR_EMPTY) == 0u) {
    }
    UART_THR = c;
}

void ek_bsp_flush(void)
{
    while ((UART_LSR & LSR_THR_EMPTY) == 0u) {
    }
}

int ek_bsp_poll_rx(void)
{
    if (UART_LSR & LSR_DATA_READY) {
        return (int)UART_RBR;
    }
    return -1;
}

uint32_t ek_bsp_ticks(void)
{
    uint32_t v;
    __asm__ volatile("csrr %0, minstret" : "=r"(v));
    return v;
}

void ek_bsp_exit(int code)
{
    ek_bsp_flush();
    const uint32_t word = code == 0 ? 0x5555u : (((uint32_t)code & 0xFFFFu) << 16) | 0x3333u;
    *(volatile uint32_t *)(uintptr_t)EK_BSP_TEST_FINISHER = word;
    for (;;) {
    }
}

/* picolibc's exit() ends here. */
void _exit(int code)
{
    ek_bsp_exit(code);
}
