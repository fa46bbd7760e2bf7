/* The board constants of ek_bsp.h as symbols, for code built without the board header. */
#include "ek_bsp.h"

const char *const ek_bsp_board_name = EK_BSP_BOARD_NAME;
const char *const ek_bsp_tick_unit = EK_BSP_TICK_UNIT;
const uint32_t ek_bsp_units_per_tick_num = EK_BSP_UNITS_PER_TICK_NUM;
const uint32_t ek_bsp_units_per_tick_den = EK_BSP_UNITS_PER_TICK_DEN;

uint32_t ek_bsp_ticks_per_second(void) { return EK_BSP_TICK_HZ; }
