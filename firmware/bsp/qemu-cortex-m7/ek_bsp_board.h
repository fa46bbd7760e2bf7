/* qemu-cortex-m7: QEMU `-M mps2-an500` (Arm MPS2+ AN500, Cortex-M7). */
#ifndef EK_BSP_BOARD_H
#define EK_BSP_BOARD_H

#define EK_BSP_BOARD_NAME "qemu-cortex-m7"
#define EK_BSP_UART_BASE 0x40004000u        /* CMSDK UART0 */
#define EK_BSP_CMSDK_TIMER_BASE 0x40000000u /* CMSDK timer0, 25 MHz */
#define EK_BSP_TICKS_PER_SECOND 25000000u
/* Under -icount shift=0 one virtual ns is one instruction: 40 per 25 MHz tick. */
#define EK_BSP_TICK_UNIT "instructions"
#define EK_BSP_INSTR_PER_TICK_NUM 40u
#define EK_BSP_INSTR_PER_TICK_DEN 1u

#endif /* EK_BSP_BOARD_H */
