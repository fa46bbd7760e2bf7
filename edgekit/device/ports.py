"""Finding a board's serial port by its USB VID:PID (boards/*.toml [serial] usb_vid_pid).

Never a guess: exactly one matching port is used; none or several is a DeviceError that
lists every port seen, so the user can pick one with --port.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

from edgekit.errors import DeviceError


def describe(port: ListPortInfo) -> str:
    ids = f"{port.vid:04X}:{port.pid:04X}" if port.vid is not None else "no USB id"
    text = port.description if port.description and port.description != "n/a" else ""
    return f"{port.device} ({ids}{', ' + text if text else ''})"


def find_port(board: Any, ports: Sequence[ListPortInfo] | None = None) -> str:
    """The device path of the one serial port whose USB id is one of the board's."""
    wanted = tuple(board.serial.usb_ids) if board.serial is not None else ()
    if not wanted:
        raise DeviceError(f"board {board.name} has no USB id to find its port by: pass --port")
    seen = list(list_ports.comports()) if ports is None else list(ports)
    matches = [p for p in seen if (p.vid, p.pid) in wanted]
    if len(matches) == 1:
        return matches[0].device
    ids = ", ".join(f"{v:04X}:{p:04X}" for v, p in wanted)
    listing = "; ".join(describe(p) for p in seen) or "none"
    if not matches:
        raise DeviceError(
            f"no {board.name} found (USB id {ids}); serial ports seen: {listing}. "
            "Connect the board or pass --port"
        )
    raise DeviceError(
        f"{len(matches)} ports look like a {board.name} (USB id {ids}): "
        f"{'; '.join(describe(p) for p in matches)}. Pass --port to choose one"
    )
