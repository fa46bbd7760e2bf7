/* A fake INA219/INA226 behind the I2C HAL of ek_power.h, for host builds: a register
 * file with a register pointer, 16-bit big-endian registers, like the real chips.
 * FAKE_SHUNT_RAW / FAKE_BUS_RAW are the raw register values the test expects to be
 * converted; FAKE_NACK makes the chip absent (no ACK). */
#include <stdint.h>

#include "ek_power.h"

#ifndef FAKE_SHUNT_RAW
#define FAKE_SHUNT_RAW 0
#endif
#ifndef FAKE_BUS_RAW
#define FAKE_BUS_RAW 0
#endif
#ifndef FAKE_ADDR
#define FAKE_ADDR 0x40
#endif

static uint16_t regs[256] = {[1] = (uint16_t)(FAKE_SHUNT_RAW), [2] = (uint16_t)(FAKE_BUS_RAW)};
static uint8_t pointer;

int ek_bsp_i2c_write(uint8_t addr7, const uint8_t *data, uint32_t len) {
#ifdef FAKE_NACK
    (void)addr7; (void)data; (void)len;
    return -1;
#else
    if (addr7 != FAKE_ADDR || len == 0u) return -1;
    pointer = data[0];
    if (len == 3u && pointer == 0u) regs[0] = (uint16_t)((data[1] << 8) | data[2]);
    return (len == 1u || len == 3u) ? 0 : -1;
#endif
}

int ek_bsp_i2c_read(uint8_t addr7, uint8_t *data, uint32_t len) {
    if (addr7 != FAKE_ADDR || len != 2u) return -1;
    /* The shunt register holds a value only once the config was written (POR default
     * conversions aside): a driver that forgot ek_power_init reads zeros. */
    uint16_t value = regs[0] != 0u || pointer == 0u ? regs[pointer] : 0u;
    data[0] = (uint8_t)(value >> 8);
    data[1] = (uint8_t)(value & 0xFFu);
    return 0;
}
