"""A plan over two memory regions: a small fast one (DTCM) and a large slow one (SRAM).

The planner's buffers (alias groups, in-place merges and scratch: `build_problem`) are
ranked by traffic per byte (the bytes the ops read or write in them, over their size);
the densest go to the fast region while its greedy-by-size placement stays within
`fast_bytes`, the rest to the slow region. Both are placed in one offset space, the slow
region's buffers above the fast region's top, so the result is an ordinary MemoryPlan
that `check_plan` proves, and no buffer crosses the boundary (`fast_top`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edgekit.ir import Graph
from edgekit.memory.check import check_plan
from edgekit.memory.contract import ContractFn
from edgekit.memory.liveness import ScratchFn, default_order, no_scratch
from edgekit.memory.plan import make_plan
from edgekit.memory.planners import align_up, arena_bytes, greedy_by_size
from edgekit.memory.problem import Problem, build_problem
from edgekit.memory.types import ALL, Buffer, MemoryPlan, OverlapRule


@dataclass(frozen=True)
class SplitPlan:
    plan: MemoryPlan
    fast_top: int  # offsets below it are the fast region, at or above it the slow one


def _traffic(graph: Graph, problem: Problem) -> list[int]:
    touches: dict[int, int] = {}
    for op in graph.ops:
        for t in (*op.inputs, *op.outputs):
            if t >= 0:
                touches[t] = touches.get(t, 0) + 1
    return [sum(graph.tensors[t].nbytes * touches.get(t, 1) for t in b.tensors) if b.op is None else b.size
            for b in problem.buffers]


def _place(subset: Sequence[int], buffers: Sequence[Buffer], rules: Sequence[OverlapRule],
           alignment: int) -> dict[int, int]:
    """greedy_by_size on a subset of the buffers (and the rules among them)."""
    index = {b: i for i, b in enumerate(subset)}
    local = [OverlapRule(index[r.lower], index[r.upper], r.min_delta) for r in rules
             if r.lower in index and r.upper in index]
    offsets = greedy_by_size([buffers[b] for b in subset], alignment, local)
    return {b: offsets[i] for i, b in enumerate(subset)}


def _top(placed: dict[int, int], buffers: Sequence[Buffer], alignment: int) -> int:
    return arena_bytes([buffers[b] for b in placed], list(placed.values()), alignment)


def plan_two_regions(graph: Graph, fast_bytes: int, alignment: int = 16, scratch_bytes: ScratchFn = no_scratch,
                     *, contracts: ContractFn) -> SplitPlan:
    problem = build_problem(graph, default_order(graph), contracts=contracts, tricks=ALL,
                            alignment=alignment, scratch_bytes=scratch_bytes)
    buffers, rules = problem.buffers, problem.rules
    traffic = _traffic(graph, problem)
    ranked = sorted((b for b in range(len(buffers)) if buffers[b].size),
                    key=lambda b: (-traffic[b] / buffers[b].size, buffers[b].size, b))
    fast: list[int] = []
    for b in ranked:
        if buffers[b].size <= fast_bytes and _top(_place([*fast, b], buffers, rules, alignment), buffers,
                                                  alignment) <= fast_bytes:
            fast.append(b)
    fast_offsets = _place(fast, buffers, rules, alignment)
    fast_top = align_up(_top(fast_offsets, buffers, alignment), alignment)
    slow = [b for b in range(len(buffers)) if b not in fast_offsets]
    slow_offsets = _place(slow, buffers, rules, alignment)
    offsets = [fast_offsets[b] if b in fast_offsets else fast_top + slow_offsets[b] for b in range(len(buffers))]
    plan = make_plan(graph, problem, offsets, alignment, "split", ALL, contracts)
    check_plan(plan, graph, scratch_bytes, contracts=contracts)
    return SplitPlan(plan, fast_top)
