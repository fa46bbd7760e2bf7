"""Fixes to the Arduino projects found by reading them (issue 16), each checked by
compiling or running the part that matters: the vendor frameworks themselves cannot be
downloaded here, so the Arduino BSP runs on the host against stub framework headers.
"""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

import pytest
from serial.tools.list_ports_common import ListPortInfo

from edgekit.boards import load_board
from edgekit.build import build
from edgekit.codegen.render import render
from edgekit.device.ports import find_port
from edgekit.resources import data_dir
from edgekit.targets import target_for
from edgekit.targets.bsp import bsp_family
from edgekit.targets.platformio_arduino import PlatformioArduinoTarget

ARDUINO_BSP = data_dir("firmware") / "bsp" / "arduino" / "ek_bsp_arduino.cpp"


def bsp_board_header(board) -> str:
    """ek_bsp_board.h of the board's Arduino build."""
    target = target_for(board, PlatformioArduinoTarget.kind)
    return render(bsp_family("arduino").header, {"board": target.board, **target.header_context()})

# Just enough of Arduino.h / FreeRTOS / ESP-IDF for ek_bsp_arduino.cpp, counting calls.
STUB_ARDUINO_H = r"""
#pragma once
#include <stdint.h>
#include <stddef.h>
extern int stub_yields, stub_delays, stub_log_off;
extern uint32_t stub_clock;
struct StubSerial {
    void begin(unsigned long) {}
    explicit operator bool() const { return true; }
    int available() { return 0; }
    int read() { return -1; }
    size_t write(uint8_t) { return 1; }
    void flush() {}
};
extern StubSerial Serial;
struct StubEsp { uint32_t getCycleCount() { return stub_clock += 1000; } };
extern StubEsp ESP;
inline unsigned long millis() { return stub_clock / 1000; }
inline unsigned long micros() { return stub_clock += 10; }
inline void yield() { ++stub_yields; }
inline void delay(unsigned long) {}
"""
STUB_FREERTOS_H = "#pragma once\n"
STUB_TASK_H = "#pragma once\ninline void vTaskDelay(unsigned) { extern int stub_delays; ++stub_delays; }\n"
STUB_LOG_H = ("#pragma once\n#define ESP_LOG_NONE 0\n"
              "inline void esp_log_level_set(const char *, int) { extern int stub_log_off; stub_log_off = 1; }\n")
STUB_MAIN = r"""
#include <stdio.h>
#include "Arduino.h"
/* Not ek_bsp.h: on Arduino it renames main(). */
extern "C" void ek_bsp_init(void);
extern "C" int ek_bsp_getc(uint32_t timeout_ticks);
int stub_yields, stub_delays, stub_log_off;
uint32_t stub_clock;
StubSerial Serial;
StubEsp ESP;
extern "C" int ek_app_main(void) { return 0; }
int main() {
    ek_bsp_init();
    int c = ek_bsp_getc(100000u);
    printf("%d %d %d %d\n", c, stub_yields, stub_delays, stub_log_off);
    return 0;
}
"""


def run_arduino_bsp(tmp_path: Path, board_name: str, extra_define: str = "") -> list[int]:
    """Compile the Arduino BSP for `board_name` on the host with the stubs, wait for a byte
    that never comes; (getc result, yield() calls, vTaskDelay calls, ESP-IDF log off)."""
    (tmp_path / "freertos").mkdir()
    for name, text in (("Arduino.h", STUB_ARDUINO_H), ("freertos/FreeRTOS.h", STUB_FREERTOS_H),
                       ("freertos/task.h", STUB_TASK_H), ("esp_log.h", STUB_LOG_H),
                       ("main.cpp", STUB_MAIN),
                       ("ek_bsp_board.h", bsp_board_header(load_board(board_name)))):
        (tmp_path / name).write_text(text)
    exe = tmp_path / "bsp"
    bsp = data_dir("firmware") / "bsp"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", f"-I{tmp_path}", f"-I{bsp}",
           f"-I{bsp / 'cortexm'}", *([extra_define] if extra_define else []),
           str(tmp_path / "main.cpp"), str(ARDUINO_BSP), "-o", str(exe)]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=30)
    return [int(x) for x in out.stdout.split()]


def test_esp32c3_waits_in_freertos_not_on_yield(tmp_path: Path) -> None:
    timeout, yields, delays, log_off = run_arduino_bsp(tmp_path, "esp32c3", "-DARDUINO_ARCH_ESP32")
    assert timeout == -1 and yields == 0 and delays > 0 and log_off == 1


def test_other_cores_keep_yield(tmp_path: Path) -> None:
    timeout, yields, delays, log_off = run_arduino_bsp(tmp_path, "rpi_pico")
    assert timeout == -1 and yields > 0 and delays == 0 and log_off == 0


def test_rpi_pico_ticks_are_its_1mhz_timer_in_us() -> None:
    header = bsp_board_header(load_board("rpi_pico"))
    assert "#define EK_BSP_TIMER_RP2040_TIMER 1" in header
    assert '#define EK_BSP_TICK_UNIT "us"' in header and "#define EK_BSP_TICK_HZ 1000000u" in header
    assert "SYSTICK" not in header


def port(device: str, vid: int, pid: int) -> ListPortInfo:
    info = ListPortInfo(device)
    info.vid, info.pid = vid, pid
    return info


@pytest.mark.parametrize("board", ["esp32s3", "esp32c3"])
def test_esp32_discovery_skips_the_native_usb_port(board: str) -> None:
    ports = [port("/dev/ttyACM0", 0x303A, 0x1001), port("/dev/ttyUSB0", 0x10C4, 0xEA60)]
    assert find_port(load_board(board), ports) == "/dev/ttyUSB0"


def test_teensy41_weights_land_in_progmem(mlperf_models, tmp_path: Path) -> None:
    build(mlperf_models["kws"], "teensy41", tmp_path, framework="arduino")
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "platformio.ini")
    assert "-DEK_WEIGHTS_IN_PROGMEM=1" in ini["env:teensy41"]["build_flags"]
    obj = tmp_path / "model_data.o"
    subprocess.run(["arm-none-eabi-gcc", *load_board("teensy41").cflags, "-O2", "-std=c99",
                    "-Wall", "-Wextra", "-Werror", "-DEK_WEIGHTS_IN_PROGMEM=1",
                    f"-I{tmp_path / 'src'}", f"-I{tmp_path / 'src' / 'kernels'}",
                    "-c", str(tmp_path / "src" / "model_data.c"), "-o", str(obj)], check=True)
    sections = subprocess.run(["arm-none-eabi-readelf", "-S", "-W", str(obj)], check=True,
                              capture_output=True, text=True).stdout
    progmem = [line for line in sections.splitlines() if " .progmem " in line]
    assert progmem, sections
    fields = progmem[0].split(".progmem", 1)[1].split()  # type, address, offset, size, ...
    size = int(fields[3], 16)
    weights = build_weights(tmp_path)
    assert size >= weights * 0.99  # (nearly) all weight bytes, none left in .rodata for DTCM


def build_weights(project: Path) -> int:
    import json

    return int(json.loads((project / "report.json").read_text())["weights_bytes"])


def test_nrf52840dk_arduino_links_for_1mb_and_256kb(mlperf_models, tmp_path: Path) -> None:
    result = build(mlperf_models["kws"], "nrf52840dk", tmp_path, framework="arduino")
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "platformio.ini")
    assert ini["env:nrf52840dk"]["board_build.ldscript"] == "nrf52840_xxaa_ek.ld"
    script = (tmp_path / "nrf52840_xxaa_ek.ld").read_text()
    assert "LENGTH = 0x100000" in script and "LENGTH = 0x40000" in script
    assert result.report["size_source"] == "estimate"
    assert result.report["size_note"].startswith("estimate: stated, not measured here")
