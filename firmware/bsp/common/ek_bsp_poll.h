/* Internal to the BSP: one non-blocking receive per board, used by ek_bsp_common.c. */
#ifndef EK_BSP_POLL_H
#define EK_BSP_POLL_H

#ifdef __cplusplus
extern "C" {
#endif

/* The next received byte (0..255), or -1 when the receiver is empty. */
int ek_bsp_poll_rx(void);

/* Block until a byte can be received, idling the core if the board can (WFI on an
 * RX interrupt); the default returns at once and getc polls. */
void ek_bsp_wait_rx(void);

#ifdef __cplusplus
}
#endif

#endif /* EK_BSP_POLL_H */
