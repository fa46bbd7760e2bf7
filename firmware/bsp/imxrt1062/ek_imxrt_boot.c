/* i.MX RT1062 boot headers for the Teensy 4.1's 8 MB QSPI NOR (Winbond W25Q64JV), read
 * by the boot ROM from FlexSPI flash (i.MX RT1060 Reference Manual, "System Boot":
 * "FlexSPI NOR boot", "Image Vector Table and Boot Data"):
 *   0x60000000  FlexSPI NOR configuration block (512 bytes, padded to 4 KB)   .boot.0
 *   0x60001000  IVT (32 bytes) + boot data (16 bytes), padded to 4 KB         .boot.1
 *   0x60002000  the application's vector table (ek_cortexm_startup.c)         .vectors
 *
 * The ROM takes the IVT's entry as a vector table: it loads SP and PC from it. That
 * entry is a two-word table of our own with the stack in OCRAM2 (512 KB that exists
 * whatever the FlexRAM fuses say), so ek_imxrt_entry can set the FlexRAM banks (DTCM
 * 256 KB, ITCM 128 KB, OCRAM 128 KB) before anything touches DTCM, where the stack,
 * .data, .bss and the model's arena live.
 */
#include <stdint.h>

#define FLEXSPI_CFG_TAG 0x42464346u     /* "FCFB" */
#define FLEXSPI_CFG_VERSION 0x56010400u /* V1.4.0 */
#define IVT_HEADER 0x412000D1u          /* tag 0xD1, length 0x0020, version 4.1 */
#define FLASH_BASE 0x60000000u
#define OCRAM2_TOP 0x20280000u

/* One LUT instruction pair: opcode (6 bits), pads (2 bits), operand (8 bits) each. */
#define LUT(op0, pads0, arg0, op1, pads1, arg1)                                          \
    (((uint32_t)(arg0)) | ((uint32_t)(pads0) << 8) | ((uint32_t)(op0) << 10) |          \
     ((uint32_t)(arg1) << 16) | ((uint32_t)(pads1) << 24) | ((uint32_t)(op1) << 26))
#define LUT_CMD_SDR 0x01u
#define LUT_RADDR_SDR 0x02u
#define LUT_READ_SDR 0x09u
#define LUT_DUMMY_SDR 0x0Cu
#define LUT_STOP 0x00u
#define PADS_1 0u
#define PADS_4 2u

/* The FlexSPI NOR configuration block; field offsets from the reference manual's
 * table, checked below. Unused fields stay zero. */
typedef struct {
    uint32_t tag;                   /* 0x000 */
    uint32_t version;               /* 0x004 */
    uint32_t reserved0;             /* 0x008 */
    uint8_t read_sample_clk_src;    /* 0x00C: 1 = loopback from the DQS pad */
    uint8_t cs_hold_time;           /* 0x00D */
    uint8_t cs_setup_time;          /* 0x00E */
    uint8_t column_address_width;   /* 0x00F */
    uint8_t device_mode_etc[0x34];  /* 0x010..0x043: device mode / config commands */
    uint8_t device_type;            /* 0x044: 1 = serial NOR */
    uint8_t sflash_pad_type;        /* 0x045: 4 = quad */
    uint8_t serial_clk_freq;        /* 0x046: 3 = 60 MHz */
    uint8_t lut_custom_seq_enable;  /* 0x047 */
    uint32_t reserved1[2];          /* 0x048 */
    uint32_t sflash_a1_size;        /* 0x050 */
    uint32_t sflash_a2_b1_b2[3];    /* 0x054 */
    uint32_t pad_overrides[4];      /* 0x060 */
    uint32_t timeout_ms;            /* 0x070 */
    uint32_t command_interval;      /* 0x074 */
    uint16_t data_valid_time[2];    /* 0x078 */
    uint16_t busy_offset;           /* 0x07C */
    uint16_t busy_bit_polarity;     /* 0x07E */
    uint32_t lookup_table[64];      /* 0x080: 16 sequences of 4 words */
    uint32_t lut_custom_seq[12];    /* 0x180 */
    uint32_t reserved2[4];          /* 0x1B0 */
    uint32_t page_size;             /* 0x1C0 */
    uint32_t sector_size;           /* 0x1C4 */
    uint8_t ipcmd_serial_clk_freq;  /* 0x1C8 */
    uint8_t is_uniform_block_size;  /* 0x1C9 */
    uint8_t reserved3[6];           /* 0x1CA */
    uint32_t block_size;            /* 0x1D0 */
    uint32_t reserved4[11];         /* 0x1D4 */
} ek_flexspi_nor_config_t;

_Static_assert(sizeof(ek_flexspi_nor_config_t) == 512, "FlexSPI NOR block is 512 bytes");
_Static_assert(__builtin_offsetof(ek_flexspi_nor_config_t, device_type) == 0x44, "layout");
_Static_assert(__builtin_offsetof(ek_flexspi_nor_config_t, sflash_a1_size) == 0x50, "layout");
_Static_assert(__builtin_offsetof(ek_flexspi_nor_config_t, lookup_table) == 0x80, "layout");
_Static_assert(__builtin_offsetof(ek_flexspi_nor_config_t, page_size) == 0x1C0, "layout");
_Static_assert(__builtin_offsetof(ek_flexspi_nor_config_t, block_size) == 0x1D0, "layout");

__attribute__((section(".boot.0"), used, aligned(4)))
const struct {
    ek_flexspi_nor_config_t config;
    uint8_t pad[0x1000 - sizeof(ek_flexspi_nor_config_t)];
} ek_imxrt_flexspi_block = {
    .config = {
        .tag = FLEXSPI_CFG_TAG,
        .version = FLEXSPI_CFG_VERSION,
        .read_sample_clk_src = 1u,
        .cs_hold_time = 3u,
        .cs_setup_time = 3u,
        .device_type = 1u,
        .sflash_pad_type = 4u,
        .serial_clk_freq = 3u,
        .sflash_a1_size = 8u * 1024u * 1024u,
        /* Sequence 0, the ROM's read: Fast Read Quad I/O (EBh), 24-bit address on four
         * lines, 6 dummy cycles, data on four lines. */
        .lookup_table = {
            LUT(LUT_CMD_SDR, PADS_1, 0xEB, LUT_RADDR_SDR, PADS_4, 24),
            LUT(LUT_DUMMY_SDR, PADS_4, 6, LUT_READ_SDR, PADS_4, 4),
            LUT(LUT_STOP, PADS_1, 0, LUT_STOP, PADS_1, 0),
        },
        .page_size = 256u,
        .sector_size = 4096u,
        .block_size = 64u * 1024u,
    },
    .pad = {0},
};

/* Linker symbols (imxrt1062 link.ld). */
extern const uint32_t __boot_image_bytes; /* an absolute symbol: its address is the size */
void ek_reset_handler(void);
void ek_imxrt_entry(void);

typedef struct {
    uint32_t header, entry, reserved1, dcd, boot_data, self, csf, reserved2;
} ek_ivt_t;

typedef struct {
    uint32_t start, size, plugin, reserved;
} ek_boot_data_t;

__attribute__((section(".boot.1"), used, aligned(4)))
const struct {
    ek_ivt_t ivt;
    ek_boot_data_t boot_data;
    const void *rom_vectors[2]; /* what the IVT's entry points at: SP, PC */
    uint8_t pad[0x1000 - sizeof(ek_ivt_t) - sizeof(ek_boot_data_t) - 2 * sizeof(void *)];
} ek_imxrt_ivt = {
    .ivt = {
        .header = IVT_HEADER,
        .entry = (uint32_t)(uintptr_t)&ek_imxrt_ivt.rom_vectors,
        .boot_data = (uint32_t)(uintptr_t)&ek_imxrt_ivt.boot_data,
        .self = (uint32_t)(uintptr_t)&ek_imxrt_ivt.ivt,
    },
    .boot_data = {
        .start = FLASH_BASE,
        .size = (uint32_t)(uintptr_t)&__boot_image_bytes,
    },
    .rom_vectors = {(const void *)OCRAM2_TOP, (const void *)ek_imxrt_entry},
    .pad = {0},
};

/* FlexRAM: 16 banks of 32 KB, 2 bits each in GPR17 (1 OCRAM, 2 DTCM, 3 ITCM). */
#define IOMUXC_GPR_GPR14 (*(volatile uint32_t *)0x400AC038u)
#define IOMUXC_GPR_GPR16 (*(volatile uint32_t *)0x400AC040u)
#define IOMUXC_GPR_GPR17 (*(volatile uint32_t *)0x400AC044u)
#define BANKS(kind, first, count) ((uint32_t)(((1ull << (2 * (count))) - 1u) / 3u * (kind)) << (2 * (first)))
#define FLEXRAM_BANKS (BANKS(3u, 0, 4) | BANKS(2u, 4, 8) | BANKS(1u, 12, 4))
#define GPR14_TCM_SIZES ((8u << 16) | (9u << 20)) /* ITCM 128 KB, DTCM 256 KB */
#define GPR14_TCM_MASK (0xFFu << 16)
#define GPR16_USE_GPR17 (1u << 2)
#define GPR16_TCM_ENABLE 3u /* INIT_ITCM_EN, INIT_DTCM_EN */

extern uint32_t __stack_top;

/* First code after the ROM, on the OCRAM2 stack: FlexRAM, then the common reset with the
 * DTCM stack. */
__attribute__((noreturn)) void ek_imxrt_entry(void)
{
    IOMUXC_GPR_GPR17 = FLEXRAM_BANKS;
    IOMUXC_GPR_GPR16 = (IOMUXC_GPR_GPR16 & ~7u) | GPR16_USE_GPR17 | GPR16_TCM_ENABLE;
    IOMUXC_GPR_GPR14 = (IOMUXC_GPR_GPR14 & ~GPR14_TCM_MASK) | GPR14_TCM_SIZES;
    __asm__ volatile("dsb\n\tisb\n\t"
                     "msr msp, %0\n\t"
                     "bx %1" : : "r"(&__stack_top), "r"(ek_reset_handler) : "memory");
    __builtin_unreachable();
}
