/* ek_bsp.h on the STM32 boards: caches (M7), clock tree, UART, tick counter. Reset,
 * vectors, .data/.bss/arena and the FPU are cortexm/ek_cortexm_startup.c; the family's
 * clock tree is ek_stm32_rcc_<family>.c. */
#include "ek_stm32.h"

#if defined(EK_STM32_FAMILY_F7)
#define SCB_CCR EK_REG(0xE000ED14u)
#define SCB_CCSIDR EK_REG(0xE000ED80u)
#define SCB_CSSELR EK_REG(0xE000ED84u)
#define SCB_ICIALLU EK_REG(0xE000EF50u)
#define SCB_DCISW EK_REG(0xE000EF60u)
#define SCB_CCR_DC (1u << 16)
#define SCB_CCR_IC (1u << 17)

/* Cortex-M7 L1 caches: invalidate, then enable (the D-cache by set/way, L1 data). */
static void enable_caches(void)
{
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    SCB_ICIALLU = 0u;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    SCB_CCR |= SCB_CCR_IC;
    __asm__ volatile("dsb\n\tisb" ::: "memory");

    SCB_CSSELR = 0u; /* level 1, data */
    __asm__ volatile("dsb" ::: "memory");
    const uint32_t ccsidr = SCB_CCSIDR;
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    const uint32_t line_shift = (ccsidr & 0x7u) + 4u;
    const uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; ++set) {
        for (uint32_t way = 0; way < ways; ++way) {
            SCB_DCISW = (way << way_shift) | (set << line_shift);
        }
    }
    __asm__ volatile("dsb" ::: "memory");
    SCB_CCR |= SCB_CCR_DC;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}
#endif

void ek_bsp_init(void)
{
#if defined(EK_STM32_FAMILY_F7)
    enable_caches();
#endif
    ek_stm32_clocks_t clocks;
    ek_stm32_clock_init(&clocks);
    ek_stm32_uart_init(&clocks);
    ek_stm32_ticks_init(&clocks);
}
