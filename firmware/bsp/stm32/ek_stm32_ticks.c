/* Ticks for the STM32 boards, and what they mean on this run.
 *
 * On silicon the DWT cycle counter counts core cycles. QEMU does not model DWT (CYCCNT
 * stays 0), so when it does not move the BSP counts with the timer the emulated chip
 * has instead -- TIM2 (32-bit; QEMU's F405 counts it once per virtual ns) or SysTick
 * (24-bit, run with a short period and extended to 32 bits by its wrap interrupt; it
 * follows the emulated HCLK) -- and
 * reports the run as emulated with that timer's instructions per tick
 * (EK_STM32_EMU_UNITS_NUM / _DEN, from the board's [qemu] table). One image serves both. */
#include "ek_dwt.h"
#include "ek_stm32.h"

#define TIM2_BASE 0x40000000u
#define TIM2_CR1 EK_REG(TIM2_BASE + 0x00u)
#define TIM2_EGR EK_REG(TIM2_BASE + 0x14u)
#define TIM2_CNT EK_REG(TIM2_BASE + 0x24u)
#define TIM2_PSC EK_REG(TIM2_BASE + 0x28u)
#define TIM2_ARR EK_REG(TIM2_BASE + 0x2Cu)

#define SYST_CSR EK_REG(0xE000E010u)
#define SYST_RVR EK_REG(0xE000E014u)
#define SYST_CVR EK_REG(0xE000E018u)
#define SYST_CSR_ON 0x7u /* ENABLE | TICKINT | CLKSOURCE (processor clock) */
/* SysTick period: 2^EK_SYSTICK_BITS ticks, extended by the wrap count. Short on purpose:
 * QEMU's L4 USART takes the next received byte only when QEMU's main loop runs again,
 * which each SysTick interrupt causes (2^16 ticks: ~30 B/s host to guest, 2^8: several
 * kB/s). The handler's 5 instructions every 256 ticks (3,200 instructions at 80 MHz)
 * add ~0.2 % to emulated counts. */
#ifndef EK_SYSTICK_BITS
#define EK_SYSTICK_BITS 8
#endif
#define SYST_PERIOD (1u << EK_SYSTICK_BITS)
#define SCB_ICSR EK_REG(0xE000ED04u)
#define SCB_ICSR_PENDSTSET (1u << 26)

enum { TICKS_DWT, TICKS_TIM2, TICKS_SYSTICK };

static int g_source = TICKS_DWT;
static uint32_t g_hclk;
static volatile uint32_t g_systick_wraps;

void ek_systick_handler(void);
void ek_systick_handler(void) { g_systick_wraps += 1u; }

static int dwt_counts(void)
{
    ek_dwt_enable();
    const uint32_t before = ek_dwt_cycles();
    for (volatile uint32_t i = 0; i < 8u; ++i) {
    }
    return ek_dwt_cycles() != before;
}

void ek_stm32_ticks_init(const ek_stm32_clocks_t *clocks)
{
    g_hclk = clocks->hclk;
    if (dwt_counts()) {
        g_source = TICKS_DWT;
        return;
    }
#if defined(EK_STM32_EMU_TIMER_TIM2)
    EK_RCC_APB1EN |= EK_RCC_APB1EN_TIM2;
    (void)EK_RCC_APB1EN;
    TIM2_CR1 = 0u;
    TIM2_PSC = 0u;
    TIM2_ARR = 0xFFFFFFFFu;
    TIM2_EGR = 1u; /* UG: load the prescaler, counter to 0 */
    TIM2_CR1 = 1u; /* CEN, up-counting */
    g_source = TICKS_TIM2;
#else
    SYST_RVR = SYST_PERIOD - 1u;
    SYST_CVR = 0u;
    SYST_CSR = SYST_CSR_ON;
    g_source = TICKS_SYSTICK;
#endif
}

uint32_t ek_bsp_ticks(void)
{
    if (g_source == TICKS_DWT) {
        return ek_dwt_cycles();
    }
    if (g_source == TICKS_TIM2) {
        return TIM2_CNT;
    }
    /* The count runs P-1 .. 1, 0, and the wrap is raised as it reaches 0 (then the
     * interrupt is pending until taken). So with the wrap count and the pending bit read
     * together, elapsed = wraps * P + (P - count) mod P, one more period if pending. */
    uint32_t wraps, pending, count;
    do {
        wraps = g_systick_wraps;
        pending = SCB_ICSR & SCB_ICSR_PENDSTSET;
        count = SYST_CVR;
    } while (wraps != g_systick_wraps || pending != (SCB_ICSR & SCB_ICSR_PENDSTSET));
    wraps += pending != 0u;
    return (wraps << EK_SYSTICK_BITS) + ((SYST_PERIOD - count) & (SYST_PERIOD - 1u));
}

const char *const ek_bsp_board_name = EK_BSP_BOARD_NAME;

int ek_bsp_emulated(void) { return g_source != TICKS_DWT; }

/* Emulated: one instruction per virtual ns (-icount shift=0), as on the other QEMU boards. */
uint32_t ek_bsp_cpu_hz(void) { return ek_bsp_emulated() ? 1000000000u : g_hclk; }

const char *ek_bsp_tick_unit(void) { return ek_bsp_emulated() ? "instructions" : "cycles"; }

uint32_t ek_bsp_units_per_tick_num(void)
{
    return ek_bsp_emulated() ? (uint32_t)EK_STM32_EMU_UNITS_NUM : 1u;
}

uint32_t ek_bsp_units_per_tick_den(void)
{
    return ek_bsp_emulated() ? (uint32_t)EK_STM32_EMU_UNITS_DEN : 1u;
}

uint32_t ek_bsp_ticks_per_second(void)
{
    if (!ek_bsp_emulated()) {
        return g_hclk;
    }
    return (uint32_t)(1000000000ull * EK_STM32_EMU_UNITS_DEN / EK_STM32_EMU_UNITS_NUM);
}
