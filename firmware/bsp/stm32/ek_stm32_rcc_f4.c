/* STM32F4 / F7 clock tree and peripheral clocks (RM0090 F405, RM0390 F446, RM0385 F7).
 *
 * SYSCLK = HSE (crystal, or the ST-LINK's 8 MHz MCO in bypass) / PLLM * PLLN / PLLP; if
 * HSE does not start, HSI 16 MHz feeds the PLL at the same VCO input. Voltage scale 1,
 * over-drive where the rated clock needs it (F446 180 MHz, F7 216 MHz), then the flash
 * wait states, then the switch. */
#include "ek_stm32.h"

#define RCC_CR EK_REG(EK_RCC_BASE + 0x00u)
#define RCC_PLLCFGR EK_REG(EK_RCC_BASE + 0x04u)
#define RCC_CFGR EK_REG(EK_RCC_BASE + 0x08u)
#define RCC_APB2ENR EK_REG(EK_RCC_BASE + 0x44u)
#define RCC_CR_HSEON (1u << 16)
#define RCC_CR_HSERDY (1u << 17)
#define RCC_CR_HSEBYP (1u << 18)
#define RCC_CR_PLLON (1u << 24)
#define RCC_CR_PLLRDY (1u << 25)
#define RCC_PLLCFGR_KEEP 0x80000000u /* reserved bit 31; R (F446, bits 30:28) is rewritten */
#define RCC_PLLCFGR_N_SHIFT 6u
#define RCC_PLLCFGR_P_SHIFT 16u
#define RCC_PLLCFGR_SRC_HSE (1u << 22)
#define RCC_PLLCFGR_Q_SHIFT 24u
#define RCC_PLLCFGR_R_SHIFT 28u
#define RCC_CFGR_SW_PLL 2u
#define RCC_CFGR_SWS_MASK (3u << 2)
#define RCC_CFGR_SWS_PLL (2u << 2)
#define RCC_CFGR_PPRE1_SHIFT 10u
#define RCC_CFGR_PPRE2_SHIFT 13u

#define PWR_BASE 0x40007000u
#define PWR_CR EK_REG(PWR_BASE + 0x00u)  /* PWR_CR1 on the F7 */
#define PWR_CSR EK_REG(PWR_BASE + 0x04u) /* PWR_CSR1 on the F7 */
#define PWR_CR_ODEN (1u << 16)
#define PWR_CR_ODSWEN (1u << 17)
#define PWR_CSR_ODRDY (1u << 16)
#define PWR_CSR_ODSWRDY (1u << 17)

#define FLASH_ACR EK_REG(0x40023C00u)
#define FLASH_ACR_PRFTEN (1u << 8)
#if defined(EK_STM32_FAMILY_F7)
#define FLASH_ACR_ACCEL (1u << 9) /* ARTEN */
#else
#define FLASH_ACR_ACCEL ((1u << 9) | (1u << 10)) /* ICEN | DCEN */
#endif

#define HSI_HZ 16000000u

#ifndef EK_STM32_OVERDRIVE
#define EK_STM32_OVERDRIVE 0
#endif
#ifndef EK_STM32_HSE_BYPASS
#define EK_STM32_HSE_BYPASS 0
#endif
#ifndef EK_STM32_PLL_R
#define EK_STM32_PLL_R 2
#endif

void ek_stm32_clock_init(ek_stm32_clocks_t *clocks)
{
    clocks->hclk = clocks->pclk1 = clocks->pclk2 = HSI_HZ;
    EK_RCC_APB1EN |= EK_RCC_APB1EN_PWR;
    (void)EK_RCC_APB1EN;
    PWR_CR |= (uint32_t)EK_STM32_PWR_VOS; /* scale 1: VOS = 1 (F405) or 3 (F446, F7) */

    /* PLL input: HSE / M, or HSI / M' at the same frequency. */
    uint32_t pll_in_hz = EK_STM32_HSE_HZ / EK_STM32_PLL_M;
    uint32_t m = EK_STM32_PLL_M;
    uint32_t src = RCC_PLLCFGR_SRC_HSE;
    RCC_CR |= EK_STM32_HSE_BYPASS ? RCC_CR_HSEBYP : 0u;
    RCC_CR |= RCC_CR_HSEON;
    if (!ek_stm32_wait(&RCC_CR, RCC_CR_HSERDY, RCC_CR_HSERDY)) {
        RCC_CR &= ~(RCC_CR_HSEON | RCC_CR_HSEBYP);
        m = HSI_HZ / pll_in_hz;
        src = 0u;
    }
    RCC_PLLCFGR = (RCC_PLLCFGR & RCC_PLLCFGR_KEEP) | m | src |
                  ((uint32_t)EK_STM32_PLL_N << RCC_PLLCFGR_N_SHIFT) |
                  ((uint32_t)(EK_STM32_PLL_P / 2 - 1) << RCC_PLLCFGR_P_SHIFT) |
                  ((uint32_t)EK_STM32_PLL_Q << RCC_PLLCFGR_Q_SHIFT) |
                  ((uint32_t)EK_STM32_PLL_R << RCC_PLLCFGR_R_SHIFT);
    RCC_CR |= RCC_CR_PLLON;
    if (!ek_stm32_wait(&RCC_CR, RCC_CR_PLLRDY, RCC_CR_PLLRDY)) {
        return; /* stay on HSI (QEMU's netduinoplus2 does not model the RCC) */
    }
#if EK_STM32_OVERDRIVE
    PWR_CR |= PWR_CR_ODEN;
    if (ek_stm32_wait(&PWR_CSR, PWR_CSR_ODRDY, PWR_CSR_ODRDY)) {
        PWR_CR |= PWR_CR_ODSWEN;
        (void)ek_stm32_wait(&PWR_CSR, PWR_CSR_ODSWRDY, PWR_CSR_ODSWRDY);
    }
#endif
    FLASH_ACR = (uint32_t)EK_STM32_FLASH_WS | FLASH_ACR_PRFTEN | FLASH_ACR_ACCEL;
    (void)FLASH_ACR; /* read back: the new wait states are in effect */
    /* APB prescalers first (still on HSI), so no bus runs above its maximum. */
    const uint32_t apb = (ek_stm32_ppre_bits(EK_STM32_APB1_DIV) << RCC_CFGR_PPRE1_SHIFT) |
                         (ek_stm32_ppre_bits(EK_STM32_APB2_DIV) << RCC_CFGR_PPRE2_SHIFT);
    RCC_CFGR = apb;
    RCC_CFGR = apb | RCC_CFGR_SW_PLL;
    if (!ek_stm32_wait(&RCC_CFGR, RCC_CFGR_SWS_MASK, RCC_CFGR_SWS_PLL)) {
        RCC_CFGR = 0u;
        return;
    }
    const uint32_t sysclk = pll_in_hz * EK_STM32_PLL_N / EK_STM32_PLL_P;
    clocks->hclk = sysclk;
    clocks->pclk1 = sysclk / EK_STM32_APB1_DIV;
    clocks->pclk2 = sysclk / EK_STM32_APB2_DIV;
}

void ek_stm32_uart_clock_enable(ek_stm32_uart_t *uart)
{
#if defined(EK_STM32_UART_USART1)
    RCC_APB2ENR |= 1u << 4;
    uart->base = 0x40011000u;
    uart->apb = 2u;
#elif defined(EK_STM32_UART_USART2)
    EK_RCC_APB1EN |= 1u << 17;
    uart->base = 0x40004400u;
    uart->apb = 1u;
#else
#error "STM32F4/F7 BSP: ek_bsp_board.h must name the UART (USART1 or USART2)"
#endif
    uart->lpuart = 0;
    (void)RCC_APB2ENR;
}
