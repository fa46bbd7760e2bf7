/* BSP for real boards built with PlatformIO's Arduino framework (ESP32/ESP32-S3/ESP32-C3,
 * STM32 Nucleo/Discovery, nRF52840, RP2040, Teensy 4.1).
 *
 * The framework provides the USB/UART serial port (Serial) and owns main(), so the
 * generated main.c is renamed ek_app_main (ek_bsp.h, EK_BSP_ARDUINO) and called from
 * setup(). Ticks are CPU cycles where the core has a cycle counter (DWT CYCCNT on
 * Cortex-M3/M4/M7, CCOUNT on Xtensa, the ESP32-C3's performance counter); on the RP2040
 * (Cortex-M0+, no DWT) micros(), which its Arduino cores read from the 1 MHz TIMER.
 *
 * ESP32: setup() runs in the Arduino loop task and never returns here, so waiting for a
 * byte must block in FreeRTOS (vTaskDelay), not spin on yield(): yield() only lets tasks
 * of the loop task's priority run, the IDLE task starves, and on the single-core
 * ESP32-C3 the task watchdog fires and prints its report on the protocol's UART.
 *
 * NOT compiled here: it needs the vendor PlatformIO platform and framework, which only
 * a machine with internet access can download. The Cortex-M cycle counter part is in
 * ek_dwt.h, which the tests compile with arm-none-eabi-gcc.
 */
#include <Arduino.h>
#if EK_POWER_SENSOR
#include <Wire.h>
#endif

#include "ek_bsp.h"

#if defined(ARDUINO_ARCH_ESP32)
#include <esp_log.h>
#include <freertos/FreeRTOS.h>
#include <freertos/task.h>
#endif

#if defined(EK_BSP_TIMER_DWT)
#include "ek_dwt.h"
#endif

extern "C" int ek_app_main(void);

void setup()
{
    ek_app_main(); /* serves the protocol forever */
}

void loop() {}

extern "C" {

void ek_bsp_init(void)
{
#if defined(ARDUINO_ARCH_ESP32)
    esp_log_level_set("*", ESP_LOG_NONE); /* keep ESP-IDF's log off the protocol's UART */
#endif
    Serial.begin(EK_BSP_BAUD);
    /* Native-USB boards: give the host up to 2 s to open the port. */
    const unsigned long start = millis();
    while (!Serial && millis() - start < 2000u) {
    }
#if defined(EK_BSP_TIMER_DWT)
    ek_dwt_enable();
#endif
#if EK_POWER_SENSOR
    Wire.begin();
#endif
}

void ek_bsp_putc(uint8_t c) { Serial.write(c); }

void ek_bsp_flush(void) { Serial.flush(); }

uint32_t ek_bsp_ticks(void)
{
#if defined(EK_BSP_TIMER_DWT)
    return ek_dwt_cycles();
#elif defined(EK_BSP_TIMER_CCOUNT) || defined(EK_BSP_TIMER_MPCCR)
    return (uint32_t)ESP.getCycleCount();
#elif defined(EK_BSP_TIMER_RP2040_TIMER)
    return (uint32_t)micros(); /* the RP2040's 1 MHz TIMER */
#else
#error "ek_bsp_board.h names no timer this BSP has"
#endif
}

int ek_bsp_getc(uint32_t timeout_ticks)
{
    const uint32_t start = ek_bsp_ticks();
    for (;;) {
        if (Serial.available() > 0) {
            return Serial.read();
        }
        if (timeout_ticks != EK_BSP_WAIT_FOREVER && ek_bsp_ticks() - start >= timeout_ticks) {
            return -1;
        }
#if defined(ARDUINO_ARCH_ESP32)
        vTaskDelay(1); /* one tick: IDLE runs, the task watchdog is fed */
#else
        yield(); /* keep the framework's USB stack alive */
#endif
    }
}

void ek_bsp_exit(int code)
{
    (void)code;
    Serial.flush();
    for (;;) {
        delay(1000);
    }
}

#if EK_POWER_SENSOR
int ek_bsp_i2c_write(uint8_t addr7, const uint8_t *data, uint32_t len)
{
    Wire.beginTransmission(addr7);
    Wire.write(data, len);
    return Wire.endTransmission() == 0 ? 0 : -1;
}

int ek_bsp_i2c_read(uint8_t addr7, uint8_t *data, uint32_t len)
{
    if (Wire.requestFrom((int)addr7, (int)len) != (int)len) {
        return -1;
    }
    for (uint32_t i = 0; i < len; ++i) {
        data[i] = (uint8_t)Wire.read();
    }
    return 0;
}
#endif

} /* extern "C" */
