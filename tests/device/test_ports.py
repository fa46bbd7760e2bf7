"""Port discovery by USB VID:PID: exactly one match is used, never a guess."""

from __future__ import annotations

import pytest
from serial.tools.list_ports_common import ListPortInfo

from edgekit.boards import load_board
from edgekit.device.ports import find_port
from edgekit.errors import DeviceError


def port(device: str, vid: int | None = None, pid: int | None = None, text: str = "") -> ListPortInfo:
    info = ListPortInfo(device, skip_link_detection=True)
    info.vid, info.pid, info.description = vid, pid, text or "n/a"
    return info


def test_the_one_matching_port_is_chosen() -> None:
    board = load_board("esp32")  # CP210x 10C4:EA60 or CH340 1A86:7523
    ports = [port("/dev/ttyS0"), port("/dev/ttyACM0", 0x0483, 0x374B, "STLink"),
             port("/dev/ttyUSB0", 0x1A86, 0x7523, "USB Serial")]
    assert find_port(board, ports) == "/dev/ttyUSB0"


def test_no_match_lists_what_was_seen() -> None:
    board = load_board("nucleo_f446re")
    with pytest.raises(DeviceError) as err:
        find_port(board, [port("/dev/ttyUSB0", 0x1A86, 0x7523, "USB Serial"), port("/dev/ttyS0")])
    msg = err.value.message
    assert "no nucleo_f446re found (USB id 0483:374B, 0483:374E)" in msg
    assert "/dev/ttyUSB0 (1A86:7523, USB Serial)" in msg and "/dev/ttyS0 (no USB id)" in msg
    assert "--port" in msg


def test_several_matches_are_refused() -> None:
    board = load_board("esp32")
    with pytest.raises(DeviceError, match="2 ports look like a esp32.*--port"):
        find_port(board, [port("/dev/ttyUSB0", 0x10C4, 0xEA60), port("/dev/ttyUSB1", 0x1A86, 0x7523)])


def test_emulated_board_has_no_usb_id() -> None:
    with pytest.raises(DeviceError, match="no USB id"):
        find_port(load_board("qemu-cortex-m4"), [])
