/* qemu-cortex-m55: QEMU `-M mps3-an547` (Arm MPS3 AN547, Cortex-M55 with Helium). */
#ifndef EK_BSP_BOARD_H
#define EK_BSP_BOARD_H

#define EK_BSP_BOARD_NAME "qemu-cortex-m55"
#define EK_BSP_UART_BASE 0x59303000u      /* CMSDK UART0, Secure alias */
#define EK_BSP_FPGAIO_COUNTER 0x59302018u /* FPGAIO free-running counter, 20 MHz */
#define EK_BSP_TICKS_PER_SECOND 20000000u
#define EK_BSP_TICK_UNIT "instructions"
#define EK_BSP_INSTR_PER_TICK_NUM 50u
#define EK_BSP_INSTR_PER_TICK_DEN 1u

#endif /* EK_BSP_BOARD_H */
