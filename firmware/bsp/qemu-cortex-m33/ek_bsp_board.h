/* qemu-cortex-m33: QEMU `-M mps2-an505` (Arm MPS2+ AN505, Cortex-M33, boots Secure). */
#ifndef EK_BSP_BOARD_H
#define EK_BSP_BOARD_H

#define EK_BSP_BOARD_NAME "qemu-cortex-m33"
#define EK_BSP_UART_BASE 0x50200000u        /* CMSDK UART0, Secure alias */
#define EK_BSP_CMSDK_TIMER_BASE 0x50000000u /* CMSDK timer0, 20 MHz, Secure alias */
#define EK_BSP_TICKS_PER_SECOND 20000000u
#define EK_BSP_TICK_UNIT "instructions"
#define EK_BSP_INSTR_PER_TICK_NUM 50u
#define EK_BSP_INSTR_PER_TICK_DEN 1u

#endif /* EK_BSP_BOARD_H */
