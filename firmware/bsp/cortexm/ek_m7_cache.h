/* Cortex-M7 L1 caches on (ARMv7-M Architecture Reference Manual, "Cache maintenance
 * operations"; Cortex-M7 TRM for the CCSIDR layout). Header-only so each M7 BSP (i.MX
 * RT1062, STM32F7) can call it from ek_bsp_init. Both caches are invalidated before
 * they are enabled: their contents are undefined after reset. */
#ifndef EK_M7_CACHE_H
#define EK_M7_CACHE_H

#include <stdint.h>

#define EK_SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define EK_SCB_CCSIDR (*(volatile uint32_t *)0xE000ED80u)
#define EK_SCB_CSSELR (*(volatile uint32_t *)0xE000ED84u)
#define EK_SCB_ICIALLU (*(volatile uint32_t *)0xE000EF50u)
#define EK_SCB_DCISW (*(volatile uint32_t *)0xE000EF60u)
#define EK_SCB_CCR_DC (1u << 16)
#define EK_SCB_CCR_IC (1u << 17)

static inline void ek_m7_barrier(void) { __asm__ volatile("dsb\n\tisb" ::: "memory"); }

static inline void ek_m7_cache_enable(void)
{
    ek_m7_barrier();
    EK_SCB_ICIALLU = 0u;
    ek_m7_barrier();
    EK_SCB_CCR |= EK_SCB_CCR_IC;
    ek_m7_barrier();

    EK_SCB_CSSELR = 0u; /* level 1 data cache */
    ek_m7_barrier();
    const uint32_t ccsidr = EK_SCB_CCSIDR;
    const uint32_t sets = ((ccsidr >> 13) & 0x7FFFu) + 1u;
    const uint32_t ways = ((ccsidr >> 3) & 0x3FFu) + 1u;
    const uint32_t set_shift = (ccsidr & 7u) + 4u; /* log2(line bytes) */
    const uint32_t way_shift = ways > 1u ? (uint32_t)__builtin_clz(ways - 1u) : 0u;
    for (uint32_t set = 0; set < sets; ++set) {
        for (uint32_t way = 0; way < ways; ++way) {
            EK_SCB_DCISW = (set << set_shift) | (way << way_shift);
        }
    }
    ek_m7_barrier();
    EK_SCB_CCR |= EK_SCB_CCR_DC;
    ek_m7_barrier();
}

#endif /* EK_M7_CACHE_H */
