/* The Cortex-M3/M4/M7/M33 DWT cycle counter (real silicon; QEMU 7.2 does not count it).
 * Header-only so framework BSPs can use it; compiled in tests with arm-none-eabi-gcc. */
#ifndef EK_DWT_H
#define EK_DWT_H

#include <stdint.h>

#define EK_DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define EK_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define EK_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define EK_DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)
#define EK_DEMCR_TRCENA (1u << 24)
#define EK_DWT_CTRL_CYCCNTENA 1u
#define EK_DWT_LAR_KEY 0xC5ACCE55u

/* Starts CYCCNT: trace enable, unlock (the Cortex-M7 ignores writes while locked), run. */
static inline void ek_dwt_enable(void)
{
    EK_DEMCR |= EK_DEMCR_TRCENA;
    EK_DWT_LAR = EK_DWT_LAR_KEY;
    EK_DWT_CYCCNT = 0u;
    EK_DWT_CTRL |= EK_DWT_CTRL_CYCCNTENA;
}

static inline uint32_t ek_dwt_cycles(void) { return EK_DWT_CYCCNT; }

#endif /* EK_DWT_H */
