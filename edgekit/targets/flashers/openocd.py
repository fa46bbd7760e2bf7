"""`upload = "openocd"`: OpenOCD (Debian package openocd) with the board's interface and
target scripts, e.g. the nRF52840 DK's J-Link OB: `-f interface/jlink.cfg -c "transport
select swd" -f target/nrf52.cfg`. First `flash probe 0`, whose output must name the chip
(OpenOCD 0.12's nrf5 driver: "nRF52840-QIAA(build code: D0) 1024kB Flash, 256kB RAM"),
then `program ELF verify reset exit`. Two probes of the same kind are told apart by
`adapter serial`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgekit.errors import BoardError
from edgekit.targets.base import Flashed
from edgekit.targets.flashers.program import Step, flash_with
from edgekit.targets.flashers.usb import UsbDevice

# Interfaces that also speak JTAG: SWD must be chosen (the nRF52 has only SWD).
_SWD_SELECT = {"interface/jlink.cfg", "interface/cmsis-dap.cfg"}


def steps(flasher: Any, image: Path, probe: UsbDevice) -> list[Step]:
    if flasher.openocd_interface is None or flasher.openocd_target is None:
        raise BoardError("upload 'openocd' needs [flasher] openocd_interface and openocd_target")
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


def flash(board: Any, elf: Path, port: str | None) -> Flashed:
    return flash_with(board, elf, port, program="openocd", image_format="elf",
                      probe_name="debug probe", hint="Connect the board's debug USB port",
                      steps=steps)
