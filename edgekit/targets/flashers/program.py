"""The sequence every bare-metal flasher follows (each tool's module supplies the steps).

1. The tool's program is on PATH; the one probe or boot loader with the board's
   [flasher] USB id is on USB (usb.py), else one line listing what was seen.
2. The ELF in the form the tool takes: ELF, UF2, Intel HEX or a raw binary.
3. The tool's steps, each with a timeout; a step marked `check_chip` must name the
   board's chip (`[flasher] chip`) in its output, and comes before any write.
4. The serial port the new firmware answers on: --port, or the one USB id match of
   `[flasher] serial_usb_vid_pid` (else `[serial]`); edgekit flash greets it there.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.errors import BoardError, DeviceError, ToolError
from edgekit.targets.base import Flashed
from edgekit.targets.flashers import usb
from edgekit.targets.flashers.run import require_tool, run_tool

TOOL_TIMEOUT_S = 120.0
OBJCOPY_FORMATS = {"hex": "ihex", "bin": "binary"}


@dataclass(frozen=True)
class Step:
    what: str  # "probing the chip", "programming"
    argv: tuple[str, ...]
    check_chip: bool = False  # the output must name board.flasher.chip


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
        raise ToolError(f"converting {elf.name} to {fmt} failed: {proc.stderr.strip()}")
    return out


def flasher_of(board: Any) -> Any:
    if board.flasher is None:
        raise BoardError(f"board {board.name!r}: upload {board.upload!r} needs a [flasher] table "
                         "(probe USB ids) in its TOML")
    return board.flasher


def check_chip(output: str, chip: str, tool: str, board: str) -> None:
    """The tool's output must name the board's chip; else one line with what it said."""
    if chip.lower() in output.lower():
        return
    said = [line.strip() for line in output.splitlines()
            if any(k in line.lower() for k in ("flash", "type", "device", "nrf", "rp2", "stm32"))]
    raise DeviceError(f"wrong chip: {tool} does not report an {chip}, which {board} has "
                      f"(it said: {said[0] if said else 'nothing about the chip'}); "
                      "is the probe on the right board?")


def run_steps(board: Any, steps: Sequence[Step], timeout_s: float | None = None) -> None:
    timeout_s = TOOL_TIMEOUT_S if timeout_s is None else timeout_s
    for step in steps:
        output = run_tool(step.argv, what=f"{step.what} {board.name}", timeout_s=timeout_s)
        if step.check_chip:
            check_chip(output, flasher_of(board).chip, step.argv[0], board.name)


def serial_port(board: Any, port: str | None) -> str:
    """The port the bare-metal firmware talks on: --port, else the one USB id match."""
    if port:
        return port
    flasher = flasher_of(board)
    ids = tuple(flasher.serial_usb_vid_pid) or (
        tuple(board.serial.usb_vid_pid) if board.serial is not None else ())
    if not ids:
        raise DeviceError(f"{board.name} has no serial USB id to find its port by: pass --port")
    device = usb.find_one(ids, f"{board.name} serial port",
                          hint="Connect it (a 3.3 V USB-serial adapter on the UART pins) or "
                               "pass --port")
    if device.tty is None:
        raise DeviceError(f"{device.describe()} has no serial port (tty) for {board.name}: "
                          "pass --port")
    return device.tty


def flash_with(board: Any, elf: Path, port: str | None, *, program: str, image_format: str,
               probe_name: str, hint: str,
               steps: Callable[[Any, Path, usb.UsbDevice], Sequence[Step]],
               find_probe: Callable[..., usb.UsbDevice] | None = None) -> Flashed:
    """Steps 1-4 above for one tool; the Flashed whose link_url edgekit flash greets."""
    flasher = flasher_of(board)
    require_tool(program)
    find = find_probe or usb.find_one
    device = find(flasher.probe_usb_vid_pid, probe_name, hint=hint)
    image = make_image(Path(elf), image_format)
    run_steps(board, steps(flasher, image, device))
    link = serial_port(board, port)
    return Flashed(port=link, link_url=link, elf=Path(elf))
