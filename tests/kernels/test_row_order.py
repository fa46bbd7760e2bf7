"""The rows memory contract that CONV_2D, DEPTHWISE_CONV_2D and the pools declare
(edgekit/memory/overlap.py): output rows are written in order and, while producing output
row r, the kernel never reads input rows above its window start(r) = max(0, r*stride_h -
pad_top). So the output may overlap the input as long as output row r ends before input row
start(r) begins. The tests place input and output in one buffer at the tightest overlap the
planner may use (min_rows_delta of the declared geometry) and compare with the oracle: a
kernel reading an earlier row, or writing ahead, would read clobbered bytes."""

from __future__ import annotations

import numpy as np
import pytest
from support import cases as mk
from support.harness import random_inputs, run_op
from support.reference import run_reference

from edgekit.kernels.lowering import LoweringContext, memory_contract
from edgekit.load import load_tflite_bytes
from edgekit.memory import min_rows_delta


def tightest_overlap(graph, op) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Input and output offsets at the closest the memory planner may place them: the
    output min_rows_delta below the input, under the op's declared rows contract."""
    rows = memory_contract(graph, op).rows
    assert rows is not None, f"{op.type} declares no rows contract"
    delta = -min_rows_delta(rows)  # out_off - in_off
    base = min(0, delta)
    return {"in0": -base, "out0": delta - base}


MODELS = {
    "conv3x3_same": lambda: mk.conv_model(1, 1, 9, 7, 8, 12, 3, 3, in_zp=5, out_zp=-3),
    "conv3x3_s2": lambda: mk.conv_model(2, 1, 11, 9, 4, 16, 3, 3, stride=(2, 2), in_zp=-9),
    "conv1x1_wide": lambda: mk.conv_model(3, 1, 6, 5, 8, 24, 1, 1, in_zp=2),
    "conv5x3_cin3": lambda: mk.conv_model(4, 1, 10, 8, 3, 6, 5, 3, in_zp=7),
    "dw3x3": lambda: mk.depthwise_model(5, 1, 9, 6, 16, 1, 3, 3, in_zp=-4),
    "dw3x3_s2_dm2": lambda: mk.depthwise_model(6, 1, 10, 7, 4, 2, 3, 3, stride=(2, 2), in_zp=3),
    "avgpool": lambda: mk.pool_model("AVERAGE_POOL_2D", 7, 1, 8, 8, 8, 3, 3, padding="SAME"),
    "maxpool_s2": lambda: mk.pool_model("MAX_POOL_2D", 8, 1, 9, 9, 4, 2, 2, stride=(2, 2)),
}


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_output_may_overlap_consumed_input_rows(name: str, variant: str) -> None:
    model = MODELS[name]()
    graph = load_tflite_bytes(model)
    op = graph.ops[0]
    x = random_inputs(graph, op, np.random.default_rng(1))
    expected = run_reference(model, x)[0]
    arena = tightest_overlap(graph, op)
    got = run_op(graph, op, x, LoweringContext(variant=variant), sanitize=True, arena=arena)[0]
    assert np.array_equal(got, expected.reshape(got.shape))


def test_overlap_check_detects_a_too_tight_layout() -> None:
    """The same check one row tighter fails: the test can see a contract violation."""
    model = MODELS["conv3x3_same"]()
    graph = load_tflite_bytes(model)
    op = graph.ops[0]
    x = random_inputs(graph, op, np.random.default_rng(1))
    arena = tightest_overlap(graph, op)
    row_out = graph.tensors[op.outputs[0]].shape[2] * graph.tensors[op.outputs[0]].shape[3]
    shift = row_out * 2
    tighter = {"in0": arena["in0"], "out0": arena["out0"] + shift}
    got = run_op(graph, op, x, LoweringContext(), arena=tighter)[0]
    assert not np.array_equal(got, run_reference(model, x)[0].reshape(got.shape))
