/* Test-only host BSP (used until firmware/bsp provides its host build): the "serial
 * port" is stdin/stdout, ticks are microseconds of CLOCK_MONOTONIC. */
#ifndef EK_BSP_H
#define EK_BSP_H

#include <stdint.h>

#define EK_BSP_BOARD_NAME "host"
#define EK_BSP_CPU_HZ 1000000u
#define EK_BSP_TICK_HZ 1000000u
#define EK_BSP_UNITS_PER_TICK_NUM 1u
#define EK_BSP_UNITS_PER_TICK_DEN 1u
#define EK_BSP_EMULATED 0

void ek_bsp_init(void);
void ek_bsp_putc(uint8_t c);
int ek_bsp_getc(uint32_t timeout_ticks);
uint32_t ek_bsp_ticks(void);
void ek_bsp_exit(int status);

#endif
