/* RP2040 second-stage boot (boot2) for the Pico's W25Q080-class QSPI flash.
 *
 * The boot ROM copies the first 256 bytes of flash to SRAM (0x20041F00), checks their
 * CRC32 (the last 4 bytes) and jumps here. This stage sets the XIP SSI up for plain
 * serial reads (command 03h, 24-bit address, 32-bit frames, clk_sys/4), which every
 * 25-series flash answers without first setting its quad-enable bit, then enters the
 * application's vector table at 0x10000100. Register facts: RP2040 Datasheet, "SSI".
 *
 * Position independent (only PC-relative literals) and at most 252 bytes: edgekit
 * (edgekit/boot/rp2040.py) assembles it, pads it and appends the CRC.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb
    .section .text
    .global ek_boot2_entry
    .type ek_boot2_entry, %function
    .thumb_func

#define XIP_SSI_BASE 0x18000000
#define SSI_CTRLR0 0x00
#define SSI_CTRLR1 0x04
#define SSI_SSIENR 0x08
#define SSI_BAUDR 0x14
#define SSI_SPI_CTRLR0 0xF4
#define CLKDIV 4
/* CTRLR0: standard SPI frames (SPI_FRF=0), 32-bit data frames (DFS_32=31), EEPROM
 * read mode (TMOD=3): the SSI sends the command and address, then only receives. */
#define CTRLR0_XIP ((31 << 16) | (3 << 8))
/* SPI_CTRLR0: XIP command 03h, 8-bit instruction (INST_L=2), 24-bit address (ADDR_L=6
 * nibbles), instruction and address on one line (TRANS_TYPE=0), no wait cycles. */
#define SPI_CTRLR0_XIP ((0x03 << 24) | (2 << 8) | (6 << 2))
#define APP_VECTORS 0x10000100
#define M0PLUS_VTOR 0xE000ED08

ek_boot2_entry:
    push {lr}
    ldr r3, =XIP_SSI_BASE
    movs r1, #0
    str r1, [r3, #SSI_SSIENR]        /* registers only change while the SSI is off */
    movs r1, #CLKDIV
    str r1, [r3, #SSI_BAUDR]
    ldr r1, =CTRLR0_XIP
    str r1, [r3, #SSI_CTRLR0]
    ldr r1, =SPI_CTRLR0_XIP
    ldr r0, =(XIP_SSI_BASE + SSI_SPI_CTRLR0)  /* offset too large for an immediate */
    str r1, [r0]
    movs r1, #0
    str r1, [r3, #SSI_CTRLR1]        /* NDF=0: one data frame per XIP access */
    movs r1, #1
    str r1, [r3, #SSI_SSIENR]
    pop {r0}
    cmp r0, #0                        /* called by the ROM at boot (lr = 0)? */
    beq enter_app
    bx r0                             /* called by running code: just return */
enter_app:
    ldr r0, =APP_VECTORS
    ldr r1, =M0PLUS_VTOR
    str r0, [r1]
    ldmia r0, {r0, r1}                /* initial SP, reset handler */
    msr msp, r0
    bx r1

    .ltorg
