"""From a graph and an op order to a planner's problem: buffers, plus allowed overlaps.

What may share memory is decided here (aliases, element-wise in place, rows overlap);
where things go is the planners' job; whether the result is safe is check.py's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from edgekit.ir import DTYPE_BYTES, Graph
from edgekit.memory.aliasing import AliasGroups, find_aliases
from edgekit.memory.contract import ContractFn
from edgekit.memory.liveness import ScratchFn, no_scratch, scratch_buffers, tensor_lifetimes
from edgekit.memory.overlap import min_rows_delta
from edgekit.memory.types import ALL, Buffer, Overlap, OverlapRule, Tricks


@dataclass
class Problem:
    order: list[int]
    buffers: list[Buffer]  # the planner's buffers (merged groups and scratch)
    rules: list[OverlapRule] = field(default_factory=list)
    tensor_place: dict[int, tuple[int, int]] = field(default_factory=dict)  # t -> (buffer, offset)
    scratch_of: dict[int, int] = field(default_factory=dict)  # op index -> buffer
    aliases: dict[int, tuple[int, int]] = field(default_factory=dict)  # t -> (root t, offset)
    overlaps: list[Overlap] = field(default_factory=list)


def build_problem(graph: Graph, order: Sequence[int], *, contracts: ContractFn, tricks: Tricks = ALL,
                  alignment: int = 1, scratch_bytes: ScratchFn = no_scratch,
                  groups: AliasGroups | None = None) -> Problem:
    """The planner's problem for one op order: what each op's contract lets share memory."""
    order = list(order)
    lifetimes = tensor_lifetimes(graph, order)
    if groups is None:
        groups = find_aliases(graph, contracts, alignment) if tricks.aliases else AliasGroups()
    outputs = set(graph.outputs)

    # One planner buffer per alias group (root tensor), lifetime = union of its members.
    roots = sorted({groups.root(t)[0] for t in lifetimes})
    members = {r: [(t, off) for t, off in groups.members(r) if t in lifetimes] for r in roots}
    buf_of_root = {r: i for i, r in enumerate(roots)}
    life = [[min(lifetimes[t][0] for t, _ in members[r]), max(lifetimes[t][1] for t, _ in members[r])]
            for r in roots]
    size = [max(off + graph.tensors[t].nbytes for t, off in members[r]) for r in roots]
    has_output = [any(t in outputs for t, _ in members[r]) for r in roots]
    parent = list(range(len(roots)))  # in-place merges of whole buffers

    def find(b: int) -> int:
        while parent[b] != b:
            b = parent[b]
        return b

    def buffer_of(t: int) -> int:
        return find(buf_of_root[groups.root(t)[0]])

    def whole(t: int) -> bool:
        return groups.is_whole(graph, t) and size[buffer_of(t)] == graph.tensors[t].nbytes

    overlaps: list[Overlap] = []
    rules: list[tuple[int, int, int]] = []  # (lower root buffer, upper root buffer, delta)
    for step, op_index in enumerate(order):
        op = graph.ops[op_index]
        if len(op.outputs) != 1 or op.outputs[0] not in lifetimes:
            continue
        y = op.outputs[0]
        if not whole(y) or life[buffer_of(y)][0] != step:
            continue
        yb = buffer_of(y)
        contract = contracts(op)
        in_place = {op.inputs[k] for k in contract.in_place if 0 <= k < len(op.inputs)}
        for x in dict.fromkeys(i for i in op.inputs if i in lifetimes):  # distinct, in order
            xb = buffer_of(x)
            dies_here = xb != yb and life[xb][1] == step and not has_output[xb] and whole(x)
            if not dies_here:
                continue
            tx, ty = graph.tensors[x], graph.tensors[y]
            if (tricks.in_place and x in in_place and tx.nbytes == ty.nbytes
                    and DTYPE_BYTES[tx.dtype] == DTYPE_BYTES[ty.dtype]):
                parent[yb] = xb  # y is written over x: one buffer
                life[xb] = [life[xb][0], max(life[xb][1], life[yb][1])]
                has_output[xb] = has_output[xb] or has_output[yb]
                overlaps.append(Overlap(op_index, "in_place", x, y, 0))
                break
            geo = contract.rows if x == op.inputs[0] else None
            if tricks.rows and geo is not None:
                delta = min_rows_delta(geo, tricks.pixel_block)
                if delta < ty.nbytes:  # otherwise "overlap" would be plain disjointness
                    rules.append((yb, xb, delta))
                    overlaps.append(Overlap(op_index, "rows", x, y, delta, geo.to_dict()))
                break

    # Renumber the surviving buffers densely.
    alive = sorted({find(b) for b in range(len(roots))})
    index = {b: i for i, b in enumerate(alive)}
    buffers: list[Buffer] = []
    for b in alive:
        tensors = tuple(t for r in roots if find(buf_of_root[r]) == b for t, _ in members[r])
        buffers.append(Buffer(graph.tensors[roots[b]].name, size[b], life[b][0], life[b][1], tensors))
    tensor_place = {t: (index[buffer_of(t)], groups.root(t)[1]) for t in lifetimes}
    problem = Problem(order, buffers, [OverlapRule(index[find(lo)], index[find(up)], d) for lo, up, d in rules],
                      tensor_place, {}, groups.as_dict(), overlaps)
    for scratch in scratch_buffers(graph, order, scratch_bytes):
        assert scratch.op is not None  # scratch buffers always belong to an op
        problem.scratch_of[scratch.op] = len(problem.buffers)
        problem.buffers.append(scratch)
    return problem
