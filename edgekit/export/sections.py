"""The linker sections of an export: the board's [memory] table, or two defaults (its RAM
for the arena, its flash for the weights) when the board has none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edgekit.boards import Board
from edgekit.boards.model import MemorySection
from edgekit.errors import UsageError


def board_sections(board: Board) -> list[MemorySection]:
    if board.memory is not None:
        return list(board.memory.sections)
    return [MemorySection("ram", "", board.usable_ram_bytes, "ram"),
            MemorySection("flash", "", board.flash_bytes, "flash")]


def _section(board: Board, name: str, what: str) -> MemorySection:
    sections = board_sections(board)
    for section in sections:
        if section.name == name:
            return section
    raise UsageError(f"unknown section {name!r} for {what} on {board.name} (its sections: "
                     f"{', '.join(s.name for s in sections)}; [memory] in boards/{board.name}.toml)")


def _default(board: Board, kind: str) -> str:
    memory = board.memory
    chosen = (memory.arena if kind == "ram" else memory.weights) if memory is not None else None
    if chosen is not None:
        return chosen
    return next(s.name for s in board_sections(board) if s.kind == kind)


def resolve_sections(board: Board, arena: Sequence[str], weights: str | None,
                     weights_to_ram: bool) -> tuple[list[MemorySection], MemorySection]:
    """The arena's section(s) (two: split, faster first) and the weights' section."""
    if len(arena) > 2:
        raise UsageError("--arena-section takes one section, or two to split the arena between them")
    names = list(arena) or [_default(board, "ram")]
    if len(names) == 2 and names[0] == names[1]:
        raise UsageError(f"--arena-section names {names[0]!r} twice")
    arena_sections = [_section(board, n, "the arena") for n in names]
    for section in arena_sections:
        if section.kind != "ram":
            raise UsageError(f"section {section.name!r} is {section.kind}: the arena needs a ram section")
    if weights is None:
        weights = arena_sections[0].name if weights_to_ram else _default(board, "flash")
    weights_section = _section(board, weights, "the weights")
    if weights_to_ram and weights_section.kind != "ram":
        raise UsageError(f"--weights-to-ram copies the weights into RAM: section {weights!r} is flash")
    return arena_sections, weights_section


@dataclass(frozen=True)
class WeightsPlacement:
    section: MemorySection
    in_ram: bool

    def attribute(self, name: str) -> str | None:
        if self.in_ram:  # startup code copies .data from flash before main()
            return f'__attribute__((section(".data.{name}_weights")))'
        if self.section.section:
            return f'__attribute__((section("{self.section.section}")))'
        return None

    @property
    def note(self) -> str:
        if self.in_ram:
            return (f"In RAM ({self.section.name}): in .data, which the startup code copies from flash "
                    "before main(), so kernels read them without flash wait states.")
        return f"In section {self.section.section} ({self.section.name})."


def weights_placement(section: MemorySection, weights_bytes: int, weights_to_ram: bool,
                      arena_bytes: int = 0) -> WeightsPlacement:
    """`arena_bytes`: what the arena already takes in the same section."""
    if weights_bytes + arena_bytes > section.bytes:
        beside = f" beside {arena_bytes} bytes of arena" if arena_bytes else ""
        raise UsageError(f"section {section.name!r} is too small: the weights need {weights_bytes} bytes "
                         f"there{beside}, it has {section.bytes}")
    return WeightsPlacement(section, weights_to_ram or section.kind == "ram")
