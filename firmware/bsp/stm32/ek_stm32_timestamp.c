/* MLPerf Tiny energy mode: the timestamp is a falling edge on the board's D7, held low for
 * at least 1 us (the EEMBC energy monitor samples it); firmware/runtime/ek_mlperf.h. */
#include "ek_bsp.h"
#include "ek_stm32.h"

/* Only in MLPerf energy-mode builds, whose runtime (and ek_mlperf.h) is in the project. */
#if defined(EK_STM32_TS_PORT) && defined(EK_MLPERF_ENERGY) && EK_MLPERF_ENERGY
#include "ek_mlperf.h"

#define GPIO_MODER 0x00u
#define GPIO_BSRR 0x18u
#define GPIO_MODE_OUTPUT 1u

void ek_mlperf_timestamp_pin(void)
{
    static int configured;
    const uint32_t base = EK_GPIO_BASE(EK_STM32_TS_PORT);
    const uint32_t bit = 1u << EK_STM32_TS_PIN;
    if (!configured) { /* the first timestamp configures the pin, idle high */
        EK_RCC_GPIOEN |= 1u << EK_STM32_TS_PORT;
        (void)EK_RCC_GPIOEN;
        EK_REG(base + GPIO_BSRR) = bit;
        EK_REG(base + GPIO_MODER) = (EK_REG(base + GPIO_MODER) & ~(3u << (2u * EK_STM32_TS_PIN))) |
                                    (GPIO_MODE_OUTPUT << (2u * EK_STM32_TS_PIN));
        configured = 1;
    }
    EK_REG(base + GPIO_BSRR) = bit << 16; /* low: the falling edge */
    /* At least 1 us: one tick more than a microsecond's worth of the BSP's counter. */
    const uint32_t hold = ek_bsp_ticks_per_second() / 1000000u + 1u;
    const uint32_t start = ek_bsp_ticks();
    while (ek_bsp_ticks() - start < hold) {
    }
    EK_REG(base + GPIO_BSRR) = bit; /* high again */
}
#endif
