/* INA219 / INA226 driver for the POWER request (see ek_power.h).
 *
 * Both chips expose big-endian 16-bit registers behind a register pointer: write the
 * pointer byte, then read two bytes. Readings are computed from the raw shunt and bus
 * voltage registers (no calibration register needed): I = Vshunt / Rshunt.
 */
#include "ek_power.h"

#include "ek_protocol.h"

#if EK_POWER_SENSOR != 0

#ifndef EK_POWER_I2C_ADDR
#define EK_POWER_I2C_ADDR 0x40u
#endif
#ifndef EK_POWER_SHUNT_MOHM
#define EK_POWER_SHUNT_MOHM 100u
#endif

enum { REG_CONFIG = 0x00, REG_SHUNT = 0x01, REG_BUS = 0x02 };

#if EK_POWER_SENSOR == 1
/* INA219: 32 V range, PGA /8 (±320 mV), 12-bit, continuous shunt and bus. */
#define EK_POWER_CONFIG 0x399Fu
#define EK_SENSOR_KIND EK_SENSOR_INA219
/* shunt LSB 10 µV; bus register bits 15..3, LSB 4 mV */
static int32_t shunt_nv(int16_t raw) { return (int32_t)raw * 10000; }
static uint32_t bus_uv(uint16_t raw) { return (uint32_t)(raw >> 3) * 4000u; }
#elif EK_POWER_SENSOR == 2
/* INA226: 16-sample average, 1.1 ms conversions, continuous shunt and bus. */
#define EK_POWER_CONFIG 0x4527u
#define EK_SENSOR_KIND EK_SENSOR_INA226
/* shunt LSB 2.5 µV; bus LSB 1.25 mV */
static int32_t shunt_nv(int16_t raw) { return (int32_t)raw * 2500; }
static uint32_t bus_uv(uint16_t raw) { return (uint32_t)raw * 1250u; }
#else
#error "EK_POWER_SENSOR must be 0 (none), 1 (INA219) or 2 (INA226)"
#endif

static int write_reg(uint8_t reg, uint16_t value) {
    uint8_t buf[3] = {reg, (uint8_t)(value >> 8), (uint8_t)(value & 0xFFu)};
    return ek_bsp_i2c_write(EK_POWER_I2C_ADDR, buf, 3u);
}

static int read_reg(uint8_t reg, uint16_t *value) {
    uint8_t buf[2];
    if (ek_bsp_i2c_write(EK_POWER_I2C_ADDR, &reg, 1u) != 0) return -1;
    if (ek_bsp_i2c_read(EK_POWER_I2C_ADDR, buf, 2u) != 0) return -1;
    *value = (uint16_t)(((uint16_t)buf[0] << 8) | buf[1]);
    return 0;
}

int ek_power_init(void) { return write_reg(REG_CONFIG, EK_POWER_CONFIG); }

void ek_power_read(ek_power_reading_t *out) {
    uint16_t shunt_raw = 0, bus_raw = 0;
    out->sensor = EK_SENSOR_KIND;
    out->bus_uv = 0;
    out->current_ua = 0;
    out->power_uw = 0;
    if (read_reg(REG_SHUNT, &shunt_raw) != 0 || read_reg(REG_BUS, &bus_raw) != 0) {
        out->status = EK_POWER_SENSOR_ERROR;
        return;
    }
    /* nV / mΩ = µA */
    int32_t current_ua = shunt_nv((int16_t)shunt_raw) / (int32_t)EK_POWER_SHUNT_MOHM;
    uint32_t volts_uv = bus_uv(bus_raw);
    uint32_t magnitude = (uint32_t)(current_ua < 0 ? -current_ua : current_ua);
    out->status = EK_POWER_OK;
    out->bus_uv = volts_uv;
    out->current_ua = current_ua;
    /* µV x µA / 1e6 = µW, in 64 bits to avoid overflow */
    out->power_uw = (uint32_t)(((uint64_t)volts_uv * magnitude) / 1000000u);
}

#else /* no sensor */

int ek_power_init(void) { return -1; }

void ek_power_read(ek_power_reading_t *out) {
    out->status = EK_POWER_NO_SENSOR;
    out->sensor = EK_SENSOR_NONE;
    out->bus_uv = 0;
    out->current_ua = 0;
    out->power_uw = 0;
}

#endif
