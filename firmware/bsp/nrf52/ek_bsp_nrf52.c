/* nRF52840 bare-metal BSP (nrf52840dk, nano33ble): HFXO clock, UARTE0, DWT ticks.
 *
 * Register facts: nRF52840 Product Specification v1.x, chapters CLOCK, GPIO and UARTE.
 * The CPU always runs at 64 MHz; starting the 64 MHz crystal oscillator (HFXO) makes
 * HFCLK crystal-accurate, which the UART's baud rate needs. The pins come from
 * ek_bsp_board.h (EK_BSP_UART_TX_PIN / _RX_PIN as port * 32 + pin): P0.06/P0.08 on the
 * DK (its J-Link OB virtual COM port), P1.03/P1.10 (D1/D0) on the Nano 33 BLE, whose USB
 * port is the chip's native USB and is not used by this BSP.
 *
 * UARTE moves bytes with EasyDMA only, so both directions go through RAM buffers:
 * transmit collects bytes and sends them on flush (or when full); receive keeps a
 * one-byte DMA transfer armed at all times, alternating between two one-byte buffers
 * (RXD.PTR is double-buffered and the ENDRX->STARTRX short restarts at once), so a byte
 * that arrives while the previous one waits to be read is not lost.
 */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"
#include "ek_dwt.h"

#define EK_REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

#define CLOCK_BASE 0x40000000u
#define CLOCK_TASKS_HFCLKSTART EK_REG(CLOCK_BASE + 0x000u)
#define CLOCK_EVENTS_HFCLKSTARTED EK_REG(CLOCK_BASE + 0x100u)
#define CLOCK_HFCLKSTAT EK_REG(CLOCK_BASE + 0x40Cu)
#define CLOCK_HFCLKSTAT_SRC_XTAL 1u

#define UARTE_BASE 0x40002000u /* UARTE0 */
#define UARTE_TASKS_STARTRX EK_REG(UARTE_BASE + 0x000u)
#define UARTE_TASKS_STARTTX EK_REG(UARTE_BASE + 0x008u)
#define UARTE_EVENTS_ENDRX EK_REG(UARTE_BASE + 0x110u)
#define UARTE_EVENTS_ENDTX EK_REG(UARTE_BASE + 0x120u)
#define UARTE_EVENTS_RXSTARTED EK_REG(UARTE_BASE + 0x14Cu)
#define UARTE_SHORTS EK_REG(UARTE_BASE + 0x200u)
#define UARTE_ENABLE EK_REG(UARTE_BASE + 0x500u)
#define UARTE_PSEL_RTS EK_REG(UARTE_BASE + 0x508u)
#define UARTE_PSEL_TXD EK_REG(UARTE_BASE + 0x50Cu)
#define UARTE_PSEL_CTS EK_REG(UARTE_BASE + 0x510u)
#define UARTE_PSEL_RXD EK_REG(UARTE_BASE + 0x514u)
#define UARTE_BAUDRATE EK_REG(UARTE_BASE + 0x524u)
#define UARTE_RXD_PTR EK_REG(UARTE_BASE + 0x534u)
#define UARTE_RXD_MAXCNT EK_REG(UARTE_BASE + 0x538u)
#define UARTE_TXD_PTR EK_REG(UARTE_BASE + 0x544u)
#define UARTE_TXD_MAXCNT EK_REG(UARTE_BASE + 0x548u)
#define UARTE_CONFIG EK_REG(UARTE_BASE + 0x56Cu)
#define UARTE_ENABLE_ON 8u
#define UARTE_PSEL_DISCONNECTED 0xFFFFFFFFu
#define UARTE_SHORTS_ENDRX_STARTRX (1u << 5)
#define UARTE_BAUDRATE_115200 0x01D60000u /* the UARTE value (UART's differs) */

/* GPIO P0 at 0x50000000, P1 at 0x50000300. */
#define GPIO_PORT(pin) (0x50000000u + ((uint32_t)(pin) >> 5) * 0x300u)
#define GPIO_OUTSET(pin) EK_REG(GPIO_PORT(pin) + 0x508u)
#define GPIO_PIN_CNF(pin) EK_REG(GPIO_PORT(pin) + 0x700u + 4u * ((uint32_t)(pin) & 31u))
#define GPIO_PIN_CNF_OUTPUT 1u        /* DIR = output, input buffer connected */
#define GPIO_PIN_CNF_INPUT_PULLUP 0xCu /* DIR = input, buffer connected, pull-up */

#if !defined(EK_BSP_UART_TX_PIN) || !defined(EK_BSP_UART_RX_PIN)
#error "ek_bsp_board.h must define EK_BSP_UART_TX_PIN and EK_BSP_UART_RX_PIN"
#endif
#if EK_BSP_BAUD != 115200u
#error "the nRF52 BSP only has the 115200 baud divisor"
#endif

/* EasyDMA reads and writes Data RAM only: these live in .bss, never in flash. */
#define TX_BUFFER_BYTES 64u
static uint8_t tx_buffer[TX_BUFFER_BYTES];
static uint32_t tx_count;
static volatile uint8_t rx_buffer[2];
static uint32_t rx_next;   /* buffer the next completed transfer has filled */
static uint32_t rx_queued; /* buffer RXD.PTR holds for the next STARTRX */

static void start_hfxo(void)
{
    CLOCK_EVENTS_HFCLKSTARTED = 0u;
    CLOCK_TASKS_HFCLKSTART = 1u;
    while (CLOCK_EVENTS_HFCLKSTARTED == 0u || (CLOCK_HFCLKSTAT & CLOCK_HFCLKSTAT_SRC_XTAL) == 0u) {
    }
}

static void start_uarte(void)
{
    GPIO_OUTSET(EK_BSP_UART_TX_PIN) = 1u << (EK_BSP_UART_TX_PIN & 31u); /* idle high */
    GPIO_PIN_CNF(EK_BSP_UART_TX_PIN) = GPIO_PIN_CNF_OUTPUT;
    GPIO_PIN_CNF(EK_BSP_UART_RX_PIN) = GPIO_PIN_CNF_INPUT_PULLUP; /* no adapter: reads idle */
    UARTE_PSEL_TXD = EK_BSP_UART_TX_PIN;
    UARTE_PSEL_RXD = EK_BSP_UART_RX_PIN;
    UARTE_PSEL_RTS = UARTE_PSEL_DISCONNECTED;
    UARTE_PSEL_CTS = UARTE_PSEL_DISCONNECTED;
    UARTE_BAUDRATE = UARTE_BAUDRATE_115200;
    UARTE_CONFIG = 0u; /* 8N1, no flow control */
    UARTE_ENABLE = UARTE_ENABLE_ON;

    rx_next = 0u;
    rx_queued = 0u;
    UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_buffer[0];
    UARTE_RXD_MAXCNT = 1u;
    UARTE_SHORTS = UARTE_SHORTS_ENDRX_STARTRX;
    UARTE_EVENTS_RXSTARTED = 0u;
    UARTE_EVENTS_ENDRX = 0u;
    UARTE_TASKS_STARTRX = 1u;
}

void ek_bsp_init(void)
{
    start_hfxo();
    start_uarte();
    ek_dwt_enable();
}

int ek_bsp_poll_rx(void)
{
    if (UARTE_EVENTS_RXSTARTED != 0u) {
        /* The transfer into rx_buffer[rx_queued] has started: the short's next restart
         * takes the other buffer. */
        UARTE_EVENTS_RXSTARTED = 0u;
        rx_queued ^= 1u;
        UARTE_RXD_PTR = (uint32_t)(uintptr_t)&rx_buffer[rx_queued];
    }
    if (UARTE_EVENTS_ENDRX == 0u) {
        return -1;
    }
    UARTE_EVENTS_ENDRX = 0u;
    const uint8_t c = rx_buffer[rx_next];
    rx_next ^= 1u;
    return (int)c;
}

void ek_bsp_flush(void)
{
    if (tx_count == 0u) {
        return;
    }
    UARTE_TXD_PTR = (uint32_t)(uintptr_t)tx_buffer;
    UARTE_TXD_MAXCNT = tx_count;
    UARTE_EVENTS_ENDTX = 0u;
    UARTE_TASKS_STARTTX = 1u;
    while (UARTE_EVENTS_ENDTX == 0u) {
    }
    tx_count = 0u;
}

void ek_bsp_putc(uint8_t c)
{
    tx_buffer[tx_count++] = c;
    if (tx_count == TX_BUFFER_BYTES) {
        ek_bsp_flush();
    }
}

uint32_t ek_bsp_ticks(void) { return ek_dwt_cycles(); }
