"""Targets: how edgekit builds, flashes and reaches a board (docs/targets.md).

`target_for(board)` returns the Target of the board's `target` (its TOML). Every
host / emulated / real-board difference lives behind that interface (targets/base.py);
nothing else in edgekit switches on the kind of board.
"""

from __future__ import annotations

from edgekit.boards.model import Board
from edgekit.errors import BoardError
from edgekit.targets.base import Flashed, Target
from edgekit.targets.gcc_bare_metal import GccBareMetalTarget
from edgekit.targets.host import HostTarget
from edgekit.targets.platformio_arduino import PlatformioArduinoTarget
from edgekit.targets.qemu import QemuTarget

TARGET_CLASSES: dict[str, type[Target]] = {
    cls.kind: cls for cls in (HostTarget, QemuTarget, GccBareMetalTarget, PlatformioArduinoTarget)
}


def target_for(board: Board) -> Target:
    """The Target that builds, flashes and reaches `board`."""
    try:
        cls = TARGET_CLASSES[board.target]
    except KeyError:
        raise BoardError(f"board {board.name!r}: unknown target {board.target!r} "
                         f"(known: {', '.join(TARGET_CLASSES)})") from None
    return cls(board)


__all__ = ["Flashed", "GccBareMetalTarget", "HostTarget", "PlatformioArduinoTarget",
           "QemuTarget", "TARGET_CLASSES", "Target", "target_for"]
