"""The board catalog: boards/<name>.toml read into frozen, validated `Board` objects.

Boards are data (../shared/docs/DESIGN.md; how to add one: docs/targets.md). This module only reads and checks them;
every fact about a board lives in its TOML file, nowhere in the code.
"""

from __future__ import annotations

from edgekit.boards.catalog import board_names, list_boards, load_board, with_framework
from edgekit.boards.model import (
    ARCHES,
    KERNEL_VARIANTS,
    TIMERS,
    UPLOAD_METHODS,
    Board,
    MemoryRegion,
    PlatformIO,
    Power,
    Qemu,
    Serial,
)

__all__ = [
    "ARCHES",
    "KERNEL_VARIANTS",
    "TIMERS",
    "UPLOAD_METHODS",
    "Board",
    "MemoryRegion",
    "PlatformIO",
    "Power",
    "Qemu",
    "Serial",
    "board_names",
    "list_boards",
    "with_framework",
    "load_board",
]
