/* The debug probe's virtual COM port: a USART (or the L4's LPUART1) at EK_BSP_BAUD, 8N1,
 * polled. Two register layouts: F4 (SR, DR) and L4/F7 (ISR, RDR, TDR). */
#include "ek_bsp_poll.h"
#include "ek_stm32.h"

#if EK_USART_V2
#define UART_CR1 0x00u
#define UART_BRR 0x0Cu
#define UART_ISR 0x1Cu
#define UART_ICR 0x20u
#define UART_RDR 0x24u
#define UART_TDR 0x28u
#define UART_CR1_ENABLE ((1u << 0) | (1u << 2) | (1u << 3)) /* UE, RE, TE */
#else
#define UART_ISR 0x00u /* SR */
#define UART_RDR 0x04u /* DR */
#define UART_TDR 0x04u
#define UART_BRR 0x08u
#define UART_CR1 0x0Cu
#define UART_CR1_ENABLE ((1u << 13) | (1u << 2) | (1u << 3)) /* UE, RE, TE */
#endif
#define UART_ISR_ORE (1u << 3)
#define UART_ISR_RXNE (1u << 5)
#define UART_ISR_TC (1u << 6)
#define UART_ISR_TXE (1u << 7)

#define GPIO_MODER 0x00u
#define GPIO_OSPEEDR 0x08u
#define GPIO_AFRL 0x20u
#define GPIO_MODE_AF 2u
#define GPIO_SPEED_HIGH 3u

static uint32_t g_uart;

void ek_stm32_gpio_af(uint32_t port, uint32_t pin, uint32_t af)
{
    const uint32_t base = EK_GPIO_BASE(port);
    EK_RCC_GPIOEN |= 1u << port;
    (void)EK_RCC_GPIOEN;
    volatile uint32_t *afr = &EK_REG(base + GPIO_AFRL + 4u * (pin / 8u));
    *afr = (*afr & ~(0xFu << (4u * (pin % 8u)))) | (af << (4u * (pin % 8u)));
    EK_REG(base + GPIO_OSPEEDR) |= GPIO_SPEED_HIGH << (2u * pin);
    EK_REG(base + GPIO_MODER) =
        (EK_REG(base + GPIO_MODER) & ~(3u << (2u * pin))) | (GPIO_MODE_AF << (2u * pin));
}

void ek_stm32_uart_init(const ek_stm32_clocks_t *clocks)
{
    ek_stm32_uart_t uart;
    ek_stm32_uart_clock_enable(&uart);
    ek_stm32_gpio_af(EK_STM32_UART_TX_PORT, EK_STM32_UART_TX_PIN, EK_STM32_UART_AF);
    ek_stm32_gpio_af(EK_STM32_UART_RX_PORT, EK_STM32_UART_RX_PIN, EK_STM32_UART_AF);
    const uint32_t pclk = uart.apb == 1u ? clocks->pclk1 : clocks->pclk2;
    /* 16x oversampling: BRR = f / baud; LPUART: 256 * f / baud (rounded). */
    const uint64_t scale = uart.lpuart ? 256u : 1u;
    const uint32_t brr = (uint32_t)((scale * pclk + EK_BSP_BAUD / 2u) / EK_BSP_BAUD);
    g_uart = uart.base;
    EK_REG(g_uart + UART_CR1) = 0u;
    EK_REG(g_uart + UART_BRR) = brr;
    EK_REG(g_uart + UART_CR1) = UART_CR1_ENABLE;
}

void ek_bsp_putc(uint8_t c)
{
    while ((EK_REG(g_uart + UART_ISR) & UART_ISR_TXE) == 0u) {
    }
    EK_REG(g_uart + UART_TDR) = c;
}

void ek_bsp_flush(void)
{
    /* TC: the last byte has left the shift register, not just the data register. */
    while ((EK_REG(g_uart + UART_ISR) & (UART_ISR_TXE | UART_ISR_TC)) !=
           (UART_ISR_TXE | UART_ISR_TC)) {
    }
}

#ifndef EK_STM32_RX_IDLE_LOOPS
#define EK_STM32_RX_IDLE_LOOPS 64u
#endif

int ek_bsp_poll_rx(void)
{
    const uint32_t isr = EK_REG(g_uart + UART_ISR);
    if (isr & UART_ISR_RXNE) {
        return (int)(EK_REG(g_uart + UART_RDR) & 0xFFu);
    }
    /* Nothing yet: wait a little before the next status read. A byte takes ~87 us at
     * 115200 baud, so this costs nothing on silicon; in QEMU every status read is a
     * device access that holds QEMU's global lock (and on the F405 wakes its main loop),
     * so reading it back to back starves the thread that delivers the host's bytes. */
    for (volatile uint32_t i = 0; i < EK_STM32_RX_IDLE_LOOPS; ++i) {
    }
    if (isr & UART_ISR_ORE) {
        /* A byte was lost: clear the flag so reception goes on; the protocol's CRC and
         * timeouts report the damaged frame. */
#if EK_USART_V2
        EK_REG(g_uart + UART_ICR) = UART_ISR_ORE;
#else
        (void)EK_REG(g_uart + UART_RDR); /* SR then DR read clears ORE */
#endif
    }
    return -1;
}
