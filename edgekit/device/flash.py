"""`edgekit flash`: put a build's firmware on its board, through the board's target.

The target does the flashing (edgekit/targets/: QEMU in the background for an emulated
board, `pio run -t upload` for an Arduino board; the host has nothing to flash). When the
device can be greeted at once, it is, to check it runs this build's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.device.session import build_target, connect, read_build
from edgekit.errors import DeviceError, EdgekitError, UsageError


@dataclass(frozen=True)
class FlashResult:
    board: str
    kind: str  # "emulated" | "real"
    port: str  # pyserial URL (QEMU) or the upload port
    elf: str | None = None
    pid: int | None = None
    model_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def flash_build(build_dir: str | Path | None = None, *, board: str | None = None,
                port: str | None = None, check: bool = True, emulate: bool = False) -> FlashResult:
    """`emulate`: run the image built for a real board in QEMU's model of its chip."""
    build = read_build(build_dir, board)
    target = build_target(build)
    if emulate and port:
        raise UsageError("--emulate starts QEMU: --port does not apply")
    flashed = target.emulate(build.dir) if emulate else target.flash(build.dir, port)
    model = None
    # An --mlperf firmware speaks the MLPerf Tiny DUT protocol, not edgekit's: no HELLO to check
    # (`edgekit mlperf` asks it for its model instead).
    if check and flashed.link_url is not None and not build.report.get("mlperf"):
        try:
            with connect(build, flashed.link_url, timeout=5.0) as link:
                hello = link.hello_info
                if hello is not None:
                    check_identity(build, hello.board, flashed.link_url)
                    model = hello.model_hash
        except DeviceError as exc:
            target.stop(build.dir)
            if target.needs_hardware:  # the image went onto a board that does not answer
                raise DeviceError(f"{build.board.name} was flashed, but the new firmware did "
                                  f"not answer as expected on {flashed.link_url}: {exc}") from None
            raise
        except EdgekitError:
            target.stop(build.dir)
            raise
    return FlashResult(build.board.name, "emulated" if emulate else build.board.kind, flashed.port,
                       None if flashed.elf is None else str(flashed.elf), flashed.pid, model)


def check_identity(build: Any, board: str, url: str) -> None:
    """The greeted firmware must be for this board (connect has checked the model hash and
    the build id)."""
    if board.lower() != build.board.name.lower():
        raise DeviceError(f"the device on {url} reports board {board!r}, not this build's "
                          f"{build.board.name!r}: the image did not take")


def stop(build_dir: str | Path | None = None) -> bool:
    """Stop what `flash` left running for the build (a QEMU); True if something was."""
    try:
        build = read_build(build_dir)
    except EdgekitError:
        return False  # no build here: nothing of ours runs
    return build_target(build).stop(build.dir)
