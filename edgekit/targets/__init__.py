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
from edgekit.targets.stm32 import Stm32Target

TARGET_CLASSES: dict[str, type[Target]] = {
    cls.kind: cls for cls in (HostTarget, QemuTarget, GccBareMetalTarget, Stm32Target,
                              PlatformioArduinoTarget)
}


def target_for(board: Board, kind: str | None = None) -> Target:
    """The Target that builds, flashes and reaches `board`: its TOML's `target`, or `kind`
    when a build chose another one the board allows (`build --framework arduino`)."""
    if kind is not None and kind != board.target:
        if kind == PlatformioArduinoTarget.kind and board.platformio is not None:
            return PlatformioArduinoTarget(board)
        raise BoardError(f"board {board.name!r} cannot be built as {kind!r} (its target: "
                         f"{board.target!r})")
    try:
        cls = TARGET_CLASSES[board.target]
    except KeyError:
        raise BoardError(f"board {board.name!r}: unknown target {board.target!r} "
                         f"(known: {', '.join(TARGET_CLASSES)})") from None
    return cls(board)


__all__ = ["Flashed", "GccBareMetalTarget", "HostTarget", "PlatformioArduinoTarget",
           "QemuTarget", "Stm32Target", "TARGET_CLASSES", "Target", "target_for"]
