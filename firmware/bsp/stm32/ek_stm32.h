/* Internal to the STM32 BSP: register access, the family's fixed addresses, and the
 * interfaces between its files. Board choices (family, PLL factors, flash wait states,
 * UART instance and pins, the emulated timer) come from the generated ek_bsp_board.h;
 * register addresses and bit positions are the reference manuals' (RM0351 STM32L4x5,
 * RM0432 STM32L4+, RM0090 STM32F405, RM0390 STM32F446, RM0385 STM32F7). */
#ifndef EK_STM32_H
#define EK_STM32_H

#include <stdint.h>

#include "ek_bsp.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#if defined(EK_STM32_FAMILY_L4)
#define EK_RCC_BASE 0x40021000u
#define EK_GPIO_BASE(port) (0x48000000u + 0x400u * (uint32_t)(port))
#define EK_RCC_GPIOEN EK_REG(EK_RCC_BASE + 0x4Cu)  /* AHB2ENR: GPIOx = bit x */
#define EK_RCC_APB1EN EK_REG(EK_RCC_BASE + 0x58u)  /* APB1ENR1: TIM2 bit 0, PWR bit 28 */
#define EK_USART_V2 1                             /* ISR/RDR/TDR register layout */
#elif defined(EK_STM32_FAMILY_F4) || defined(EK_STM32_FAMILY_F7)
#define EK_RCC_BASE 0x40023800u
#define EK_GPIO_BASE(port) (0x40020000u + 0x400u * (uint32_t)(port))
#define EK_RCC_GPIOEN EK_REG(EK_RCC_BASE + 0x30u)  /* AHB1ENR: GPIOx = bit x */
#define EK_RCC_APB1EN EK_REG(EK_RCC_BASE + 0x40u)  /* APB1ENR: TIM2 bit 0, PWR bit 28 */
#if defined(EK_STM32_FAMILY_F7)
#define EK_USART_V2 1
#else
#define EK_USART_V2 0                             /* SR/DR register layout */
#endif
#else
#error "ek_bsp_board.h must define EK_STM32_FAMILY_L4, _F4 or _F7"
#endif

#define EK_RCC_APB1EN_TIM2 (1u << 0)
#define EK_RCC_APB1EN_PWR (1u << 28)

/* Bounded waits: on silicon a ready flag comes within microseconds to milliseconds; in
 * QEMU an unmodelled block reads 0 for ever, and the BSP must carry on (with the clock
 * it has) instead of hanging. */
#define EK_STM32_WAIT_LOOPS 200000u

/* Waits until (reg & mask) == want, at most EK_STM32_WAIT_LOOPS reads; 1 if it came. */
static inline int ek_stm32_wait(volatile uint32_t *reg, uint32_t mask, uint32_t want)
{
    for (uint32_t i = 0; i < EK_STM32_WAIT_LOOPS; ++i) {
        if ((*reg & mask) == want) {
            return 1;
        }
    }
    return 0;
}

/* The bus clocks the clock tree ended up with (the PLL may not lock in emulation). */
typedef struct {
    uint32_t hclk;  /* core and AHB */
    uint32_t pclk1; /* APB1 */
    uint32_t pclk2; /* APB2 */
} ek_stm32_clocks_t;

/* Family clock tree (ek_stm32_rcc_l4.c / ek_stm32_rcc_f4.c): voltage scaling, flash wait
 * states and accelerators, PLL to the board's rated maximum, bus prescalers. */
void ek_stm32_clock_init(ek_stm32_clocks_t *clocks);

/* Family UART instance (same files): enables its clock; its base, bus and kind. */
typedef struct {
    uint32_t base;
    uint32_t apb;    /* 1 or 2: which PCLK feeds it */
    int lpuart;      /* LPUART: BRR = 256 * f / baud */
} ek_stm32_uart_t;
void ek_stm32_uart_clock_enable(ek_stm32_uart_t *uart);

/* UART on the board's pins at EK_BSP_BAUD (ek_stm32_uart.c). */
void ek_stm32_uart_init(const ek_stm32_clocks_t *clocks);

/* Tick counter (ek_stm32_ticks.c): DWT where it counts, else the emulated timer. */
void ek_stm32_ticks_init(const ek_stm32_clocks_t *clocks);

/* RCC's APB prescaler field for /1, /2, /4, /8, /16: the same encoding on L4, F4 and F7. */
static inline uint32_t ek_stm32_ppre_bits(uint32_t div)
{
    uint32_t bits = 0u;
    for (uint32_t d = div; d > 1u; d >>= 1) {
        bits = bits ? bits + 1u : 4u;
    }
    return bits;
}

/* Pin `pin` of GPIO port `port` (0 = A) in alternate function `af`, very high speed. */
void ek_stm32_gpio_af(uint32_t port, uint32_t pin, uint32_t af);

#endif /* EK_STM32_H */
