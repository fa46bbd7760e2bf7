"""The memory planner's data: buffers, allowed overlaps, trick sets and the plan itself.

One module that every part of edgekit/memory reads (problem building, planners, checker,
reports) and that imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edgekit.ir import Graph


@dataclass(frozen=True)
class Buffer:
    """One block of arena memory. A planner sees only size, first_use and last_use."""

    name: str
    size: int
    first_use: int
    last_use: int
    tensors: tuple[int, ...] = ()  # activation tensors stored here
    op: int | None = None  # scratch buffers: the op (graph index) that owns it

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first_use <= other.last_use and other.first_use <= self.last_use


@dataclass(frozen=True)
class OverlapRule:
    """Buffers `lower` (an op's output) and `upper` (its dying input) may share bytes
    when offset[upper] - offset[lower] >= min_delta, although both are alive at the op."""

    lower: int
    upper: int
    min_delta: int


@dataclass(frozen=True)
class Overlap:
    """A declared overlap in a plan, with what its proof needs."""

    op: int  # graph op index
    kind: str  # "in_place" or "rows"
    input: int  # tensor index
    output: int  # tensor index
    min_delta: int  # smallest in_off - out_off that the proof accepts (0 for in_place)
    geometry: dict[str, int] | None = None  # RowGeometry fields for "rows"

    def to_dict(self) -> dict:
        return {"op": self.op, "kind": self.kind, "input": self.input, "output": self.output,
                "min_delta": self.min_delta, "geometry": self.geometry}


@dataclass(frozen=True)
class Tricks:
    """Which memory-saving transformations a problem may use."""

    aliases: bool = True  # reshape views and concatenation slices
    in_place: bool = True  # element-wise ops over a dying input
    rows: bool = True  # conv/pool output overlapping its dying input's tail
    # Kernel contract the overlap proof relies on: 0 = whole output rows (the default
    # contract), P > 0 = blocks of at most P output pixels (see overlap.py).
    pixel_block: int = 0

    @property
    def name(self) -> str:
        if not self.aliases and not self.in_place and not self.rows:
            return "plain"
        names = [n for n in ("aliases", "in_place", "rows") if getattr(self, n)]
        if self.rows and self.pixel_block:
            names[-1] = f"pixels{self.pixel_block}"
        return "+".join(names)


PLAIN = Tricks(False, False, False)
NO_OVERLAP = Tricks(True, True, False)
ALL = Tricks(True, True, True)


@dataclass
class PlanBuffer:
    """A planned block of the arena (for reports): planner buffer with its offset."""

    name: str
    offset: int
    size: int
    first_use: int  # step in op_order
    last_use: int
    tensors: tuple[int, ...]
    op: int | None = None  # scratch: owning op index

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "offset": self.offset, "size": self.size,
                "first_use": self.first_use, "last_use": self.last_use,
                "tensors": list(self.tensors), "scratch_of_op": self.op}


@dataclass
class MemoryPlan:
    """Where every activation and scratch buffer lives in the one static arena.

    Codegen contract: run ops in `op_order` (graph op indices); tensor t is at
    arena + offsets[t]; op i's scratch at arena + scratch_offsets[i] (scratch_sizes[i]
    bytes); ops whose output is an alias (RESHAPE-like, eliminated CONCATENATION: see
    `eliminated_ops`) emit no code. The arena is `arena_bytes` long, aligned to `alignment`.
    """

    arena_bytes: int
    alignment: int
    op_order: list[int]
    offsets: dict[int, int]  # every activation tensor -> byte offset in the arena
    aliases: dict[int, tuple[int, int]]  # tensor -> (base tensor, byte offset in base)
    scratch_offsets: dict[int, int]  # op index -> byte offset
    scratch_sizes: dict[int, int]  # op index -> bytes
    overlaps: list[Overlap]  # allowed overlaps, each proved by check_plan
    planner: str  # e.g. "search" with tricks "aliases+in_place+rows"
    tricks: str
    lower_bound: int  # liveness lower bound (graph order, no tricks)
    buffers: list[PlanBuffer] = field(default_factory=list)
    planner_bytes: dict[str, int] = field(default_factory=dict)  # "planner/tricks" -> arena
    eliminated_ops: list[int] = field(default_factory=list)
    # Kernel contract behind "rows" overlaps: 0 = whole output rows, P = pixel blocks of P.
    pixel_block: int = 0

    def ordered_ops(self, graph: Graph) -> list:
        return [graph.ops[i] for i in self.op_order]

    def to_dict(self) -> dict[str, Any]:
        return {
            "arena_bytes": self.arena_bytes, "alignment": self.alignment,
            "lower_bound_bytes": self.lower_bound, "planner": self.planner,
            "tricks": self.tricks, "op_order": self.op_order,
            "offsets": {str(t): o for t, o in sorted(self.offsets.items())},
            "aliases": {str(t): list(v) for t, v in sorted(self.aliases.items())},
            "scratch": {str(i): {"offset": self.scratch_offsets[i], "size": self.scratch_sizes[i]}
                        for i in sorted(self.scratch_offsets)},
            "overlaps": [o.to_dict() for o in self.overlaps],
            "eliminated_ops": self.eliminated_ops, "pixel_block": self.pixel_block,
            "planners": dict(self.planner_bytes),
            "buffers": [b.to_dict() for b in self.buffers],
        }
