/* ek_bsp_getc's timeout loop for boards with a polled UART (ek_bsp_poll_rx). */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

__attribute__((weak)) void ek_bsp_wait_rx(void)
{
}

int ek_bsp_getc(uint32_t timeout_ticks)
{
    if (timeout_ticks == EK_BSP_WAIT_FOREVER) {
        ek_bsp_wait_rx();
    }
    const uint32_t start = ek_bsp_ticks();
    for (;;) {
        const int c = ek_bsp_poll_rx();
        if (c >= 0) {
            return c;
        }
        if (timeout_ticks != EK_BSP_WAIT_FOREVER && ek_bsp_ticks() - start >= timeout_ticks) {
            return -1;
        }
    }
}
