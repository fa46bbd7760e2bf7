/* RP2040 bare-metal BSP (rpi_pico): 12 MHz crystal, PLL_SYS to EK_BSP_CPU_HZ, UART0 on
 * GP0 (TX) / GP1 (RX), and the 1 MHz TIMER for ticks.
 *
 * Register facts: RP2040 Datasheet, chapters "Resets", "Clocks" (XOSC, PLL, CLOCKS),
 * "Watchdog" (the tick generator), "Timer", "UART" (an Arm PL011) and "IO". The
 * Cortex-M0+ has no DWT cycle counter and SysTick is 24 bits (0.13 s at 125 MHz), so
 * ticks are microseconds from the TIMER, which counts 64 bits at 1 MHz once the
 * watchdog's tick divides the 12 MHz clk_ref by 12.
 */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
/* Every RP2040 peripheral register has atomic set/clear aliases. */
#define EK_SET(addr) EK_REG((addr) + 0x2000u)
#define EK_CLR(addr) EK_REG((addr) + 0x3000u)

#define XOSC_HZ 12000000u

#define RESETS_BASE 0x4000C000u
#define RESETS_RESET (RESETS_BASE + 0x0u)
#define RESETS_DONE EK_REG(RESETS_BASE + 0x8u)
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_PLL_SYS (1u << 12)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

#define XOSC_BASE 0x40024000u
#define XOSC_CTRL EK_REG(XOSC_BASE + 0x00u)
#define XOSC_STATUS EK_REG(XOSC_BASE + 0x04u)
#define XOSC_STARTUP EK_REG(XOSC_BASE + 0x0Cu)
#define XOSC_CTRL_1_15MHZ 0xAA0u
#define XOSC_CTRL_ENABLE (0xFABu << 12)
#define XOSC_STATUS_STABLE (1u << 31)

#define PLL_SYS_BASE 0x40028000u
#define PLL_CS EK_REG(PLL_SYS_BASE + 0x0u)
#define PLL_PWR (PLL_SYS_BASE + 0x4u)
#define PLL_FBDIV_INT EK_REG(PLL_SYS_BASE + 0x8u)
#define PLL_PRIM EK_REG(PLL_SYS_BASE + 0xCu)
#define PLL_CS_LOCK (1u << 31)
#define PLL_PWR_PD (1u << 0)
#define PLL_PWR_POSTDIVPD (1u << 3)
#define PLL_PWR_VCOPD (1u << 5)

#define CLOCKS_BASE 0x40008000u
#define CLK_REF_CTRL (CLOCKS_BASE + 0x30u)
#define CLK_REF_SELECTED EK_REG(CLOCKS_BASE + 0x38u)
#define CLK_SYS_CTRL (CLOCKS_BASE + 0x3Cu)
#define CLK_SYS_DIV EK_REG(CLOCKS_BASE + 0x40u)
#define CLK_SYS_SELECTED EK_REG(CLOCKS_BASE + 0x44u)
#define CLK_PERI_CTRL EK_REG(CLOCKS_BASE + 0x48u)
#define CLK_REF_SRC_XOSC 2u
#define CLK_SYS_SRC_AUX 1u
#define CLK_SYS_AUXSRC_MASK (7u << 5) /* 0 = pll_sys */
#define CLK_PERI_ENABLE (1u << 11)   /* AUXSRC 0 = clk_sys */

#define WATCHDOG_TICK EK_REG(0x40058000u + 0x2Cu)
#define WATCHDOG_TICK_ENABLE (1u << 9)

#define TIMER_TIMERAWL EK_REG(0x40054000u + 0x28u) /* low word, no latching */

#define UART0_BASE 0x40034000u
#define UART_DR EK_REG(UART0_BASE + 0x00u)
#define UART_FR EK_REG(UART0_BASE + 0x18u)
#define UART_IBRD EK_REG(UART0_BASE + 0x24u)
#define UART_FBRD EK_REG(UART0_BASE + 0x28u)
#define UART_LCR_H EK_REG(UART0_BASE + 0x2Cu)
#define UART_CR EK_REG(UART0_BASE + 0x30u)
#define UART_FR_RXFE (1u << 4)
#define UART_FR_TXFF (1u << 5)
#define UART_FR_BUSY (1u << 3)
#define UART_LCR_H_8N1_FIFO ((3u << 5) | (1u << 4))
#define UART_CR_ENABLE ((1u << 0) | (1u << 8) | (1u << 9)) /* UARTEN, TXE, RXE */

#define IO_BANK0_GPIO_CTRL(n) EK_REG(0x40014000u + 0x04u + 8u * (n))
#define GPIO_FUNC_UART 2u
#define UART_TX_GPIO 0u
#define UART_RX_GPIO 1u

/* PLL_SYS: 12 MHz / REFDIV 1 * FBDIV → VCO (750..1600 MHz), / POSTDIV1 / POSTDIV2.
 * 125 MHz: VCO 1500 MHz, 6 * 2 (the datasheet's recommended setting);
 * 133 MHz: VCO 1596 MHz, 6 * 2. */
#if EK_BSP_CPU_HZ == 125000000u
#define PLL_FBDIV 125u
#elif EK_BSP_CPU_HZ == 133000000u
#define PLL_FBDIV 133u
#else
#error "the RP2040 BSP has PLL settings for 125 and 133 MHz only"
#endif
#define PLL_POSTDIV1 6u
#define PLL_POSTDIV2 2u

static void unreset(uint32_t blocks)
{
    EK_CLR(RESETS_RESET) = blocks;
    while ((RESETS_DONE & blocks) != blocks) {
    }
}

static void start_clocks(void)
{
    XOSC_CTRL = XOSC_CTRL_1_15MHZ;
    XOSC_STARTUP = ((XOSC_HZ / 1000u) + 128u) / 256u; /* ~1 ms in units of 256 cycles */
    EK_SET((uintptr_t)&XOSC_CTRL) = XOSC_CTRL_ENABLE;
    while ((XOSC_STATUS & XOSC_STATUS_STABLE) == 0u) {
    }
    /* clk_ref from the crystal; clk_sys (glitchless mux) back on clk_ref while the PLL
     * is programmed. */
    EK_REG(CLK_REF_CTRL) = CLK_REF_SRC_XOSC;
    while (CLK_REF_SELECTED != (1u << CLK_REF_SRC_XOSC)) {
    }
    EK_CLR(CLK_SYS_CTRL) = CLK_SYS_SRC_AUX;
    while (CLK_SYS_SELECTED != 1u) {
    }

    EK_SET(RESETS_RESET) = RESET_PLL_SYS;
    unreset(RESET_PLL_SYS);
    PLL_CS = 1u; /* REFDIV */
    PLL_FBDIV_INT = PLL_FBDIV;
    EK_CLR(PLL_PWR) = PLL_PWR_PD | PLL_PWR_VCOPD;
    while ((PLL_CS & PLL_CS_LOCK) == 0u) {
    }
    PLL_PRIM = (PLL_POSTDIV1 << 16) | (PLL_POSTDIV2 << 12);
    EK_CLR(PLL_PWR) = PLL_PWR_POSTDIVPD;

    CLK_SYS_DIV = 1u << 8; /* integer divisor 1 */
    EK_CLR(CLK_SYS_CTRL) = CLK_SYS_AUXSRC_MASK; /* aux = pll_sys */
    EK_SET(CLK_SYS_CTRL) = CLK_SYS_SRC_AUX;
    while (CLK_SYS_SELECTED != (1u << CLK_SYS_SRC_AUX)) {
    }
    CLK_PERI_CTRL = CLK_PERI_ENABLE; /* clk_peri = clk_sys, for the UART */
}

static void start_timer(void)
{
    WATCHDOG_TICK = WATCHDOG_TICK_ENABLE | (XOSC_HZ / 1000000u); /* 1 us ticks */
    unreset(RESET_TIMER);
}

static void start_uart(void)
{
    unreset(RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0);
    /* Baud divisor in 1/64ths: clk_peri / (16 * baud), rounded. */
    const uint32_t div64 = (8u * EK_BSP_CPU_HZ / EK_BSP_BAUD + 1u) / 2u;
    UART_IBRD = div64 >> 6;
    UART_FBRD = div64 & 63u;
    UART_LCR_H = UART_LCR_H_8N1_FIFO; /* also latches IBRD/FBRD */
    UART_CR = UART_CR_ENABLE;
    IO_BANK0_GPIO_CTRL(UART_TX_GPIO) = GPIO_FUNC_UART;
    IO_BANK0_GPIO_CTRL(UART_RX_GPIO) = GPIO_FUNC_UART;
}

void ek_bsp_init(void)
{
    start_clocks();
    start_timer();
    start_uart();
}

void ek_bsp_putc(uint8_t c)
{
    while (UART_FR & UART_FR_TXFF) {
    }
    UART_DR = c;
}

void ek_bsp_flush(void)
{
    while (UART_FR & UART_FR_BUSY) {
    }
}

int ek_bsp_poll_rx(void)
{
    if (UART_FR & UART_FR_RXFE) {
        return -1;
    }
    return (int)(UART_DR & 0xFFu);
}

uint32_t ek_bsp_ticks(void) { return TIMER_TIMERAWL; }
