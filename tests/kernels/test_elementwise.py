"""ADD, SUB, MUL, MAXIMUM, MINIMUM: broadcasting, scales (extreme ratios), zero points,
fused activations; every output byte against BUILTIN_REF (and TFLite Micro), under
ASan+UBSan, and in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.elementwise import plan_broadcast
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
BINARY = ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM"]
ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]


@st.composite
def broadcast_shapes(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: each dimension full or 1 per input, ranks may differ."""
    out = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5))
    shapes = []
    for _ in range(2):
        keep = draw(st.lists(st.booleans(), min_size=len(out), max_size=len(out)))
        shape = [d if k else 1 for d, k in zip(out, keep)]
        drop = draw(st.integers(0, len(shape) - 1))
        shapes.append(tuple(shape[drop:]))
    return shapes[0], shapes[1]


@st.composite
def binary_cases(draw: st.DrawFn, op_type: str) -> dict:
    a, b = draw(broadcast_shapes())
    if draw(st.integers(0, 3)) == 0:
        # Power-of-two scales: exact ties in every rounding step (round-half cases).
        # (Ratios past 2^20 reach the input rounding of ADD/SUB; MUL stays where
        # TFLite's activation range does not overflow int32.)
        low = -12 if op_type == "MUL" else -24
        s1, s2 = 2.0 ** draw(st.integers(low, 0)), 2.0 ** draw(st.integers(low, 0))
        so = (s1 * s2 if op_type == "MUL" else max(s1, s2)) * 2.0 ** draw(st.integers(-4, 6))
    else:
        s1 = 10 ** draw(st.floats(-4, 1))
        s2 = s1 * 10 ** draw(st.floats(-3, 3))  # extreme input scale ratios
        if op_type == "MUL":
            so = s1 * s2 * 2 ** draw(st.floats(-6, 36))  # multipliers > 1 ... flushed to 0
        else:
            so = max(s1, s2) * 10 ** draw(st.floats(-2.5, 2.5))
    zps = [draw(st.integers(-128, 127)) for _ in range(3)]
    # TFLite rejects RELU6/RELU_N1_TO_1 when 6 / output_scale overflows int32.
    acts = ACTS if so > 1e-8 else ["NONE", "RELU"]
    act = draw(st.sampled_from(acts)) if op_type in ("ADD", "SUB", "MUL") else "NONE"
    return {"a": a, "b": b, "scales": (s1, s2, so), "zps": zps, "act": act, "seed": draw(st.integers(0, 2**31))}


def binary_model(op_type: str, a, b, scales, zps, act, seed=0, const_b: bool = False) -> bytes:
    out = tuple(np.broadcast_shapes(a, b))
    data = np.random.default_rng(seed).integers(-128, 128, size=b).astype(np.int8) if const_b else None
    options = {"fused_activation_function": act} if op_type in ("ADD", "SUB", "MUL") else {}
    return single_op_model(op_type, [TensorSpec(a, scale=scales[0], zero_point=zps[0]),
                                     TensorSpec(b, scale=scales[1], zero_point=zps[1], data=data)],
                           [TensorSpec(out, scale=scales[2], zero_point=zps[2])], options)


@pytest.mark.parametrize("op_type", BINARY)
@settings(max_examples=4, **SETTINGS)
@given(data=st.data())
def test_binary_matches_reference(op_type: str, data: st.DataObject) -> None:
    cases = data.draw(st.lists(binary_cases(op_type), min_size=8, max_size=8))
    check_models([binary_model(op_type, **c) for c in cases], seed=cases[0]["seed"])


@pytest.mark.parametrize("op_type", BINARY)
@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_binary_matches_tflite_micro(op_type: str, data: st.DataObject) -> None:
    cases = data.draw(st.lists(binary_cases(op_type), min_size=6, max_size=6))
    check_models([binary_model(op_type, **c) for c in cases], LoweringContext(rounding="tflm"),
                 seed=cases[0]["seed"])


@pytest.mark.parametrize("op_type", BINARY)
@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_binary_sanitized_with_constant_input(op_type: str, data: st.DataObject) -> None:
    cases = data.draw(st.lists(binary_cases(op_type), min_size=4, max_size=4))
    check_models([binary_model(op_type, **c, const_b=True) for c in cases], sanitize=True,
                 seed=cases[0]["seed"])


@pytest.mark.parametrize("op_type", ["ADD", "SUB", "MUL", "MAXIMUM"])
@pytest.mark.parametrize("which", [0, 1])
def test_binary_in_place(op_type: str, which: int) -> None:
    # The overwritten input has the output's shape; the other one broadcasts.
    full, small = (2, 3, 4, 8), (1, 3, 1, 8)
    a, b = (full, small) if which == 0 else (small, full)
    model = binary_model(op_type, a, b, (0.05, 0.02, 0.04), (3, -7, 11), "NONE")
    check_in_place(model, which, sanitize=True, seed=which)


def test_broadcast_plan_merges_dimensions() -> None:
    plan = plan_broadcast((2, 3, 4, 5), (1, 1, 4, 5))
    assert plan.dims == (6, 20) and plan.stride1 == (20, 1) and plan.stride2 == (0, 1)
    plan = plan_broadcast((8,), (1,))
    assert plan.dims == (8,) and plan.stride2 == (0,)


def test_add_rejects_output_scale_tflite_rejects() -> None:
    # real_output_multiplier >= 1 makes TFLite's QuantizeMultiplierSmallerThanOneExp abort.
    model = binary_model("ADD", (4,), (4,), (1.0, 1.0, 1e-7), (0, 0, 0), "NONE")
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match="ADD"):
        lowering_for("ADD")(graph, graph.ops[0], LoweringContext())


def _single_op_copy(graph, op) -> bytes:
    """A single-op model with the real op's shapes, quantization and options."""
    def spec(index: int) -> TensorSpec:
        t = graph.tensors[index]
        q = t.quant
        return TensorSpec(t.shape, t.dtype, data=t.data,
                          scale=None if q is None else float(q.scale[0]),
                          zero_point=0 if q is None else int(q.zero_point[0]))

    return single_op_model(op.type, [spec(i) for i in op.inputs], [spec(i) for i in op.outputs],
                           dict(op.options))


def test_mlperf_ops_with_their_real_quantization(mlperf_models: dict) -> None:
    # The K2 ops of the MLPerf Tiny models (ResNet-8's residual ADDs, the SOFTMAXes),
    # with the converter's shapes, scales and zero points.
    from edgekit.load import load_tflite

    models = []
    for path in mlperf_models.values():
        graph = load_tflite(path)
        models += [_single_op_copy(graph, op) for op in graph.ops if op.type in ("ADD", "SOFTMAX")]
    assert len(models) == 6  # 3 ADD (ic) + 3 SOFTMAX (ic, kws, vww)
    for rounding in ("tflite", "tflm"):
        check_models(models, LoweringContext(rounding=rounding), seed=3)
