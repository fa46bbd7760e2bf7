"""The one interface every kind of target implements (docs/targets.md).

A Target is bound to one board. It knows the project files its build needs besides the
generated model (BSP, board header, linker script, build files), whether and how
edgekit compiles and sizes the ELF, how the firmware gets onto the device, and where
the device answers (a pyserial URL or port for DeviceLink).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import edgekit.targets.gcc as gcc
from edgekit.boards.model import Board
from edgekit.errors import BoardError


@dataclass(frozen=True)
class Flashed:
    """What `Target.flash` did: where the device now is, and how to greet it."""

    port: str  # the pyserial URL (QEMU) or the upload port
    link_url: str | None  # where DeviceLink may greet the new firmware now, if anywhere
    elf: Path | None = None
    pid: int | None = None  # the process that now runs the firmware (QEMU), if any


class Target(ABC):
    """How edgekit builds, flashes and reaches one board."""

    kind: ClassVar[str]  # the board TOML's `target` value
    needs_hardware: ClassVar[bool] = True  # False: the "device" runs on this machine (QEMU, host)

    def __init__(self, board: Board) -> None:
        self.board = board

    # --- project files -------------------------------------------------------------

    @abstractmethod
    def write_files(self, project: Path, defines: Mapping[str, str]) -> list[Path]:
        """Write the files the build needs besides the model and the kernels: the BSP
        and its board header in src/bsp, linker scripts, the build files (platformio.ini,
        ek_build.json, a local PlatformIO platform). `defines` are extra C macros of every
        source. Returns the files written."""

    # --- compiling and sizes -------------------------------------------------------

    @abstractmethod
    def can_build(self) -> bool:
        """True when edgekit itself can compile this board's ELF on this machine."""

    def build_elf(self, project: Path, *, jobs: int = 2, timeout_s: float = 300.0) -> Path:
        """Compile and link the project; the ELF. BoardError when only a vendor tool can."""
        raise BoardError(f"board {self.board.name!r}: only its vendor tool builds the firmware "
                         f"(target {self.kind})")

    def elf_size(self, elf: Path) -> dict[str, int]:
        """text/rodata/data/bss/flash/ram bytes of an ELF this target built."""
        return gcc.elf_size(elf)

    def firmware(self, project: Path, rebuild: bool = False) -> Path:
        """The project's ELF, compiled now when missing or older than src/."""
        elf = gcc.default_elf(project)
        sources = list((project / "src").rglob("*.[ch]"))
        newest = max((p.stat().st_mtime for p in sources), default=0.0)
        if rebuild or not elf.is_file() or elf.stat().st_mtime < newest:
            elf = self.build_elf(project)
        return elf

    # --- flashing and the device link ----------------------------------------------

    @abstractmethod
    def flash(self, project: Path, port: str | None = None) -> Flashed:
        """Put the project's firmware on the device (`port`: where to upload, if asked)."""

    def stop(self, project: Path) -> bool:
        """Stop what `flash` left running for the project; True if something was."""
        del project
        return False

    def open_link(self, project: Path) -> AbstractContextManager[str]:
        """Where the device of the project answers, for the duration of the block."""
        return self._located(project)

    @contextmanager
    def _located(self, project: Path) -> Iterator[str]:
        del project
        from edgekit.device.ports import find_port  # real boards: by USB VID:PID

        yield find_port(self.board)
