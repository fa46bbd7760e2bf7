"""A connected device for one build directory: what flash/profile/validate share.

`read_build(dir)` reads the build's report.json; `connect(build, port)` yields a
DeviceLink that has greeted the device and checked its model hash. Where the device
is: --port when given (any pyserial URL); for an emulated board, the QEMU that
`edgekit flash` left running (its state file), else a QEMU started for this command
only; for the host board, the host firmware started as a process; for a real board,
the port found by USB VID:PID.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.device.link import DeviceLink
from edgekit.errors import BoardError, BuildError, DeviceError

REPORT = "report.json"


@dataclass(frozen=True)
class BuildInfo:
    dir: Path
    report: dict[str, Any]
    board: Any  # edgekit.boards.Board

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
        raise BuildError(f"the model of {self.dir} is gone ({self.report.get('model_int8')})")

    @property
    def ops(self) -> list[dict[str, Any]]:
        return list(self.report.get("ops", []))


def read_build(build_dir: str | Path | None, board_name: str | None = None) -> BuildInfo:
    from edgekit.boards import load_board

    path = Path(build_dir or ".")
    try:
        report = json.loads((path / REPORT).read_text())
    except FileNotFoundError:
        raise BuildError(f"{path} has no {REPORT}: run `edgekit build MODEL --board B -o {path}`"
                           " first") from None
    except ValueError as exc:
        raise BuildError(f"{path / REPORT} is corrupt: {exc}") from None
    name = board_name or report.get("board")
    if not name:
        raise BuildError(f"{path / REPORT} names no board: pass --board")
    if board_name and report.get("board") and board_name != report["board"]:
        raise BoardError(f"{path} was built for {report['board']}, not {board_name}")
    return BuildInfo(path, report, load_board(name))


def firmware_elf(build: BuildInfo, rebuild: bool = False) -> Path:
    """The build's compiled firmware, compiled now when missing or older than src/."""
    from edgekit.device.toolchain import compile_firmware

    elf = Path(build.report["elf"]) if build.report.get("elf") else None
    sources = list((build.dir / "src").rglob("*.[ch]"))
    newest = max((p.stat().st_mtime for p in sources), default=0.0)
    if rebuild or elf is None or not elf.is_file() or elf.stat().st_mtime < newest:
        elf = compile_firmware(build.dir, build.board)
    return elf


@contextmanager
def _host_process(exe: Path) -> Iterator[str]:
    """The host firmware as a process serving one TCP client; yields its socket URL."""
    proc = subprocess.Popen([str(exe)], env={**os.environ, "EK_SERIAL": "tcp:0"},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "ek-serial: tcp 127.0.0.1:PORT"
        match = re.search(r"tcp 127\.0\.0\.1:(\d+)", line)
        if not match or time.monotonic() > deadline:
            raise DeviceError(f"the host firmware did not open its port: {line.strip()!r}")
        yield f"socket://127.0.0.1:{match.group(1)}"
    finally:
        proc.kill()
        proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


@contextmanager
def device_url(build: BuildInfo, port: str | None = None) -> Iterator[str]:
    """Where the build's device answers, for the duration of the block."""
    board = build.board
    if port:
        yield port
        return
    if board.kind == "emulated":
        from edgekit.device.qemu import QemuProcess, qemu_machine, read_background

        state = read_background(build.dir)
        if state is not None:
            yield str(state["url"])
            return
        with QemuProcess(qemu_machine(board), firmware_elf(build)) as qemu:
            try:
                yield qemu.url
            except DeviceError:
                qemu.check_alive()  # QEMU's death explains it better, when that is it
                raise
        return
    if board.kind == "host":
        with _host_process(firmware_elf(build)) as url:
            yield url
        return
    from edgekit.device.ports import find_port

    yield find_port(board)


@contextmanager
def connect(build: BuildInfo, port: str | None = None, **link_options: Any) -> Iterator[DeviceLink]:
    """A DeviceLink to the build's device, greeted, running the build's model."""
    baud = int(build.report.get("baud") or (build.board.serial.baud if build.board.serial is not None else 115200))
    with device_url(build, port) as url, DeviceLink.open(url, baudrate=baud, **link_options) as link:
        link.hello(expected_hash=build.model_hash or None, expected_build_id=build.report.get("build_id"))
        yield link

