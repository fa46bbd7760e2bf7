/* Board support: the only hardware API the runtime and main.c use.
 *
 * One implementation per board family (firmware/bsp/<board>/); each board folder has an
 * ek_bsp_board.h that fixes the tick rate and what a tick means, so the host can turn
 * ticks into instructions, cycles or microseconds.
 */
#ifndef EK_BSP_H
#define EK_BSP_H

#include <stdint.h>

#include "ek_bsp_board.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ek_bsp_board.h is generated per board from its boards/<name>.toml
 * (the family's template in templates/bsp/, docs/targets.md) and defines:
 *   EK_BSP_BOARD_NAME   "qemu-cortex-m4", ...
 *   EK_BSP_EMULATED     1 on QEMU boards, else 0
 *   EK_BSP_CPU_HZ       core clock (emulated: 1 GHz of virtual time; host: 0)
 *   EK_BSP_TICK_HZ      rate of ek_bsp_ticks() (emulated: ticks per virtual second)
 *   EK_BSP_TICK_UNIT    what EK_BSP_UNITS_PER_TICK counts: "instructions" (QEMU -icount),
 *                       "cycles" (real boards) or "us" (host)
 *   EK_BSP_UNITS_PER_TICK_NUM / _DEN   units per tick as a ratio: 40/1 on M4/M7,
 *                       50/1 on M33 and M55 (FPGAIO counter), 1/1 on RISC-V (minstret),
 *                       1/1 cycles on real boards, 1/1 us on the host
 * plus the board's peripheral addresses for the BSP sources. */

/* Arduino frameworks own main(): the firmware's main() becomes ek_app_main(), which the
 * Arduino BSP calls from setup(). */
#if defined(EK_BSP_ARDUINO) && EK_BSP_ARDUINO
#define main ek_app_main
#endif

/* Wait "forever" in ek_bsp_getc. */
#define EK_BSP_WAIT_FOREVER 0xFFFFFFFFu

/* Clocks, FPU, UART (TX and RX enabled) and the free-running tick counter. */
void ek_bsp_init(void);

/* Sends one byte (blocks while the UART is full). */
void ek_bsp_putc(uint8_t c);

/* Sends everything buffered so far (a no-op where putc is unbuffered). */
void ek_bsp_flush(void);

/* Next received byte (0..255), or -1 when none arrived within timeout_ticks
 * (0: poll once; EK_BSP_WAIT_FOREVER: block). */
int ek_bsp_getc(uint32_t timeout_ticks);

/* Monotonic, wrapping 32-bit tick counter (differences are valid across one wrap). */
uint32_t ek_bsp_ticks(void);

/* Same value as EK_BSP_TICK_HZ, for code compiled without the board header. */
uint32_t ek_bsp_ticks_per_second(void);

/* Ends the program: QEMU exits with `code` (semihosting / sifive_test), the host process
 * exits, a real board flushes and spins. */
void ek_bsp_exit(int code)
#if defined(__GNUC__)
    __attribute__((noreturn))
#endif
    ;

extern const char *const ek_bsp_board_name;
extern const char *const ek_bsp_tick_unit;     /* EK_BSP_TICK_UNIT */
extern const uint32_t ek_bsp_units_per_tick_num; /* EK_BSP_UNITS_PER_TICK_NUM */
extern const uint32_t ek_bsp_units_per_tick_den; /* EK_BSP_UNITS_PER_TICK_DEN */

#ifdef __cplusplus
}
#endif

#endif /* EK_BSP_H */
