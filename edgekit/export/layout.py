"""Where the exported models' arenas go: regions (linker sections) and sharing.

Two steps, both on the models' checked memory plans (edgekit.memory), which stay as planned:

1. `split_model`: a model's arena [0, A) either stays whole in one section or is cut at an
   offset no tensor or scratch buffer crosses. The cut and the side that goes to the faster
   section are the ones that put the most op traffic (bytes read and written over the
   schedule) in the faster section while both parts fit.
2. `share`: per section, every model's part gets a base in one buffer. Parts of models
   that may run at the same time (`concurrent` groups) never overlap; the others all start
   at 0, so the buffer is as large as the largest part, not the sum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edgekit.boards.model import MemorySection
from edgekit.errors import UsageError
from edgekit.ir import Graph


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


def intervals(graph: Graph, offsets: dict[int, int], scratch: dict[int, tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, traffic) of every activation tensor and scratch buffer in the plan.
    Traffic: the tensor's bytes times the ops that read or write it (scratch: its op)."""
    touches: dict[int, int] = {}
    for op in graph.ops:
        for t in [*op.inputs, *op.outputs]:
            if t >= 0:
                touches[t] = touches.get(t, 0) + 1
    found = []
    for t, offset in offsets.items():
        nbytes = graph.tensors[t].nbytes
        found.append((offset, offset + nbytes, nbytes * touches.get(t, 1)))
    for offset, size in scratch.values():
        found.append((offset, offset + size, size))
    return found


def split_model(name: str, arena_bytes: int, spans: list[tuple[int, int, int]],
                sections: Sequence[MemorySection], alignment: int) -> ModelArena:
    """One section: the whole arena there. Two: the best cut (module docstring)."""
    if len(sections) == 1:
        return ModelArena(name, arena_bytes, [Part(sections[0], 0, arena_bytes)])
    fast, slow = sorted(sections, key=lambda s: s.speed)
    cuts = sorted({0, arena_bytes, *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    best: tuple[int, int, list[Part]] | None = None
    for cut in cuts:
        if cut % alignment or any(s < cut < e for s, e, _ in spans):
            continue
        low = sum(t for s, _, t in spans if s < cut)  # no span crosses the cut
        high = sum(t for s, _, t in spans) - low
        for fast_low in (True, False):
            fast_bytes = cut if fast_low else arena_bytes - cut
            slow_bytes = arena_bytes - fast_bytes
            if fast_bytes > fast.bytes or slow_bytes > slow.bytes:
                continue
            traffic = low if fast_low else high
            parts = ([Part(fast, 0, cut), Part(slow, cut, arena_bytes)] if fast_low
                     else [Part(fast, cut, arena_bytes), Part(slow, 0, cut)])
            key = (traffic, -fast_bytes)
            if best is None or key > best[:2]:
                best = (traffic, -fast_bytes, [p for p in parts if p.bytes > 0] or parts[:1])
    if best is None:
        raise UsageError(f"{name}: its {arena_bytes}-byte arena fits no split between sections "
                         f"{fast.name!r} ({fast.bytes} bytes) and {slow.name!r} ({slow.bytes} bytes)")
    return ModelArena(name, arena_bytes, best[2])


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
