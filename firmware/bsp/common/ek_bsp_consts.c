/* The board constants of ek_bsp.h for boards whose clock is fixed at build time. */
#include "ek_bsp.h"

const char *const ek_bsp_board_name = EK_BSP_BOARD_NAME;

int ek_bsp_emulated(void) { return EK_BSP_EMULATED; }
uint32_t ek_bsp_cpu_hz(void) { return EK_BSP_CPU_HZ; }
const char *ek_bsp_tick_unit(void) { return EK_BSP_TICK_UNIT; }
uint32_t ek_bsp_units_per_tick_num(void) { return EK_BSP_UNITS_PER_TICK_NUM; }
uint32_t ek_bsp_units_per_tick_den(void) { return EK_BSP_UNITS_PER_TICK_DEN; }
uint32_t ek_bsp_ticks_per_second(void) { return EK_BSP_TICK_HZ; }
