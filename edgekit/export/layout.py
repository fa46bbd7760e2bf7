"""Where the exported models' arenas go: regions (linker sections) and sharing.

Two steps, both on the models' checked memory plans (edgekit.memory):

1. `split_model`: a model's arena stays whole in one section, or, when it is given two and
   does not fit in the faster one, is planned again over both (edgekit.memory.split: the
   buffers with the most traffic per byte in the fast one) and cut where the regions meet.
2. `share`: per section, every model's part gets a base in one buffer. Parts of models
   that may run at the same time (`concurrent` groups) never overlap; the others all start
   at 0, so the buffer is as large as the largest part, not the sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edgekit.boards.model import MemorySection
from edgekit.errors import UsageError
from edgekit.pipeline import ArenaLayout, CompiledModel


@dataclass(frozen=True)
class Part:
    """Bytes [start, end) of one model's arena, placed in `section`."""

    section: MemorySection
    start: int
    end: int

    @property
    def bytes(self) -> int:
        return self.end - self.start


@dataclass
class ModelArena:
    name: str
    arena_bytes: int
    parts: list[Part]
    bases: dict[str, int] = field(default_factory=dict)  # section name -> base in its buffer

    def part_at(self, offset: int) -> Part:
        for part in self.parts:
            if part.start <= offset < part.end:
                return part
        for part in self.parts:  # a zero-byte tensor just past the end of a part
            if offset == part.end:
                return part
        raise AssertionError(f"{self.name}: offset {offset} lies in no part of the arena")


@dataclass(frozen=True)
class Buffer:
    section: MemorySection
    symbol: str
    bytes: int
    users: tuple[str, ...]


def _round_up(n: int, alignment: int) -> int:
    return -(-n // alignment) * alignment


def split_model(name: str, model: CompiledModel, sections: Sequence[MemorySection],
                alignment: int) -> tuple[ModelArena, ArenaLayout]:
    """The model's arena in one section, or over two (edgekit.memory.split): the faster
    section takes the buffers with the most traffic per byte that fit in it."""
    whole = model.plan.arena_bytes
    ranked = sorted(sections, key=lambda s: s.speed)  # stable: equal speeds keep the order given
    fast = ranked[0]
    if len(ranked) == 1 or whole <= fast.bytes:
        return ModelArena(name, whole, [Part(fast, 0, whole)]), model.plan
    from edgekit.memory.split import plan_two_regions

    slow = ranked[1]
    lowered = model.lowered
    split = plan_two_regions(model.graph, fast.bytes, alignment, lambda op: lowered[op.index].scratch_bytes,
                             contracts=lambda op: lowered[op.index].memory)
    arena = split.plan.arena_bytes
    parts = [Part(fast, 0, split.fast_top), Part(slow, split.fast_top, arena)]
    return ModelArena(name, arena, [p for p in parts if p.bytes]), ArenaLayout(split.plan)


def _concurrent(a: str, b: str, groups: Sequence[frozenset[str]]) -> bool:
    return any(a in g and b in g for g in groups)


def share(models: list[ModelArena], groups: Sequence[frozenset[str]], alignment: int,
          symbol: str) -> list[Buffer]:
    """Give every part a base in its section's buffer; the buffers, one per section used."""
    by_section: dict[str, list[tuple[ModelArena, Part]]] = {}
    sections: dict[str, MemorySection] = {}
    for model in models:
        for part in model.parts:
            by_section.setdefault(part.section.name, []).append((model, part))
            sections[part.section.name] = part.section
    buffers = []
    for section_name, entries in by_section.items():
        placed: list[tuple[str, int, int]] = []  # model, base, end
        for model, part in sorted(entries, key=lambda e: -e[1].bytes):
            base = 0
            for other, start, end in sorted(placed, key=lambda p: p[1]):
                if _concurrent(model.name, other, groups) and base < end and start < base + part.bytes:
                    base = _round_up(end, alignment)
            model.bases[section_name] = base
            placed.append((model.name, base, base + part.bytes))
        size = _round_up(max((end for _, _, end in placed), default=0), alignment) or alignment
        name = symbol if len(by_section) == 1 else f"{symbol}_{section_name}"
        buffers.append(Buffer(sections[section_name], name, size, tuple(m.name for m, _ in entries)))
    return buffers


def check_capacity(buffers: list[Buffer]) -> None:
    for buffer in buffers:
        if buffer.bytes > buffer.section.bytes:
            raise UsageError(f"section {buffer.section.name!r} is too small: the arena of "
                             f"{', '.join(buffer.users)} needs {buffer.bytes} bytes there, it has "
                             f"{buffer.section.bytes}")


def pointer(model: ModelArena, buffers: list[Buffer], offset: int) -> str:
    """The C expression of `model`'s arena offset: its part's buffer plus its base."""
    part = model.part_at(offset)
    buffer = next(b for b in buffers if b.section.name == part.section.name)
    return f"({buffer.symbol} + {model.bases[part.section.name] + offset - part.start})"
