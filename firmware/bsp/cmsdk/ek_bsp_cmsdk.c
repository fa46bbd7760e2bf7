/* UART and tick counter of the Arm MPS2/MPS3 FPGA boards as QEMU emulates them: the
 * CMSDK APB UART, and either the CMSDK APB timer (32-bit, counting down) or the FPGAIO
 * free-running counter (32-bit, counting up). Base addresses come from ek_bsp_board.h. */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define UART_DATA EK_REG(EK_BSP_UART_BASE + 0x0u)
#define UART_STATE EK_REG(EK_BSP_UART_BASE + 0x4u)
#define UART_CTRL EK_REG(EK_BSP_UART_BASE + 0x8u)
#define UART_INTCLEAR EK_REG(EK_BSP_UART_BASE + 0xCu)
#define UART_BAUDDIV EK_REG(EK_BSP_UART_BASE + 0x10u)
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_EN 0x1u
#define UART_CTRL_RX_EN 0x2u
#define UART_CTRL_RX_INT_EN 0x8u
#define UART_INT_RX 0x2u

/* NVIC set-enable / clear-pending, 32 lines per word; the first 128 lines cover the
 * UART on every MPS2/MPS3 image, whatever its IRQ number. */
#define NVIC_ISER(n) EK_REG(0xE000E100u + 4u * (n))
#define NVIC_ICPR(n) EK_REG(0xE000E280u + 4u * (n))
#define NVIC_WORDS 4u

#if defined(EK_BSP_CMSDK_TIMER_BASE)
#define TIMER_CTRL EK_REG(EK_BSP_CMSDK_TIMER_BASE + 0x0u)
#define TIMER_VALUE EK_REG(EK_BSP_CMSDK_TIMER_BASE + 0x4u)
#define TIMER_RELOAD EK_REG(EK_BSP_CMSDK_TIMER_BASE + 0x8u)
#elif defined(EK_BSP_FPGAIO_COUNTER)
#define FPGAIO_COUNTER EK_REG(EK_BSP_FPGAIO_COUNTER)
#else
#error "ek_bsp_board.h must define EK_BSP_CMSDK_TIMER_BASE or EK_BSP_FPGAIO_COUNTER"
#endif

void ek_bsp_init(void)
{
    /* CTRL first: a write to DATA while TX is disabled leaves "TX full" stuck in QEMU.
     * BAUDDIV only matters on the FPGA; 16 is the smallest legal value. */
    UART_BAUDDIV = 16u;
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INT_EN;
    /* The RX interrupt only wakes WFI (ek_bsp_wait_rx): with PRIMASK set no handler
     * runs, but a pending enabled interrupt still ends WFI. */
    __asm volatile("cpsid i" ::: "memory");
    for (uint32_t n = 0; n < NVIC_WORDS; ++n) {
        NVIC_ISER(n) = 0xFFFFFFFFu;
    }
#if defined(EK_BSP_CMSDK_TIMER_BASE)
    TIMER_CTRL = 0u;
    TIMER_RELOAD = 0xFFFFFFFFu;
    TIMER_VALUE = 0xFFFFFFFFu;
    TIMER_CTRL = 0x1u; /* enable, no interrupt, system clock */
#endif
}

void ek_bsp_putc(uint8_t c)
{
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
    UART_DATA = c;
}

void ek_bsp_flush(void)
{
    while (UART_STATE & UART_STATE_TX_FULL) {
    }
}

int ek_bsp_poll_rx(void)
{
    if (UART_STATE & UART_STATE_RX_FULL) {
        return (int)(UART_DATA & 0xFFu);
    }
    return -1;
}

/* Sleep until the receiver holds a byte, so an idle QEMU does not spin: a byte that
 * arrives between the check and WFI leaves its interrupt pending, and WFI returns. */
void ek_bsp_wait_rx(void)
{
    while (!(UART_STATE & UART_STATE_RX_FULL)) {
        __asm volatile("wfi" ::: "memory");
        UART_INTCLEAR = UART_INT_RX;
        for (uint32_t n = 0; n < NVIC_WORDS; ++n) {
            NVIC_ICPR(n) = 0xFFFFFFFFu;
        }
    }
}

uint32_t ek_bsp_ticks(void)
{
#if defined(EK_BSP_CMSDK_TIMER_BASE)
    return ~TIMER_VALUE; /* counts down from 0xFFFFFFFF: invert to count up */
#else
    return FPGAIO_COUNTER;
#endif
}
