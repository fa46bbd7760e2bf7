"""The plan checker catches plans that would corrupt data (negative tests)."""

from __future__ import annotations

import copy

import pytest

from edgekit.kernels.lowering import memory_contracts
from edgekit.memory import ALL, Overlap, PlanCheckError, check_plan, plan_graph

from .graphs import GraphBuilder


def _chain():
    b = GraphBuilder()
    x = b.input((1, 6, 4, 8))
    dw = b.conv(x, 0, 3, 3, 1, "SAME", depthwise=True)  # op 0
    pw = b.conv(dw, 8, 1, 1)  # op 1
    act = b.unary(pw, "RELU")  # op 2, in place
    flat = b.reshape(act, (1, 192))  # op 3, alias
    out = b.fc(flat, 4)  # op 4
    return b.build([out]), {"x": x, "dw": dw, "pw": pw, "act": act, "flat": flat, "out": out}


def _plan_with_rows():
    graph, t = _chain()
    plan = plan_graph(graph, "search", alignment=4, tricks=ALL, max_iters=3000, contracts=memory_contracts(graph))
    check_plan(plan, graph, contracts=memory_contracts(graph))
    assert any(o.kind == "rows" for o in plan.overlaps), plan.overlaps
    assert any(o.kind == "in_place" for o in plan.overlaps)
    assert plan.aliases[t["flat"]][0] == t["act"] or plan.offsets[t["flat"]] == plan.offsets[t["act"]]
    return graph, t, plan


def test_a_good_plan_passes() -> None:
    _plan_with_rows()


def test_overlapping_buffers_are_caught_and_named() -> None:
    graph, t = _chain()
    plan = plan_graph(graph, "greedy_by_size", alignment=4, tricks=ALL, contracts=memory_contracts(graph))
    bad = copy.deepcopy(plan)
    bad.overlaps = []  # drop every declared overlap: in-place sharing is now a clash...
    bad.offsets[t["dw"]] = bad.offsets[t["x"]]  # ...and dw now also sits on its live input
    with pytest.raises(PlanCheckError) as err:
        check_plan(bad, graph, contracts=memory_contracts(graph))
    message = str(err.value)
    assert "overlaps" in message and graph.tensors[t["x"]].name in message


def test_rows_overlap_one_step_too_close_is_rejected() -> None:
    graph, _, plan = _plan_with_rows()
    ov = next(o for o in plan.overlaps if o.kind == "rows")
    bad = copy.deepcopy(plan)
    # Move the output (and everything sharing its buffer) one alignment step towards the input.
    shift = plan.alignment
    moved = [ov.output] + [k for k, (base, _) in plan.aliases.items() if base == ov.output]
    for k in moved:
        bad.offsets[k] += shift
    with pytest.raises(PlanCheckError, match="unsafe overlap|overlaps"):
        check_plan(bad, graph, contracts=memory_contracts(graph))


def test_false_declarations_are_rejected() -> None:
    graph, t, plan = _plan_with_rows()
    # In place declared on a convolution.
    bad = copy.deepcopy(plan)
    bad.overlaps.append(Overlap(1, "in_place", t["dw"], t["pw"], 0))
    with pytest.raises(PlanCheckError, match="may run in place"):
        check_plan(bad, graph, contracts=memory_contracts(graph))
    # An alias that no reshape or concatenation justifies.
    bad = copy.deepcopy(plan)
    bad.aliases[t["out"]] = (t["x"], 0)
    bad.offsets[t["out"]] = bad.offsets[t["x"]]
    with pytest.raises(PlanCheckError, match="alias|overlaps"):
        check_plan(bad, graph, contracts=memory_contracts(graph))
    # An op order that reads a tensor before it is written.
    bad = copy.deepcopy(plan)
    bad.op_order = [1, 0, 2, 3, 4]
    with pytest.raises(PlanCheckError, match="order"):
        check_plan(bad, graph, contracts=memory_contracts(graph))
    # Overlap with an input that is read again later.
    b = GraphBuilder()
    x = b.input((1, 4, 4, 4))
    y = b.conv(x, 4, 1, 1)
    z = b.add(y, x)
    graph2 = b.build([z])
    plan2 = plan_graph(graph2, "greedy_by_size", alignment=4, tricks=ALL, contracts=memory_contracts(graph2))
    plan2.offsets[x], plan2.offsets[y] = 16, 0
    plan2.overlaps = [Overlap(0, "rows", x, y, 16)]
    with pytest.raises(PlanCheckError, match="still needed"):
        check_plan(plan2, graph2, contracts=memory_contracts(graph2))


def test_scratch_must_match_kernel_and_not_clash() -> None:
    graph, t = _chain()
    def need(op) -> int:
        return 40 if op.type == "CONV_2D" else 0

    plan = plan_graph(graph, "heuristic", alignment=4, tricks=ALL, scratch_bytes=need, contracts=memory_contracts(graph))
    check_plan(plan, graph, need, contracts=memory_contracts(graph))
    with pytest.raises(PlanCheckError, match="scratch"):
        check_plan(plan, graph, lambda op: 48 if op.type == "CONV_2D" else 0, contracts=memory_contracts(graph))
    bad = copy.deepcopy(plan)
    bad.scratch_offsets[1] = bad.offsets[t["pw"]]
    with pytest.raises(PlanCheckError, match="scratch of op 1"):
        check_plan(bad, graph, need, contracts=memory_contracts(graph))
