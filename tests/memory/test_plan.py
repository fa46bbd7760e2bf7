"""Whole-graph plans: random DAGs and the four MLPerf Tiny models plan and check."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings

from edgekit.kernels.lowering import memory_contracts
from edgekit.load import load_tflite
from edgekit.memory import (
    ALL,
    NO_OVERLAP,
    PLAIN,
    PLANNERS,
    check_plan,
    liveness_lower_bound,
    plan_best,
    plan_graph,
)
from edgekit.memory.order import topological_orders

from .graphs import GraphBuilder, random_graphs


@settings(max_examples=40, deadline=None)
@given(random_graphs())
def test_random_graphs_every_planner_and_trick_set_checks(graph) -> None:
    lower = liveness_lower_bound(graph)
    plain_greedy = None
    for tricks in (PLAIN, NO_OVERLAP, ALL):
        for name in PLANNERS:
            plan = plan_graph(graph, name, alignment=4, tricks=tricks, time_budget=0.1, max_iters=200, contracts=memory_contracts(graph))
            check_plan(plan, graph, contracts=memory_contracts(graph))
            if tricks == PLAIN:
                assert plan.arena_bytes >= lower  # nothing shared: the lower bound holds
                assert not plan.overlaps and not plan.aliases
            if tricks != ALL:
                assert not any(o.kind == "rows" for o in plan.overlaps)
            if (tricks, name) == (PLAIN, "greedy_by_size"):
                plain_greedy = plan.arena_bytes
    best = plan_best(graph, alignment=4, time_budget=0.1, max_iters=200, contracts=memory_contracts(graph))
    check_plan(best, graph, contracts=memory_contracts(graph))
    assert best.arena_bytes <= plain_greedy
    pixels = plan_best(graph, alignment=4, time_budget=0.1, max_iters=200, tricks=replace(ALL, pixel_block=2), contracts=memory_contracts(graph))
    check_plan(pixels, graph, contracts=memory_contracts(graph))
    assert pixels.arena_bytes <= plain_greedy
    if any(o.kind == "rows" for o in pixels.overlaps):  # the plan names the contract it uses
        assert pixels.pixel_block == 2


def test_concatenation_is_eliminated_into_slices() -> None:
    b = GraphBuilder()
    x = b.input((1, 1, 1, 16))
    left = b.conv(x, 8, 1, 1)
    right = b.conv(x, 24, 1, 1)
    cat = b.concat([left, right], axis=3)
    out = b.fc(b.reshape(cat, (1, 32)), 3)
    graph = b.build([out])
    plan = plan_best(graph, alignment=4, time_budget=0.1, contracts=memory_contracts(graph))
    check_plan(plan, graph, contracts=memory_contracts(graph))
    assert plan.aliases[left] == (cat, 0) and plan.aliases[right] == (cat, 8)
    assert plan.offsets[right] == plan.offsets[cat] + 8
    assert 2 in plan.eliminated_ops and 3 in plan.eliminated_ops  # CONCATENATION, RESHAPE
    # A slice that is not aligned is not eliminated (kernels get aligned pointers).
    plan16 = plan_best(graph, alignment=16, time_budget=0.1, contracts=memory_contracts(graph))
    check_plan(plan16, graph, contracts=memory_contracts(graph))
    assert left not in plan16.aliases and 2 not in plan16.eliminated_ops


def test_op_order_search_finds_the_smaller_branch_order() -> None:
    # Two branches from x; the graph runs the big intermediate of branch 1 while branch 2's
    # large result is still waiting. Running branch 2 first lowers the peak.
    b = GraphBuilder()
    x = b.input((1, 8, 8, 4))  # 256
    a1 = b.conv(x, 32, 1, 1)  # op 0: 2048, branch 1
    a2 = b.pool(a1, 8, 8)  # op 1: 32
    c1 = b.conv(x, 16, 1, 1)  # op 2: 1024, branch 2
    c2 = b.pool(c1, 8, 8)  # op 3: 16
    out = b.add(b.conv(a2, 16, 1, 1), c2)  # ops 4, 5
    graph = b.build([out])
    assert len(topological_orders(graph)) > 1
    plan = plan_best(graph, alignment=4, time_budget=0.2, tricks=NO_OVERLAP, contracts=memory_contracts(graph))
    check_plan(plan, graph, contracts=memory_contracts(graph))
    fixed = min(plan_graph(graph, p, alignment=4, tricks=NO_OVERLAP, contracts=memory_contracts(graph)).arena_bytes for p in PLANNERS)
    assert plan.op_order != list(range(6)) and plan.arena_bytes < fixed


@pytest.mark.slow
def test_mlperf_models_plan_and_check(mlperf_models: dict[str, Path]) -> None:
    for key, path in mlperf_models.items():
        graph = load_tflite(path)
        lower = liveness_lower_bound(graph)
        for tricks in (PLAIN, NO_OVERLAP, ALL):
            for name in PLANNERS:
                plan = plan_graph(graph, name, alignment=16, tricks=tricks, time_budget=0.3, contracts=memory_contracts(graph))
                check_plan(plan, graph, contracts=memory_contracts(graph))
                if tricks == PLAIN:
                    assert plan.arena_bytes >= lower, key
        best = plan_best(graph, alignment=16, time_budget=1.0, contracts=memory_contracts(graph))
        check_plan(best, graph, contracts=memory_contracts(graph))
        assert best.arena_bytes <= best.planner_bytes["greedy_by_size/plain"], key
        assert best.arena_bytes <= min(best.planner_bytes.values()), key
