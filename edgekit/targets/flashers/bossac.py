"""`upload = "bossac"`: Arduino's boot loader on the Nano 33 BLE (kept at 0x0-0xFFFF), over
its USB CDC port 2341:005A, with bossac (Debian package bossa-cli) and Arduino's own
command line: `--port=P -U -i -e -w FILE.bin -R`. The binary starts at 0x10000, where the
ELF is linked. A board still running an Arduino sketch (its [serial] USB id) is asked
for the boot loader with a 1200-baud open; after a bare-metal image (no USB stack) the
user double-taps reset. The boot loader does not name the chip: no chip check."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edgekit.errors import DeviceError
from edgekit.targets.base import Flashed
from edgekit.targets.flashers import usb
from edgekit.targets.flashers.program import Step, flash_with

TOUCH_WAIT_S = 8.0
HINT = "Double-tap the Nano's reset button to start its boot loader"


def touch_1200(tty: str) -> None:
    """Open and close the port at 1200 baud: Arduino's signal to reboot into its boot loader."""
    import serial

    try:
        serial.Serial(tty, 1200).close()
    except (serial.SerialException, OSError) as exc:
        raise DeviceError(f"cannot open {tty} for the 1200-baud boot loader request: {exc}") from None


def steps(flasher: Any, image: Path, device: usb.UsbDevice) -> list[Step]:
    del flasher
    if device.tty is None:
        raise DeviceError(f"the boot loader {device.describe()} has no serial port: is the "
                          "cdc_acm driver loaded?")
    return [Step("programming", ("bossac", f"--port={Path(device.tty).name}", "-U", "-i", "-e",
                                 "-w", str(image), "-R"))]


def flash(board: Any, elf: Path, port: str | None) -> Flashed:
    sketch_ids = usb.parse_ids(board.serial.usb_vid_pid) if board.serial is not None else set()

    def find_boot_loader(wanted: Sequence[str], what: str, hint: str) -> usb.UsbDevice:
        ids = usb.parse_ids(wanted)
        devices = usb.list_usb_devices()
        running = [d for d in devices if (d.vid, d.pid) in sketch_ids - ids and d.tty]
        if not any((d.vid, d.pid) in ids for d in devices) and len(running) == 1:
            touch_1200(str(running[0].tty))
            deadline = time.monotonic() + TOUCH_WAIT_S
            while time.monotonic() < deadline:
                time.sleep(0.25)
                devices = usb.list_usb_devices()
                if any((d.vid, d.pid) in ids for d in devices):
                    break
        return usb.find_one(wanted, what, devices, hint=hint)

    return flash_with(board, elf, port, program="bossac", image_format="bin",
                      probe_name="Arduino boot loader", hint=HINT, steps=steps,
                      find_probe=find_boot_loader)
