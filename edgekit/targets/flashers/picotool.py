"""`upload = "picotool"`: the RP2040 in its ROM's USB boot mode (BOOTSEL held at plug-in).

picotool (Debian package picotool): `info -d` must say RP2040, then `load -v -x UF2`
(verify, then run), both on the one device by `--bus/--address`. edgekit writes the UF2
itself (edgekit/boot/rp2040.py). Without picotool, the UF2 is copied onto the mounted
RPI-RP2 drive instead (uf2drive.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from edgekit.targets.base import Flashed
from edgekit.targets.flashers import uf2drive
from edgekit.targets.flashers.program import Step, flash_with, make_image, serial_port
from edgekit.targets.flashers.usb import UsbDevice


def steps(flasher: Any, image: Path, device: UsbDevice) -> list[Step]:
    where: list[str] = []
    if device.bus is not None and device.address is not None:
        where = ["--bus", str(device.bus), "--address", str(device.address)]
    return [
        Step("reading the device", ("picotool", "info", "-d", *where),
             check_chip=flasher.chip is not None),
        Step("programming", ("picotool", "load", "-v", "-x", str(image), *where)),
    ]


def flash(board: Any, elf: Path, port: str | None) -> Flashed:
    if shutil.which("picotool") is None and uf2drive.find_uf2_drives():
        uf2drive.copy_to_drive(make_image(Path(elf), "uf2"), board.name)
        link = serial_port(board, port)
        return Flashed(port=link, link_url=link, elf=Path(elf))
    return flash_with(board, elf, port, program="picotool", image_format="uf2",
                      probe_name="RP2040 in BOOTSEL mode",
                      hint="Hold BOOTSEL while plugging the Pico in", steps=steps)
