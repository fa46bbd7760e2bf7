"""A connected device for one build directory: what flash/profile/validate share.

`read_build(dir)` reads the build's report.json; `connect(build, port)` yields a
DeviceLink that has greeted the device and checked its model hash. Where the device
is: --port when given (any pyserial URL), else the board's target opens the link
(edgekit/targets/: a QEMU, the host firmware as a process, or the port found by USB id).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.boards.model import Board
from edgekit.device.link import DeviceLink
from edgekit.errors import EdgekitError

REPORT = "report.json"


@dataclass(frozen=True)
class BuildInfo:
    dir: Path
    report: dict[str, Any]
    board: Board

    @property
    def model_hash(self) -> str:
        return str(self.report.get("model_sha256", ""))

    @property
    def model_path(self) -> Path:
        """The int8 .tflite the firmware was generated from (the reference's input)."""
        for key in ("model_int8", "model"):
            if self.report.get(key) and Path(self.report[key]).is_file():
                return Path(self.report[key])
        if (self.dir / "model.tflite").is_file():
            return self.dir / "model.tflite"
        raise EdgekitError(f"the model of {self.dir} is gone ({self.report.get('model_int8')})")

    @property
    def ops(self) -> list[dict[str, Any]]:
        return list(self.report.get("ops", []))


def read_build(build_dir: str | Path | None, board_name: str | None = None) -> BuildInfo:
    from edgekit.boards import load_board, with_framework

    path = Path(build_dir or ".")
    try:
        report = json.loads((path / REPORT).read_text())
    except FileNotFoundError:
        raise EdgekitError(f"{path} has no {REPORT}: run `edgekit build MODEL --board B -o {path}`"
                           " first") from None
    except ValueError as exc:
        raise EdgekitError(f"{path / REPORT} is corrupt: {exc}") from None
    name = board_name or report.get("board")
    if not name:
        raise EdgekitError(f"{path / REPORT} names no board: pass --board")
    if board_name and report.get("board") and board_name != report["board"]:
        raise EdgekitError(f"{path} was built for {report['board']}, not {board_name}")
    board = load_board(name)
    if report.get("target") == "platformio-arduino" and board.target != "platformio-arduino":
        board = with_framework(board, "arduino")  # built with --framework arduino
    return BuildInfo(path, report, board)


def firmware_elf(build: BuildInfo, rebuild: bool = False) -> Path:
    """The build's compiled firmware, compiled now when missing or older than src/."""
    from edgekit.targets import target_for

    return target_for(build.board).firmware(build.dir, rebuild)


@contextmanager
def device_url(build: BuildInfo, port: str | None = None) -> Iterator[str]:
    """Where the build's device answers (--port, else what its target says), for the
    duration of the block."""
    if port:
        yield port
        return
    from edgekit.targets import target_for

    with target_for(build.board).open_link(build.dir) as url:
        yield url


@contextmanager
def connect(build: BuildInfo, port: str | None = None, **link_options: Any) -> Iterator[DeviceLink]:
    """A DeviceLink to the build's device, greeted, running the build's model."""
    baud = build.board.serial.baud if build.board.serial is not None else 115200
    with device_url(build, port) as url, DeviceLink.open(url, baudrate=baud, **link_options) as link:
        link.hello(expected_hash=build.model_hash or None)
        yield link

