/* Power readings for the POWER request: an INA219 or INA226 current/voltage monitor on
 * the board's I2C bus, selected at build time with EK_POWER_SENSOR (0 none, 1 INA219,
 * 2 INA226), EK_POWER_I2C_ADDR (7-bit, default 0x40) and EK_POWER_SHUNT_MOHM (shunt
 * resistor in milliohms, default 100).
 *
 * The driver talks to the sensor only through the two I2C functions below, which a
 * board's BSP provides when it has a sensor (plain blocking transfers, 0 = ACKed).
 */
#ifndef EK_POWER_H
#define EK_POWER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef EK_POWER_SENSOR
#define EK_POWER_SENSOR 0
#endif

typedef struct {
    uint8_t status;      /* EK_POWER_OK / EK_POWER_NO_SENSOR / EK_POWER_SENSOR_ERROR */
    uint8_t sensor;      /* EK_SENSOR_* */
    uint32_t bus_uv;     /* bus (load) voltage, microvolts */
    int32_t current_ua;  /* current through the shunt, microamps */
    uint32_t power_uw;   /* bus voltage x current, microwatts */
} ek_power_reading_t;

/* I2C HAL the BSP provides on boards with a sensor: write len bytes / read len bytes
 * to/from the 7-bit address; return 0 when the device acknowledged. */
int ek_bsp_i2c_write(uint8_t addr7, const uint8_t *data, uint32_t len);
int ek_bsp_i2c_read(uint8_t addr7, uint8_t *data, uint32_t len);

/* Configures the sensor (once, at boot); returns 0 when it answered. */
int ek_power_init(void);
/* Fills *out with one reading (status EK_POWER_NO_SENSOR when built without one). */
void ek_power_read(ek_power_reading_t *out);

#ifdef __cplusplus
}
#endif

#endif /* EK_POWER_H */
