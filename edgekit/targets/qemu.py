"""Emulated boards: the gcc bare-metal build, run in QEMU with the UART on TCP.

Flashing starts the ELF in a background QEMU (edgekit/targets/qemu_process.py) whose
state file in the project tells later commands its serial URL; without one, the link
starts a QEMU for the command only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

from edgekit.boards.model import Board, MemoryRegion, Qemu
from edgekit.errors import BoardError, DeviceError, EdgekitError
from edgekit.targets.base import Flashed
from edgekit.targets.gcc_bare_metal import GccBareMetalTarget
from edgekit.targets.qemu_process import (
    QemuMachine,
    QemuProcess,
    read_background,
    start_background,
    stop_background,
)

# The timers the QEMU BSPs read (firmware/bsp/cmsdk, riscv-virt; templates/bsp/qemu.h.j2).
QEMU_TIMERS = ("cmsdk-timer", "fpgaio-counter", "mcycle")


def qemu_table(board: Board) -> Qemu:
    if board.qemu is None:
        raise BoardError(f"board {board.name!r} is not an emulated board (it has no [qemu] table)")
    return board.qemu


def qemu_machine(board: Board) -> QemuMachine:
    """The QemuMachine of an emulated board (its TOML's [qemu] table)."""
    qemu = qemu_table(board)
    return QemuMachine(binary=qemu.binary, machine=qemu.machine, extra_args=tuple(qemu.args))


def _ratio(value: float) -> tuple[int, int]:
    frac = Fraction(value).limit_denominator(1000)
    return frac.numerator, frac.denominator


class QemuTarget(GccBareMetalTarget):
    kind = "qemu"
    needs_hardware = False

    def memory(self) -> tuple[MemoryRegion, MemoryRegion]:
        qemu = qemu_table(self.board)
        return qemu.code, qemu.ram

    def header_context(self) -> dict[str, Any]:
        board, qemu = self.board, qemu_table(self.board)
        if board.timer not in QEMU_TIMERS:
            raise BoardError(f"board {board.name!r}: the QEMU BSP has no {board.timer!r} timer")
        # -icount shift=0: one executed instruction per virtual ns.
        return {"tick_hz": round(1e9 / qemu.instructions_per_tick),
                "units_per_tick": _ratio(qemu.instructions_per_tick)}

    def linker_context(self) -> dict[str, Any]:
        qemu = qemu_table(self.board)
        if qemu.vtor != qemu.code.base:
            raise BoardError(f"board {self.board.name!r}: the vector table (VTOR 0x{qemu.vtor:x})"
                             " must start the code region")
        return super().linker_context()

    def description(self, defines: Mapping[str, str]) -> dict[str, Any]:
        desc = super().description(defines)
        desc["qemu"] = qemu_machine(self.board).base_command()
        return desc

    def flash(self, project: Path, port: str | None = None) -> Flashed:
        if port:
            raise EdgekitError(f"{self.board.name} is emulated: flash starts QEMU, --port "
                               "does not apply")
        elf = self.firmware(project)
        state = start_background(qemu_machine(self.board), elf, project, board=self.board.name)
        return Flashed(port=str(state["url"]), link_url=str(state["url"]), elf=elf,
                       pid=int(state["pid"]))

    def stop(self, project: Path) -> bool:
        return stop_background(project)

    def open_link(self, project: Path) -> AbstractContextManager[str]:
        return self._qemu_link(project)

    @contextmanager
    def _qemu_link(self, project: Path) -> Iterator[str]:
        state = read_background(project)
        if state is not None:  # the QEMU `edgekit flash` left running
            yield str(state["url"])
            return
        with QemuProcess(qemu_machine(self.board), self.firmware(project)) as qemu:
            try:
                yield qemu.url
            except DeviceError:
                qemu.check_alive()  # QEMU's death explains it better, when that is it
                raise
