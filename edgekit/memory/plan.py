"""The memory plan as data, and how to make the smallest one.

`plan_graph` solves one configuration (planner, tricks, op order); `plan_best` tries the
op orders and planners and keeps the smallest plan that passes `check_plan`, never worse
than TFLite Micro's greedy-by-size on the untouched graph.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from edgekit.errors import BoardError, UsageError
from edgekit.ir import Graph
from edgekit.memory.aliasing import find_aliases, part_slices, view_source
from edgekit.memory.check import check_plan
from edgekit.memory.contract import ContractFn
from edgekit.memory.liveness import ScratchFn, default_order, liveness_lower_bound, no_scratch
from edgekit.memory.order import topological_orders
from edgekit.memory.planners import PLANNERS, arena_bytes, heuristic_plans
from edgekit.memory.problem import Problem, build_problem
from edgekit.memory.types import ALL, NO_OVERLAP, PLAIN, MemoryPlan, PlanBuffer, Tricks


def eliminated_ops(graph: Graph, aliases: dict[int, tuple[int, int]], contracts: ContractFn) -> list[int]:
    """Ops that move no data under these aliases (views sharing their input's bytes,
    ops whose inputs were all written into their slices of the output)."""
    result = []
    for op in graph.ops:
        if view_source(graph, op, contracts) is not None and op.outputs[0] in aliases:
            result.append(op.index)
        elif part_slices(graph, op, contracts) is not None and all(t in aliases for t in op.inputs):
            result.append(op.index)
    return result


def _solve(problem: Problem, planner: str, alignment: int, **options: Any) -> list[int]:
    if planner not in PLANNERS:
        raise UsageError(f"unknown planner {planner!r}; choose one of {', '.join(PLANNERS)}")
    rules = problem.rules
    return PLANNERS[planner](problem.buffers, alignment, rules, **options)


def make_plan(graph: Graph, problem: Problem, offsets: Sequence[int], alignment: int,
              planner: str, tricks: Tricks, contracts: ContractFn, lower_bound: int | None = None) -> MemoryPlan:
    """Turn a solved problem into a MemoryPlan (tensor offsets, scratch, report buffers)."""
    tensor_offsets = {t: offsets[b] + off for t, (b, off) in problem.tensor_place.items()}
    scratch_offsets = {op: offsets[b] for op, b in problem.scratch_of.items()}
    scratch_sizes = {op: problem.buffers[b].size for op, b in problem.scratch_of.items()}
    # Declare only the overlaps the placement uses: codegen and kernels rely on each one.
    used = [ov for ov in problem.overlaps if ov.kind == "in_place" or _intersect(
        tensor_offsets[ov.input], graph.tensors[ov.input].nbytes,
        tensor_offsets[ov.output], graph.tensors[ov.output].nbytes)]
    buffers = [PlanBuffer(b.name, offsets[i], b.size, b.first_use, b.last_use, b.tensors, b.op)
               for i, b in enumerate(problem.buffers)]
    return MemoryPlan(
        arena_bytes=arena_bytes(problem.buffers, offsets, alignment), alignment=alignment,
        op_order=list(problem.order), offsets=tensor_offsets, aliases=dict(problem.aliases),
        scratch_offsets=scratch_offsets, scratch_sizes=scratch_sizes,
        overlaps=used, planner=planner, tricks=tricks.name,
        lower_bound=liveness_lower_bound(graph) if lower_bound is None else lower_bound,
        buffers=buffers, eliminated_ops=eliminated_ops(graph, problem.aliases, contracts),
        pixel_block=tricks.pixel_block if tricks.rows else 0)


def _intersect(a: int, a_size: int, b: int, b_size: int) -> bool:
    return a < b + b_size and b < a + a_size


def plan_graph(graph: Graph, planner: str = "greedy_by_size", alignment: int = 16, *,
               contracts: ContractFn, tricks: Tricks = ALL, order: Sequence[int] | None = None,
               scratch_bytes: ScratchFn = no_scratch, **options: Any) -> MemoryPlan:
    """One planner, one set of tricks, one op order (default: the graph's).

    `contracts(op)` is each op's memory contract (edgekit.kernels.memory_contracts(graph),
    or the lowerings' in a build); `scratch_bytes(op)` its kernel's scratch."""
    _check_alignment(alignment)
    order = default_order(graph) if order is None else list(order)
    problem = build_problem(graph, order, contracts=contracts, tricks=tricks, alignment=alignment,
                            scratch_bytes=scratch_bytes)
    offsets = _solve(problem, planner, alignment, **options)
    return make_plan(graph, problem, offsets, alignment, planner, tricks, contracts)


def _check_alignment(alignment: int) -> None:
    if alignment < 1 or alignment & (alignment - 1):
        raise BoardError(f"arena alignment must be a power of two, not {alignment}")


TRICK_SETS = {"plain": PLAIN, "no_overlap": NO_OVERLAP, "all": ALL}


def plan_best(graph: Graph, alignment: int = 16, scratch_bytes: ScratchFn = no_scratch, *,
              contracts: ContractFn, time_budget: float = 2.0, seed: int = 0, max_orders: int = 64,
              tricks: Tricks = ALL, planners: Sequence[str] | None = None,
              max_iters: int = 20000) -> MemoryPlan:
    """The smallest checked plan over op orders, planners and trick sets (<= tricks).

    Every planner runs on every trick set up to `tricks` in the graph's order (these are
    the numbers in `planner_bytes`); other valid op orders are ranked by the heuristic and
    the search runs on the best two. The search's time budget is shared by all its runs.
    """
    _check_alignment(alignment)
    names = list(planners or PLANNERS)
    lower = liveness_lower_bound(graph)
    groups = find_aliases(graph, contracts, alignment)
    trick_sets = [replace(t, pixel_block=tricks.pixel_block) if t.rows else t
                  for t in (PLAIN, NO_OVERLAP, ALL)
                  if all(getattr(tricks, f) or not getattr(t, f) for f in ("aliases", "in_place", "rows"))]
    deadline = time.monotonic() + time_budget
    searches = 2 * len(trick_sets) + 2
    candidates: list[MemoryPlan] = []
    planner_bytes: dict[str, int] = {}

    def run(problem: Problem, name: str, trick: Tricks, label: str | None) -> MemoryPlan:
        nonlocal searches
        options: dict[str, Any] = {}
        if name == "search":
            left = max(deadline - time.monotonic(), 0.0)
            options = {"time_budget": left / max(searches, 1), "seed": seed, "max_iters": max_iters}
            searches = max(searches - 1, 1)
        plan = make_plan(graph, problem, _solve(problem, name, alignment, **options),
                         alignment, name, trick, contracts, lower)
        if label:
            planner_bytes[label] = plan.arena_bytes
        candidates.append(plan)
        return plan

    graph_order = default_order(graph)
    for trick in trick_sets:
        problem = build_problem(graph, graph_order, contracts=contracts, tricks=trick, alignment=alignment,
                                scratch_bytes=scratch_bytes, groups=groups if trick.aliases else None)
        for name in names:
            run(problem, name, trick, f"{name}/{trick.name}")

    # Other op orders: rank by the best heuristic arena, search the two best.
    best_trick = trick_sets[-1]
    ranked = []
    for order in topological_orders(graph, max_orders, contracts)[1:]:
        problem = build_problem(graph, order, contracts=contracts, tricks=best_trick, alignment=alignment,
                                scratch_bytes=scratch_bytes, groups=groups)
        ranked.append((heuristic_plans(problem.buffers, alignment, problem.rules)[0][0], order, problem))
    ranked.sort(key=lambda r: r[0])
    for _, order, problem in ranked[:2]:
        for name in names:
            if name != "greedy_by_size":
                run(problem, name, best_trick, None)

    best = min(candidates, key=lambda p: (p.arena_bytes, len(p.overlaps)))
    best.planner_bytes = planner_bytes
    check_plan(best, graph, scratch_bytes, contracts=contracts)
    return best
