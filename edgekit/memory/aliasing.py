"""Tensors that need no buffer of their own: views of another tensor's bytes.

* RESHAPE / SQUEEZE / EXPAND_DIMS: the output is the input's bytes (codegen emits no copy).
* CONCATENATION whose output slices are contiguous (every dimension before the axis is 1)
  and whose inputs carry the output's quantization: each input is written by its producer
  straight into its slice, so the concatenation itself disappears.

Aliases do not depend on the op order, so they are decided once per graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from edgekit.ir import Graph, Op, Tensor

RESHAPE_OPS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})


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


def _same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (np.array_equal(a.quant.scale, b.quant.scale)
            and np.array_equal(a.quant.zero_point, b.quant.zero_point))


def concat_slices(graph: Graph, op: Op) -> list[tuple[int, int]] | None:
    """[(input tensor, byte offset in the output)] if op is an eliminable concatenation."""
    if op.type != "CONCATENATION" or len(op.outputs) != 1:
        return None
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        return None
    out = graph.tensors[op.outputs[0]]
    rank = len(out.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank or any(d != 1 for d in out.shape[:axis]):
        return None
    if len(set(op.inputs)) != len(op.inputs) or any(i < 0 for i in op.inputs):
        return None
    slices, offset = [], 0
    for i in op.inputs:
        t = graph.tensors[i]
        if t.is_constant or t.dtype != out.dtype or not _same_quant(t, out):
            return None
        slices.append((i, offset))
        offset += t.nbytes
    return slices if offset == out.nbytes else None


def find_aliases(graph: Graph, alignment: int = 1, concat: bool = True) -> AliasGroups:
    """Alias groups of the graph. Concat slices must start at `alignment` multiples."""
    groups = AliasGroups()
    outputs = set(graph.outputs)
    for op in graph.ops:
        if op.type in RESHAPE_OPS and op.inputs and len(op.outputs) == 1:
            src, dst = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
            if not src.is_constant and src.nbytes == dst.nbytes and op.outputs[0] not in groups.base:
                root, off = groups.root(src.index)
                groups.attach(dst.index, root, off, "reshape")
        elif concat and (slices := concat_slices(graph, op)) is not None:
            out = op.outputs[0]
            ok = all(groups.is_whole(graph, t) and groups.root(t)[0] != out
                     and off % alignment == 0 and t not in outputs for t, off in slices)
            roots = [groups.root(t)[0] for t, _ in slices]
            if ok and len(set(roots)) == len(roots):
                for t, off in slices:
                    groups.attach(t, out, off, "concat")
    return groups
