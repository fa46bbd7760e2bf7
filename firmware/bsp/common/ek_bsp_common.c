/* Parts of the BSP that every polled-UART board shares: the board constants and
 * ek_bsp_getc's timeout loop on top of the board's ek_bsp_poll_rx(). */
#include "ek_bsp.h"
#include "ek_bsp_poll.h"

const char *const ek_bsp_board_name = EK_BSP_BOARD_NAME;
const char *const ek_bsp_tick_unit = EK_BSP_TICK_UNIT;
const uint32_t ek_bsp_instr_per_tick_num = EK_BSP_INSTR_PER_TICK_NUM;
const uint32_t ek_bsp_instr_per_tick_den = EK_BSP_INSTR_PER_TICK_DEN;

uint32_t ek_bsp_ticks_per_second(void) { return EK_BSP_TICKS_PER_SECOND; }

int ek_bsp_getc(uint32_t timeout_ticks)
{
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
