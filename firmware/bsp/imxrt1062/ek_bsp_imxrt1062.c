/* i.MX RT1062 bare-metal BSP (teensy41): 600 MHz from the ARM PLL, L1 caches, LPUART6
 * on Teensy pins 0 (RX, GPIO_AD_B0_03) and 1 (TX, GPIO_AD_B0_02), DWT cycle ticks.
 *
 * Register facts: i.MX RT1060 Reference Manual, chapters CCM, CCM_ANALOG, DCDC,
 * IOMUXC, LPUART and RTWDOG. The Teensy's USB port is the chip's own USB device (the
 * Teensyduino core's USB serial); this BSP does not drive USB, so the protocol runs on
 * Serial1's pins with a 3.3 V USB-serial adapter.
 *
 * 600 MHz needs VDD_SOC at 1.25 V first (DCDC target 0x12 = 0.8 V + 18 * 25 mV). The core
 * clock runs from the 24 MHz oscillator (periph_clk2) while the ARM PLL is programmed to
 * 24 MHz * 100 / 2 = 1200 MHz, then ARM_PODF /2 gives 600 MHz; AHB /1, IPG /4 = 150 MHz.
 * The LPUART runs from the 24 MHz oscillator, so its divisor does not depend on the PLL.
 */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"
#include "ek_dwt.h"
#include "ek_m7_cache.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define EK_REG16(addr) (*(volatile uint16_t *)(uintptr_t)(addr))
#define EK_FIELD(reg, shift, width, value)                                               \
    ((reg) = ((reg) & ~(((1u << (width)) - 1u) << (shift))) | ((uint32_t)(value) << (shift)))

#define OSC_HZ 24000000u

#define CCM_BASE 0x400FC000u
#define CCM_CACRR EK_REG(CCM_BASE + 0x10u)
#define CCM_CBCDR EK_REG(CCM_BASE + 0x14u)
#define CCM_CBCMR EK_REG(CCM_BASE + 0x18u)
#define CCM_CSCDR1 EK_REG(CCM_BASE + 0x24u)
#define CCM_CDHIPR EK_REG(CCM_BASE + 0x48u)
#define CCM_CCGR3 EK_REG(CCM_BASE + 0x74u)
#define CCM_CCGR6 EK_REG(CCM_BASE + 0x80u)
#define CDHIPR_AHB_PODF_BUSY (1u << 1)
#define CDHIPR_PERIPH_CLK_SEL_BUSY (1u << 5)
#define CDHIPR_ARM_PODF_BUSY (1u << 16)
#define CBCDR_PERIPH_CLK_SEL 25u
#define CBCDR_PERIPH_CLK2_PODF 27u
#define CBCDR_AHB_PODF 10u
#define CBCDR_IPG_PODF 8u
#define CBCMR_PERIPH_CLK2_SEL 12u /* 1 = oscillator */
#define CBCMR_PRE_PERIPH_CLK_SEL 18u /* 3 = ARM PLL divided by ARM_PODF */
#define CSCDR1_UART_CLK_SEL (1u << 6) /* 1 = oscillator */
#define CCGR_ON 3u

#define PLL_ARM EK_REG(0x400D8000u)
#define PLL_ARM_LOCK (1u << 31)
#define PLL_ARM_ENABLE (1u << 13)
#define PLL_ARM_DIV_SELECT 100u /* Fout = 24 MHz * 100 / 2 */

#define DCDC_REG0 EK_REG(0x40080000u)
#define DCDC_REG3 EK_REG(0x4008000Cu)
#define DCDC_REG0_STS_DC_OK (1u << 31)
#define DCDC_TRG_1V25 0x12u

#define RTWDOG_CS EK_REG(0x400BC000u)
#define RTWDOG_CNT EK_REG(0x400BC004u)
#define RTWDOG_TOVAL EK_REG(0x400BC008u)
#define RTWDOG_UNLOCK 0xD928C520u
#define RTWDOG_CS_EN (1u << 7)
#define RTWDOG_CS_UPDATE (1u << 5)
#define RTWDOG_CS_CMD32EN (1u << 13)
#define WDOG1_WCR EK_REG16(0x400B8000u)
#define WDOG2_WCR EK_REG16(0x400D0000u)
#define WDOG_WCR_WDE (1u << 2)

#define IOMUXC_MUX_AD_B0_02 EK_REG(0x401F80C4u)
#define IOMUXC_MUX_AD_B0_03 EK_REG(0x401F80C8u)
#define IOMUXC_PAD_AD_B0_02 EK_REG(0x401F82B4u)
#define IOMUXC_PAD_AD_B0_03 EK_REG(0x401F82B8u)
#define IOMUXC_LPUART6_RX_SELECT EK_REG(0x401F8550u)
#define IOMUXC_LPUART6_TX_SELECT EK_REG(0x401F8554u)
#define MUX_ALT2 2u
#define PAD_UART 0x10B0u /* keeper on, 100 MHz, drive R0/6, slow slew */
#define SELECT_AD_B0 1u

#define LPUART6_BASE 0x40198000u
#define LPUART_GLOBAL EK_REG(LPUART6_BASE + 0x08u)
#define LPUART_BAUD EK_REG(LPUART6_BASE + 0x10u)
#define LPUART_STAT EK_REG(LPUART6_BASE + 0x14u)
#define LPUART_CTRL EK_REG(LPUART6_BASE + 0x18u)
#define LPUART_DATA EK_REG(LPUART6_BASE + 0x1Cu)
#define LPUART_FIFO EK_REG(LPUART6_BASE + 0x28u)
#define LPUART_GLOBAL_RST (1u << 1)
#define LPUART_STAT_TDRE (1u << 23)
#define LPUART_STAT_TC (1u << 22)
#define LPUART_STAT_RDRF (1u << 21)
#define LPUART_STAT_OR (1u << 19)
#define LPUART_CTRL_TE (1u << 19)
#define LPUART_CTRL_RE (1u << 18)
#define LPUART_FIFO_TXFE (1u << 7)
#define LPUART_FIFO_RXFE (1u << 3)
#define LPUART_OSR 16u

#if EK_BSP_CPU_HZ != 600000000u
#error "the i.MX RT1062 BSP sets the ARM PLL for 600 MHz"
#endif

static void stop_watchdogs(void)
{
    /* RTWDOG runs out of reset; unlock, then disable it within the unlock window. */
    if (RTWDOG_CS & RTWDOG_CS_CMD32EN) {
        RTWDOG_CNT = RTWDOG_UNLOCK;
    } else {
        EK_REG16(0x400BC004u) = 0xC520u;
        EK_REG16(0x400BC004u) = 0xD928u;
    }
    RTWDOG_TOVAL = 0xFFFFu;
    RTWDOG_CS = (RTWDOG_CS & ~RTWDOG_CS_EN) | RTWDOG_CS_UPDATE;
    if (WDOG1_WCR & WDOG_WCR_WDE) {
        WDOG1_WCR = (uint16_t)(WDOG1_WCR & ~WDOG_WCR_WDE);
    }
    if (WDOG2_WCR & WDOG_WCR_WDE) {
        WDOG2_WCR = (uint16_t)(WDOG2_WCR & ~WDOG_WCR_WDE);
    }
}

static void start_clocks(void)
{
    EK_FIELD(CCM_CCGR6, 6, 2, CCGR_ON); /* DCDC */
    EK_FIELD(DCDC_REG3, 0, 5, DCDC_TRG_1V25);
    while ((DCDC_REG0 & DCDC_REG0_STS_DC_OK) == 0u) {
    }
    /* Core on the oscillator while the PLL changes. */
    EK_FIELD(CCM_CBCMR, CBCMR_PERIPH_CLK2_SEL, 2, 1u);
    EK_FIELD(CCM_CBCDR, CBCDR_PERIPH_CLK2_PODF, 3, 0u);
    EK_FIELD(CCM_CBCDR, CBCDR_PERIPH_CLK_SEL, 1, 1u);
    while (CCM_CDHIPR & CDHIPR_PERIPH_CLK_SEL_BUSY) {
    }
    PLL_ARM = PLL_ARM_ENABLE | PLL_ARM_DIV_SELECT; /* powered up, not bypassed */
    while ((PLL_ARM & PLL_ARM_LOCK) == 0u) {
    }
    EK_FIELD(CCM_CACRR, 0, 3, 1u); /* ARM_PODF /2 */
    while (CCM_CDHIPR & CDHIPR_ARM_PODF_BUSY) {
    }
    EK_FIELD(CCM_CBCDR, CBCDR_AHB_PODF, 3, 0u);
    while (CCM_CDHIPR & CDHIPR_AHB_PODF_BUSY) {
    }
    EK_FIELD(CCM_CBCDR, CBCDR_IPG_PODF, 2, 3u);
    EK_FIELD(CCM_CBCMR, CBCMR_PRE_PERIPH_CLK_SEL, 2, 3u);
    EK_FIELD(CCM_CBCDR, CBCDR_PERIPH_CLK_SEL, 1, 0u);
    while (CCM_CDHIPR & CDHIPR_PERIPH_CLK_SEL_BUSY) {
    }
}

static void start_uart(void)
{
    CCM_CSCDR1 = (CCM_CSCDR1 & ~0x7Fu) | CSCDR1_UART_CLK_SEL; /* oscillator, /1 */
    EK_FIELD(CCM_CCGR3, 6, 2, CCGR_ON);                       /* LPUART6 */
    IOMUXC_MUX_AD_B0_02 = MUX_ALT2;
    IOMUXC_MUX_AD_B0_03 = MUX_ALT2;
    IOMUXC_PAD_AD_B0_02 = PAD_UART;
    IOMUXC_PAD_AD_B0_03 = PAD_UART;
    IOMUXC_LPUART6_RX_SELECT = SELECT_AD_B0;
    IOMUXC_LPUART6_TX_SELECT = SELECT_AD_B0;

    LPUART_GLOBAL = LPUART_GLOBAL_RST;
    LPUART_GLOBAL = 0u;
    const uint32_t sbr = (OSC_HZ + EK_BSP_BAUD * LPUART_OSR / 2u) / (EK_BSP_BAUD * LPUART_OSR);
    LPUART_BAUD = ((LPUART_OSR - 1u) << 24) | sbr; /* 24 MHz / (16 * 13) = 115,385 baud */
    LPUART_FIFO |= LPUART_FIFO_TXFE | LPUART_FIFO_RXFE; /* only while TE/RE are off */
    LPUART_CTRL = LPUART_CTRL_TE | LPUART_CTRL_RE;      /* 8N1 */
}

void ek_bsp_init(void)
{
    stop_watchdogs();
    start_clocks();
    ek_m7_cache_enable();
    start_uart();
    ek_dwt_enable();
}

void ek_bsp_putc(uint8_t c)
{
    while ((LPUART_STAT & LPUART_STAT_TDRE) == 0u) {
    }
    LPUART_DATA = c;
}

void ek_bsp_flush(void)
{
    while ((LPUART_STAT & LPUART_STAT_TC) == 0u) {
    }
}

int ek_bsp_poll_rx(void)
{
    const uint32_t stat = LPUART_STAT;
    if (stat & LPUART_STAT_OR) {
        LPUART_STAT = LPUART_STAT_OR; /* write 1 to clear, else reception stops */
    }
    if ((stat & LPUART_STAT_RDRF) == 0u) {
        return -1;
    }
    return (int)(LPUART_DATA & 0xFFu);
}

uint32_t ek_bsp_ticks(void) { return ek_dwt_cycles(); }
