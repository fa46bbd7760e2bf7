"""`edgekit flash` for a bare-metal build on a real board: image, probe, tool, HELLO.

1. The one probe or boot loader with the board's [flasher] USB id (usb.py).
2. The ELF in the form the tool takes: ELF (OpenOCD), UF2 (picotool, the RPI-RP2
   drive), Intel HEX (teensy_loader_cli), raw binary (bossac).
3. The tool's steps (tools.py), each with a timeout; the chip check before any write.
4. The new image's first HELLO on the board's serial port must name the board, the
   model hash and the build id of this build (DeviceLink with its own timeouts).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.errors import DeviceError, EdgekitError
from edgekit.flashers import tools, uf2drive, usb
from edgekit.flashers.run import require_tool, run_tool

TOOL_TIMEOUT_S = 120.0
HELLO_TIMEOUT_S = 10.0
OBJCOPY_FORMATS = {"hex": "ihex", "bin": "binary"}
_PROBE_HINTS = {
    "openocd": "Connect the board's debug USB port",
    "picotool": "Hold BOOTSEL while plugging the Pico in",
    "teensy": "Press the Teensy's program button",
    "bossac": "Double-tap the Nano's reset button to start its boot loader",
}


@dataclass(frozen=True)
class Flashed:
    board: str
    tool: str
    probe: str  # what was found on USB ("1366:1015 (J-Link, serial 683...)")
    image: str
    port: str | None  # the serial port HELLO came from
    model_sha256: str | None
    build_id: str | None


def make_image(elf: Path, fmt: str) -> Path:
    """The ELF as `fmt` (elf, hex, bin, uf2) beside it."""
    if fmt == "elf":
        return elf
    out = elf.with_suffix("." + fmt)
    if fmt == "uf2":
        from edgekit.boot.rp2040 import elf_to_uf2

        return elf_to_uf2(elf, out)
    objcopy = require_tool("arm-none-eabi-objcopy")
    proc = subprocess.run([objcopy, "-O", OBJCOPY_FORMATS[fmt], str(elf), str(out)],
                          capture_output=True, text=True, check=False, timeout=60)
    if proc.returncode != 0:
        raise EdgekitError(f"converting {elf.name} to {fmt} failed: {proc.stderr.strip()}")
    return out


def _serial_ids(board: Any) -> tuple[str, ...]:
    flasher = board.flasher
    if flasher.serial_usb_vid_pid:
        return tuple(flasher.serial_usb_vid_pid)
    return tuple(board.serial.usb_vid_pid) if board.serial is not None else ()


def serial_port(board: Any, port: str | None) -> str:
    """The port the bare-metal firmware talks on: --port, else the one USB id match."""
    if port:
        return port
    ids = _serial_ids(board)
    if not ids:
        raise DeviceError(f"{board.name} has no serial USB id to find its port by: pass --port")
    device = usb.find_one(ids, f"{board.name} serial port", hint="Pass --port")
    if device.tty is None:
        raise DeviceError(f"{device.describe()} has no serial port (tty) for {board.name}: "
                          "pass --port")
    return device.tty


def confirm_hello(board: Any, port: str, report: dict[str, Any],
                  timeout_s: float = HELLO_TIMEOUT_S) -> Any:
    """The new firmware's HELLO: it must be this board, this model, this build."""
    from edgekit.device.link import DeviceLink

    baud = board.serial.baud if board.serial is not None else 115200
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while True:
        try:
            with DeviceLink.open(port, baudrate=baud, timeout=1.0, retries=1) as link:
                hello = link.hello()
            break
        except DeviceError as exc:
            last = str(exc)
            if time.monotonic() >= deadline:
                raise DeviceError(f"{board.name} was flashed, but no HELLO came on {port} within "
                                  f"{timeout_s:g} s ({last})") from None
            time.sleep(0.5)  # the board may still be resetting, its port re-enumerating
    expected = {"board": board.name, "model hash": str(report.get("model_sha256", "")),
                "build id": str(report.get("build_id", ""))}
    got = {"board": hello.board, "model hash": hello.model_hash, "build id": hello.build_id}
    for key, want in expected.items():
        if want and got[key].lower() != want.lower():
            raise DeviceError(f"after flashing, the device on {port} reports {key} {got[key]!r}, "
                              f"not this build's {want!r}: the image did not take")
    return hello


TOUCH_WAIT_S = 8.0


def touch_1200(tty: str) -> None:
    """Open and close the port at 1200 baud: Arduino's signal to reboot into its boot loader."""
    import serial

    try:
        serial.Serial(tty, 1200).close()
    except (serial.SerialException, OSError) as exc:
        raise DeviceError(f"cannot open {tty} for the 1200-baud boot loader request: {exc}") from None


def boot_loader_device(board: Any, what: str) -> usb.UsbDevice:
    """The board's boot loader on USB. For bossac boards running an Arduino sketch (the
    board's [serial] USB id), ask the sketch to reboot into it first."""
    flasher = board.flasher
    hint = _PROBE_HINTS.get(flasher.tool, "")
    devices = usb.list_usb_devices()
    wanted = usb.parse_ids(flasher.probe_usb_vid_pid)
    sketch_ids = usb.parse_ids(board.serial.usb_vid_pid) - wanted if board.serial else set()
    running = [d for d in devices if (d.vid, d.pid) in sketch_ids and d.tty]
    if flasher.tool == "bossac" and not any((d.vid, d.pid) in wanted for d in devices) \
            and len(running) == 1:
        touch_1200(str(running[0].tty))
        deadline = time.monotonic() + TOUCH_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.25)
            devices = usb.list_usb_devices()
            if any((d.vid, d.pid) in wanted for d in devices):
                break
    return usb.find_one(flasher.probe_usb_vid_pid, what, devices, hint=hint)


def flash_image(board: Any, elf: Path, report: dict[str, Any], *, port: str | None = None,
                check_hello: bool = True, timeout_s: float = TOOL_TIMEOUT_S) -> Flashed:
    flasher = board.flasher
    if flasher is None:
        raise EdgekitError(f"board {board.name} has no [flasher] table: it is flashed through "
                           "PlatformIO (--framework arduino)")
    tool = flasher.tool
    if tool == "picotool" and shutil.which("picotool") is None and uf2drive.find_uf2_drives():
        tool = "uf2"  # no picotool, but the ROM's drive is mounted: copy the UF2 onto it
    image = make_image(Path(elf), tools.IMAGE_FORMAT[tool])
    if tool == "uf2":
        target = uf2drive.copy_to_drive(image, board.name)
        probe = f"RPI-RP2 drive at {target.parent}"
    else:
        require_tool(tools.PROGRAM[tool])
        device = boot_loader_device(board, _probe_name(flasher))
        probe = device.describe()
        for step in tools.COMMANDS[tool](flasher, image, device):
            output = run_tool(step.argv, what=f"{step.what} {board.name}", timeout_s=timeout_s)
            if step.check_chip:
                tools.check_chip(output, flasher.chip, step.argv[0], board.name)
    if not check_hello:
        return Flashed(board.name, tool, probe, str(image), None, None, None)
    url = serial_port(board, port)
    hello = confirm_hello(board, url, report)
    return Flashed(board.name, tool, probe, str(image), url, hello.model_hash,
                   hello.build_id)


def _probe_name(flasher: Any) -> str:
    return {"openocd": "debug probe", "picotool": "RP2040 in BOOTSEL mode",
            "teensy": "Teensy boot loader (HalfKay)",
            "bossac": "Arduino boot loader"}.get(flasher.tool, "probe")
