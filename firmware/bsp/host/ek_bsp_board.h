/* host: the firmware as a native process (fast tests, `edgekit verify --board host`). */
#ifndef EK_BSP_BOARD_H
#define EK_BSP_BOARD_H

#define EK_BSP_BOARD_NAME "host"
#define EK_BSP_TICKS_PER_SECOND 1000000u /* CLOCK_MONOTONIC in microseconds */
#define EK_BSP_TICK_UNIT "us"
#define EK_BSP_INSTR_PER_TICK_NUM 0u /* ticks are wall time, not instructions */
#define EK_BSP_INSTR_PER_TICK_DEN 1u

#endif /* EK_BSP_BOARD_H */
