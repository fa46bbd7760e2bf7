"""Command lines of the flasher programs, and what their output must say.

Each `*_commands` function returns the steps to run in order, as (what, argv) pairs;
a step whose output must name the board's chip is checked before anything is written.
Tool facts: OpenOCD 0.12 (`program FILE verify reset exit`, `adapter serial`, the nrf5
driver's "nRF52840-QIAA(build code: D0) 1024kB Flash" line), picotool 1.1 (`info -d`,
`load -v -x`, `--bus/--address`), teensy_loader_cli 2.2 (`--mcu=TEENSY41 -v`), bossac
1.9 (Arduino's `-U -i -e -w -R` for the Nano 33 BLE boot loader).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.errors import DeviceError
from edgekit.flashers.usb import UsbDevice

# OpenOCD interfaces that need SWD chosen explicitly (they also speak JTAG).
_SWD_SELECT = {"interface/jlink.cfg", "interface/cmsis-dap.cfg"}


@dataclass(frozen=True)
class Step:
    what: str  # "probing the chip", "programming"
    argv: tuple[str, ...]
    check_chip: bool = False  # the output must name board.flasher.chip


def openocd_commands(flasher: Any, image: Path, probe: UsbDevice) -> list[Step]:
    base = ["openocd", "-f", flasher.openocd_interface]
    if flasher.openocd_interface in _SWD_SELECT:
        base += ["-c", "transport select swd"]
    if probe.serial:
        base += ["-c", f"adapter serial {probe.serial}"]
    base += ["-f", flasher.openocd_target]
    return [
        Step("probing the chip", (*base, "-c", "init", "-c", "flash probe 0", "-c", "exit"),
             check_chip=flasher.chip is not None),
        Step("programming", (*base, "-c", f"program {image} verify reset exit")),
    ]


def picotool_commands(flasher: Any, image: Path, probe: UsbDevice) -> list[Step]:
    where: list[str] = []
    if probe.bus is not None and probe.address is not None:
        where = ["--bus", str(probe.bus), "--address", str(probe.address)]
    return [
        Step("reading the device", ("picotool", "info", "-d", *where),
             check_chip=flasher.chip is not None),
        Step("programming", ("picotool", "load", "-v", "-x", str(image), *where)),
    ]


def teensy_commands(flasher: Any, image: Path, probe: UsbDevice) -> list[Step]:
    del flasher, probe  # teensy_loader_cli opens the one HalfKay device itself
    return [Step("programming", ("teensy_loader_cli", "--mcu=TEENSY41", "-v", str(image)))]


def bossac_commands(flasher: Any, image: Path, probe: UsbDevice) -> list[Step]:
    del flasher
    if probe.tty is None:
        raise DeviceError(f"the boot loader {probe.describe()} has no serial port: is the "
                          "cdc_acm driver loaded?")
    port = Path(probe.tty).name
    return [Step("programming", ("bossac", f"--port={port}", "-U", "-i", "-e", "-w",
                                 str(image), "-R"))]


COMMANDS = {"openocd": openocd_commands, "picotool": picotool_commands,
            "teensy": teensy_commands, "bossac": bossac_commands}
# The program each tool runs (checked on PATH before the probe is looked for).
PROGRAM = {"openocd": "openocd", "picotool": "picotool", "teensy": "teensy_loader_cli",
           "bossac": "bossac"}
# The image each tool takes.
IMAGE_FORMAT = {"openocd": "elf", "picotool": "uf2", "uf2": "uf2", "teensy": "hex",
                "bossac": "bin"}


def check_chip(output: str, chip: str, tool: str, board: str) -> None:
    """The tool's output must name the board's chip; else one line with what it said."""
    if chip.lower() in output.lower():
        return
    said = [line.strip() for line in output.splitlines()
            if any(k in line.lower() for k in ("flash", "type", "device", "nrf", "rp2", "stm32"))]
    raise DeviceError(f"wrong chip: {tool} does not report an {chip}, which {board} has "
                      f"(it said: {said[0] if said else 'nothing about the chip'}); "
                      "is the probe on the right board?")
