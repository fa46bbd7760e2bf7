/* STM32L4 / L4+ clock tree and peripheral clocks (RM0351, RM0432).
 *
 * SYSCLK = MSI 4 MHz (the reset clock) / PLLM * PLLN / PLLR. Above 80 MHz (L4+) the
 * regulator goes to Range 1 boost (PWR_CR5.R1MODE = 0) and the switch to the PLL is made
 * with HCLK = SYSCLK / 2 for 1 us, as the L4+ manual requires. */
#include "ek_stm32.h"

#define RCC_CR EK_REG(EK_RCC_BASE + 0x00u)
#define RCC_CFGR EK_REG(EK_RCC_BASE + 0x08u)
#define RCC_PLLCFGR EK_REG(EK_RCC_BASE + 0x0Cu)
#define RCC_APB1ENR2 EK_REG(EK_RCC_BASE + 0x5Cu)
#define RCC_APB2ENR EK_REG(EK_RCC_BASE + 0x60u)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_CFGR_SW_PLL 3u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (3u << 2)
#define RCC_CFGR_HPRE_SHIFT 4u
#define RCC_CFGR_HPRE_DIV2 8u
#define RCC_CFGR_PPRE1_SHIFT 8u
#define RCC_CFGR_PPRE2_SHIFT 11u
#define RCC_PLLCFGR_SRC_MSI 1u
#define RCC_PLLCFGR_M_SHIFT 4u
#define RCC_PLLCFGR_N_SHIFT 8u
#define RCC_PLLCFGR_REN (1u << 24)
#define RCC_PLLCFGR_R_SHIFT 25u

#define PWR_BASE 0x40007000u
#define PWR_CR1 EK_REG(PWR_BASE + 0x00u)
#define PWR_CR2 EK_REG(PWR_BASE + 0x04u)
#define PWR_SR2 EK_REG(PWR_BASE + 0x14u)
#define PWR_CR5 EK_REG(PWR_BASE + 0x80u) /* L4+ only */
#define PWR_CR1_VOS_MASK (3u << 9)
#define PWR_CR1_VOS_RANGE1 (1u << 9)
#define PWR_CR2_IOSV (1u << 9) /* VDDIO2 (port G) valid */
#define PWR_SR2_VOSF (1u << 10)
#define PWR_CR5_R1MODE (1u << 8) /* 1: Range 1 normal, 0: boost */

#define FLASH_ACR EK_REG(0x40022000u)
#define FLASH_ACR_PRFTEN (1u << 8)
#define FLASH_ACR_ICEN (1u << 9)
#define FLASH_ACR_DCEN (1u << 10)

#define MSI_HZ 4000000u

#ifndef EK_STM32_L4_BOOST
#define EK_STM32_L4_BOOST 0
#endif
#ifndef EK_STM32_VDDIO2
#define EK_STM32_VDDIO2 0
#endif

void ek_stm32_clock_init(ek_stm32_clocks_t *clocks)
{
    EK_RCC_APB1EN |= EK_RCC_APB1EN_PWR;
    (void)EK_RCC_APB1EN; /* the clock is on once the write has completed */
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MASK) | PWR_CR1_VOS_RANGE1;
    (void)ek_stm32_wait(&PWR_SR2, PWR_SR2_VOSF, 0u);
#if EK_STM32_L4_BOOST
    PWR_CR5 &= ~PWR_CR5_R1MODE;
    (void)ek_stm32_wait(&PWR_SR2, PWR_SR2_VOSF, 0u);
#endif
#if EK_STM32_VDDIO2
    PWR_CR2 |= PWR_CR2_IOSV;
#endif
    /* Wait states before the clock goes up; one read back makes the write take effect
     * (the FLASH block reads 0 in QEMU, so it is not polled). */
    FLASH_ACR = (uint32_t)EK_STM32_FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    (void)FLASH_ACR;

    clocks->hclk = clocks->pclk1 = clocks->pclk2 = MSI_HZ;
    RCC_PLLCFGR = RCC_PLLCFGR_SRC_MSI | ((uint32_t)(EK_STM32_PLL_M - 1) << RCC_PLLCFGR_M_SHIFT) |
                  ((uint32_t)EK_STM32_PLL_N << RCC_PLLCFGR_N_SHIFT) |
                  ((uint32_t)(EK_STM32_PLL_R / 2 - 1) << RCC_PLLCFGR_R_SHIFT) | RCC_PLLCFGR_REN;
    RCC_CR |= RCC_CR_PLLON;
    if (!ek_stm32_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return; /* stay on MSI */
    }
    const uint32_t apb = (ek_stm32_ppre_bits(EK_STM32_APB1_DIV) << RCC_CFGR_PPRE1_SHIFT) |
                         (ek_stm32_ppre_bits(EK_STM32_APB2_DIV) << RCC_CFGR_PPRE2_SHIFT);
#if EK_STM32_L4_BOOST
    const uint32_t hpre = RCC_CFGR_HPRE_DIV2 << RCC_CFGR_HPRE_SHIFT;
#else
    const uint32_t hpre = 0u;
#endif
    RCC_CFGR = apb | hpre; /* prescalers first, still on MSI */
    RCC_CFGR = apb | hpre | RCC_CFGR_SW_PLL;
    if (!ek_stm32_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
        RCC_CFGR = 0u; /* back to MSI, all prescalers /1 */
        return;
    }
#if EK_STM32_L4_BOOST
    /* At least 1 us at SYSCLK/2 before the full frequency: 2 cycles a loop at <= 60 MHz. */
    for (volatile uint32_t i = 0; i < 64u; ++i) {
    }
    RCC_CFGR = apb | RCC_CFGR_SW_PLL;
#endif
    const uint32_t sysclk = MSI_HZ / EK_STM32_PLL_M * EK_STM32_PLL_N / EK_STM32_PLL_R;
    clocks->hclk = sysclk;
    clocks->pclk1 = sysclk / EK_STM32_APB1_DIV;
    clocks->pclk2 = sysclk / EK_STM32_APB2_DIV;
}

void ek_stm32_uart_clock_enable(ek_stm32_uart_t *uart)
{
#if defined(EK_STM32_UART_USART1)
    RCC_APB2ENR |= 1u << 14;
    uart->base = 0x40013800u;
    uart->apb = 2u;
    uart->lpuart = 0;
#elif defined(EK_STM32_UART_USART2)
    EK_RCC_APB1EN |= 1u << 17;
    uart->base = 0x40004400u;
    uart->apb = 1u;
    uart->lpuart = 0;
#elif defined(EK_STM32_UART_LPUART1)
    RCC_APB1ENR2 |= 1u << 0;
    uart->base = 0x40008000u;
    uart->apb = 1u;
    uart->lpuart = 1;
#else
#error "STM32L4 BSP: ek_bsp_board.h must name the UART (USART1, USART2 or LPUART1)"
#endif
    /* Kernel clock: CCIPR's reset value selects PCLK for USARTx and LPUART1. */
    (void)RCC_APB2ENR;
}
