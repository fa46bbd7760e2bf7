"""`upload = "teensy-cli"`: PJRC's HalfKay boot loader (press the Teensy's button) and
teensy_loader_cli (Debian package teensy-loader-cli) with the Intel HEX image:
`--mcu=TEENSY41 -v FILE.hex`. No -w: the boot loader is already found on USB (16C0:0478),
so the tool must not wait for one. HalfKay does not name the chip: no chip check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgekit.targets.base import Flashed
from edgekit.targets.flashers.program import Step, flash_with
from edgekit.targets.flashers.usb import UsbDevice


def steps(flasher: Any, image: Path, device: UsbDevice) -> list[Step]:
    del flasher, device  # teensy_loader_cli opens the one HalfKay device itself
    return [Step("programming", ("teensy_loader_cli", "--mcu=TEENSY41", "-v", str(image)))]


def flash(board: Any, elf: Path, port: str | None) -> Flashed:
    return flash_with(board, elf, port, program="teensy_loader_cli", image_format="hex",
                      probe_name="Teensy boot loader (HalfKay)",
                      hint="Press the Teensy's program button", steps=steps)
