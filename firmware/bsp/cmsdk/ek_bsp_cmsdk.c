/* UART and tick counter of the Arm MPS2/MPS3 FPGA boards as QEMU emulates them: the
 * CMSDK APB UART, and either the CMSDK APB timer (32-bit, counting down) or the FPGAIO
 * free-running counter (32-bit, counting up). Base addresses come from ek_bsp_board.h. */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define UART_DATA EK_REG(EK_BSP_UART_BASE + 0x0u)
#define UART_STATE EK_REG(EK_BSP_UART_BASE + 0x4u)
#define UART_CTRL EK_REG(EK_BSP_UART_BASE + 0x8u)
#define UART_BAUDDIV EK_REG(EK_BSP_UART_BASE + 0x10u)
#define UART_STATE_TX_FULL 0x1u
#define UART_STATE_RX_FULL 0x2u
#define UART_CTRL_TX_EN 0x1u
#define UART_CTRL_RX_EN 0x2u

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
    UART_CTRL = UART_CTRL_TX_EN | UART_CTRL_RX_EN;
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

uint32_t ek_bsp_ticks(void)
{
#if defined(EK_BSP_CMSDK_TIMER_BASE)
    return ~TIMER_VALUE; /* counts down from 0xFFFFFFFF: invert to count up */
#else
    return FPGAIO_COUNTER;
#endif
}
