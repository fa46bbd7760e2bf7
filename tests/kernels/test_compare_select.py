"""EQUAL/NOT_EQUAL/LESS/LESS_EQUAL/GREATER/GREATER_EQUAL (int8 with different scales and
int32, broadcasting, bool out), LOGICAL_AND/OR/NOT and SELECT_V2 (bool condition,
broadcasting) against BUILTIN_REF and TFLite Micro; batched host cases, ASan+UBSan,
ties, in place, and the refused variants."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.compare import plan_broadcast_n
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}
COMPARISONS = ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")


@st.composite
def broadcast_shapes(draw: st.DrawFn, count: int) -> list[tuple[int, ...]]:
    """`count` shapes that broadcast together: suffixes of one shape with some dims 1.
    Rank <= 4: TFLite's broadcasting comparisons and logical ops abort above 4-D."""
    rank = draw(st.integers(0, 4))
    full = draw(st.lists(st.integers(1, 5), min_size=rank, max_size=rank))
    shapes = []
    for _ in range(count):
        keep = draw(st.integers(0, rank))
        shapes.append(tuple(d if draw(st.booleans()) else 1 for d in full[rank - keep:]))
    return shapes


def _quant(draw: st.DrawFn) -> dict:
    return {"scale": 10 ** draw(st.floats(-3, -0.05)), "zero_point": draw(st.integers(-128, 127))}


@st.composite
def compare_models(draw: st.DrawFn) -> bytes:
    op_type = draw(st.sampled_from(COMPARISONS))
    a, b = draw(broadcast_shapes(2))
    out = tuple(np.broadcast_shapes(a, b))
    if draw(st.integers(0, 4)) == 0:  # int32 operands (token ids, indices)
        const = np.arange(int(np.prod(b)), dtype=np.int32).reshape(b) - 3
        inputs = [TensorSpec(a, "int32"), TensorSpec(b, "int32", data=const if draw(st.booleans()) else None)]
        return single_op_model(op_type, inputs, [TensorSpec(out, "bool")])
    qa = _quant(draw)
    qb = qa if draw(st.integers(0, 3)) == 0 else _quant(draw)
    data = None
    if draw(st.integers(0, 3)) == 0:  # a constant operand, as converters write thresholds
        data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, b).astype(np.int8)
    return single_op_model(op_type, [TensorSpec(a, **qa), TensorSpec(b, data=data, **qb)],
                           [TensorSpec(out, "bool")])


@st.composite
def logical_models(draw: st.DrawFn) -> bytes:
    op_type = draw(st.sampled_from(["LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"]))
    if op_type == "LOGICAL_NOT":
        (a,) = draw(broadcast_shapes(1))
        return single_op_model(op_type, [TensorSpec(a, "bool")], [TensorSpec(a, "bool")])
    a, b = draw(broadcast_shapes(2))
    out = tuple(np.broadcast_shapes(a, b))
    return single_op_model(op_type, [TensorSpec(a, "bool"), TensorSpec(b, "bool")],
                           [TensorSpec(out, "bool")])


@st.composite
def select_models(draw: st.DrawFn, tflm: bool = False) -> bytes:
    """TFLite Micro's SELECT_V2 has no int32."""
    c, x, y = draw(broadcast_shapes(3))
    out = tuple(np.broadcast_shapes(c, x, y))
    dtype = "int8" if tflm else draw(st.sampled_from(["int8", "int8", "int32"]))
    q = {"scale": 0.05, "zero_point": -3} if dtype == "int8" else {}
    y_data = None
    if draw(st.booleans()):
        y_data = np.full(y, -7, dtype=dtype)  # a constant "else" branch
    return single_op_model("SELECT_V2", [TensorSpec(c, "bool"), TensorSpec(x, dtype, **q),
                                         TensorSpec(y, dtype, data=y_data, **q)],
                           [TensorSpec(out, dtype, **q)])


ALL = st.one_of(compare_models(), logical_models(), select_models())


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=4, **SETTINGS)
@given(data=st.data())
def test_compare_logical_select(rounding: str, data: st.DataObject) -> None:
    cases = st.one_of(compare_models(), logical_models(), select_models(tflm=rounding == "tflm"))
    check_models(data.draw(st.lists(cases, min_size=16, max_size=16)), LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(ALL, min_size=10, max_size=10))
def test_compare_logical_select_sanitized(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


@pytest.mark.parametrize("op_type", COMPARISONS)
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_comparison_ties_across_scales(op_type: str, rounding: str) -> None:
    """Equal reals under different scales (s2 = 2 s1), and the neighbours of each tie."""
    x1 = np.arange(-40, 40, dtype=np.int8)
    x2 = ((x1.astype(np.int32) - 6) // 2 + 5 + np.tile([-1, 0, 0, 1], 20)).astype(np.int8)
    model = single_op_model(op_type, [TensorSpec(x1.shape, scale=0.0123, zero_point=6),
                                      TensorSpec(x2.shape, scale=0.0246, zero_point=5)],
                            [TensorSpec(x1.shape, "bool")])
    out = check_model(model, LoweringContext(rounding=rounding), inputs=[x1, x2])[0]
    assert 0 < int(out.sum()) < out.size  # both answers occur


def test_compare_in_place() -> None:
    model = single_op_model("LESS", [TensorSpec((3, 20), scale=0.02, zero_point=1),
                                     TensorSpec((20,), scale=0.03, zero_point=-2)],
                            [TensorSpec((3, 20), "bool")])
    check_in_place(model, sanitize=True)


def test_select_in_place_over_x() -> None:
    q = {"scale": 0.1, "zero_point": 0}
    model = single_op_model("SELECT_V2", [TensorSpec((4, 1), "bool"), TensorSpec((4, 9), **q),
                                          TensorSpec((9,), **q)], [TensorSpec((4, 9), **q)])
    check_in_place(model, which=1, sanitize=True)


def test_plan_broadcast_merges_contiguous_dims() -> None:
    plan = plan_broadcast_n([(2, 3, 4), (1, 3, 4), (4,)])
    assert plan.dims == (2, 3, 4) and plan.strides == ((12, 4, 1), (0, 4, 1), (0, 0, 1))
    assert plan_broadcast_n([(2, 3, 4), (1, 3, 4)]).dims == (2, 12)
    assert plan_broadcast_n([(2, 3, 4), (2, 3, 4)]).dims == (24,)
    assert plan_broadcast_n([(), ()]).dims == (1,)


def _lower(model: bytes) -> None:
    graph = load_tflite_bytes(model)
    fn = lowering_for(graph.ops[0].type)
    assert fn is not None
    fn(graph, graph.ops[0], LoweringContext())


def test_refused_variants_name_op_and_reason() -> None:
    big = single_op_model("LESS", [TensorSpec((3,), scale=1.5), TensorSpec((3,), scale=0.5)],
                          [TensorSpec((3,), "bool")])
    with pytest.raises(UnsupportedOpError, match="LESS at index 0: tensor t0 has scale 1.5"):
        _lower(big)
    mixed = single_op_model("EQUAL", [TensorSpec((3,), "float32"), TensorSpec((3,), "float32")],
                            [TensorSpec((3,), "bool")])
    with pytest.raises(UnsupportedOpError, match="EQUAL at index 0: inputs of type float32"):
        _lower(mixed)


def test_select_v1_row_condition() -> None:
    """SELECT (v1): a 1-D condition picks whole rows (BUILTIN_REF; TFLite Micro has no SELECT)."""
    q = {"scale": 0.1, "zero_point": 3}
    rows = single_op_model("SELECT", [TensorSpec((4,), "bool"), TensorSpec((4, 6), **q),
                                      TensorSpec((4, 6), **q)], [TensorSpec((4, 6), **q)])
    same = single_op_model("SELECT", [TensorSpec((2, 5), "bool"), TensorSpec((2, 5), **q),
                                      TensorSpec((2, 5), **q)], [TensorSpec((2, 5), **q)])
    check_models([rows, same], sanitize=True)
