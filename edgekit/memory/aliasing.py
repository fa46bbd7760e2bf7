"""Tensors that need no buffer of their own: views of another tensor's bytes.

Two promises of an op's memory contract (edgekit.memory.contract) make aliases:
* view_of: the output is that input's bytes (codegen emits no copy when they share them);
* parts: the output is its inputs end to end, so each input is written by its producer
  straight into its slice and the op itself disappears.

Aliases do not depend on the op order, so they are decided once per graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edgekit.ir import Graph, Op
from edgekit.memory.contract import ContractFn


@dataclass
class AliasGroups:
    """Union of tensors sharing memory: tensor -> (root tensor, byte offset in the root)."""

    base: dict[int, tuple[int, int]] = field(default_factory=dict)
    reason: dict[int, str] = field(default_factory=dict)  # aliased tensor -> "reshape"/"concat"

    def root(self, t: int) -> tuple[int, int]:
        return self.base.get(t, (t, 0))

    def members(self, root: int) -> list[tuple[int, int]]:
        return [(root, 0)] + [(t, off) for t, (r, off) in self.base.items() if r == root]

    def is_whole(self, graph: Graph, t: int) -> bool:
        """True when t is the root of its group or covers the root's bytes exactly."""
        root, off = self.root(t)
        return off == 0 and graph.tensors[t].nbytes == graph.tensors[root].nbytes

    def attach(self, t: int, root: int, offset: int, reason: str) -> None:
        """Put t's whole group inside `root`'s group, t starting at `offset`."""
        old_root, old_off = self.root(t)
        moved = self.members(old_root)
        for member, member_off in moved:
            self.base[member] = (root, offset - old_off + member_off)
            self.reason.setdefault(member, reason)
        self.reason[t] = reason

    def as_dict(self) -> dict[int, tuple[int, int]]:
        return dict(self.base)


def view_source(graph: Graph, op: Op, contracts: ContractFn) -> int | None:
    """The activation tensor whose bytes op's output is (a declared view of equal size)."""
    position = contracts(op).view_of
    if position is None or len(op.outputs) != 1 or not 0 <= position < len(op.inputs):
        return None
    src, dst = graph.tensors[op.inputs[position]], graph.tensors[op.outputs[0]]
    if op.inputs[position] < 0 or src.is_constant or src.nbytes != dst.nbytes:
        return None
    return src.index


def part_slices(graph: Graph, op: Op, contracts: ContractFn) -> list[tuple[int, int]] | None:
    """[(input tensor, byte offset in the output)] when the op's output is made of its inputs."""
    parts = contracts(op).parts
    if parts is None or len(op.outputs) != 1 or len(parts) != len(op.inputs):
        return None
    if len(set(op.inputs)) != len(op.inputs) or any(i < 0 for i in op.inputs):
        return None
    out = graph.tensors[op.outputs[0]]
    expected = 0
    for i, offset in zip(op.inputs, parts):  # contiguous, in order, covering the output
        t = graph.tensors[i]
        if t.is_constant or t.dtype != out.dtype or offset != expected:
            return None
        expected += t.nbytes
    return list(zip(op.inputs, parts)) if expected == out.nbytes else None


def find_aliases(graph: Graph, contracts: ContractFn, alignment: int = 1, concat: bool = True) -> AliasGroups:
    """Alias groups of the graph. Part slices must start at `alignment` multiples."""
    groups = AliasGroups()
    outputs = set(graph.outputs)
    for op in graph.ops:
        src = view_source(graph, op, contracts)
        if src is not None:
            if op.outputs[0] not in groups.base:
                root, off = groups.root(src)
                groups.attach(op.outputs[0], root, off, "reshape")
        elif concat and (slices := part_slices(graph, op, contracts)) is not None:
            out = op.outputs[0]
            ok = all(groups.is_whole(graph, t) and groups.root(t)[0] != out
                     and off % alignment == 0 and t not in outputs for t, off in slices)
            roots = [groups.root(t)[0] for t, _ in slices]
            if ok and len(set(roots)) == len(roots):
                for t, off in slices:
                    groups.attach(t, out, off, "concat")
    return groups
