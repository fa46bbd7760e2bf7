"""The float32 fallback kernels (edgekit/kernels/float32.py, ek_float.c) against TF's float
interpreter (BUILTIN_REF) and TFLite Micro: every element-wise op on random values and on
edge values (halves for ROUND, zeros, negatives for LOG/SQRT, the LOGISTIC cutoffs), the
broadcasting binary ops with fused activations, FULLY_CONNECTED, SOFTMAX, MEAN/SUM over any
axes, L2_POOL_2D, float CONCATENATION; batched host runs, ASan+UBSan, in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model
from test_compare_select import broadcast_shapes

from edgekit.kernels.float32 import BINARY, CLAMPS, UNARY
from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}
F32 = "float32"
UNARY_OPS = sorted([*UNARY, *CLAMPS])
ACTIVATIONS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
# TFLite Micro's Python interpreter registers these float kernels too (the ones it lacks
# are only checked against TF).
_NOT_IN_TFLM = {"RELU_0_TO_1", "RELU_N1_TO_1"}

shapes = st.lists(st.integers(1, 6), min_size=1, max_size=4).map(tuple)


def _values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Random floats mixed with edge values: halves, integers, zeros, the cutoffs of
    LOGISTIC, large magnitudes."""
    edges = np.array([0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 2.5, 3.0, -3.0, 6.0, -9.0, -9.5, 16.62, 17.0,
                      1e-7, -1e-7, 88.0, -100.0, 1e6, 123456.5], dtype=np.float32)
    x = rng.uniform(-12, 12, size=shape).astype(np.float32)
    mask = rng.random(shape) < 0.3
    x[mask] = rng.choice(edges, size=int(mask.sum()))
    return x


def unary_model(op_type: str, shape: tuple[int, ...], alpha: float = 0.2) -> bytes:
    options = {"alpha": alpha} if op_type == "LEAKY_RELU" else {}
    return single_op_model(op_type, [TensorSpec(shape, F32)], [TensorSpec(shape, F32)], options)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=10, **SETTINGS)
@given(shape=shapes, alpha=st.floats(0.01, 0.9), seed=st.integers(0, 2**16))
def test_unary_ops(rounding: str, shape: tuple[int, ...], alpha: float, seed: int) -> None:
    ops = [o for o in UNARY_OPS if rounding == "tflite" or o not in _NOT_IN_TFLM]
    rng = np.random.default_rng(seed)
    check_models([unary_model(o, shape, alpha) for o in ops], LoweringContext(rounding=rounding),
                 inputs=[[_values(rng, shape)] for _ in ops])


@st.composite
def binary_models(draw: st.DrawFn) -> tuple[bytes, list[np.ndarray]]:
    a, b = draw(broadcast_shapes(2))
    out = tuple(np.broadcast_shapes(a, b))
    op_type = draw(st.sampled_from(sorted(BINARY)))
    options: dict = {}
    if op_type in ("ADD", "SUB", "MUL", "DIV"):
        options["fused_activation_function"] = draw(st.sampled_from(ACTIVATIONS))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x, y = _values(rng, a), _values(rng, b)
    if op_type == "FLOOR_DIV":  # TF fails its invoke on a zero divisor (ek_float.h)
        y[y == 0] = 0.75
    constant = draw(st.sampled_from([None, 0, 1]))  # a constant operand lives in flash
    specs = [TensorSpec(a, F32, data=x if constant == 0 else None),
             TensorSpec(b, F32, data=y if constant == 1 else None)]
    model = single_op_model(op_type, specs, [TensorSpec(out, F32)], options)
    return model, [v for k, v in enumerate((x, y)) if k != constant]


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=10, **SETTINGS)
@given(cases=st.lists(binary_models(), min_size=12, max_size=12))
def test_binary_ops_broadcast(rounding: str, cases: list[tuple[bytes, list[np.ndarray]]]) -> None:
    check_models([m for m, _ in cases], LoweringContext(rounding=rounding), inputs=[x for _, x in cases])


@st.composite
def fc_models(draw: st.DrawFn) -> bytes:
    rows, depth, units = draw(st.integers(1, 4)), draw(st.integers(1, 40)), draw(st.integers(1, 12))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    w = rng.normal(0, 1, (units, depth)).astype(np.float32)
    bias = TensorSpec((units,), F32, data=rng.normal(0, 1, units).astype(np.float32)) \
        if draw(st.booleans()) else None
    act = draw(st.sampled_from(ACTIVATIONS))
    return single_op_model("FULLY_CONNECTED", [TensorSpec((rows, depth), F32), TensorSpec((units, depth), F32, data=w),
                                               bias], [TensorSpec((rows, units), F32)],
                           {"fused_activation_function": act})


@st.composite
def softmax_models(draw: st.DrawFn) -> bytes:
    shape = draw(shapes)
    return single_op_model("SOFTMAX", [TensorSpec(shape, F32)], [TensorSpec(shape, F32)],
                           {"beta": draw(st.sampled_from([1.0, 0.5, 2.0, 0.1]))})


@st.composite
def reduce_models(draw: st.DrawFn) -> bytes:
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=5).map(tuple))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank, unique_by=lambda a: a % rank))
    keep = draw(st.booleans())
    out = tuple(1 if d in {a % rank for a in axes} else s for d, s in enumerate(shape)) if keep else \
        tuple(s for d, s in enumerate(shape) if d not in {a % rank for a in axes})
    return single_op_model(draw(st.sampled_from(["MEAN", "SUM"])),
                           [TensorSpec(shape, F32), TensorSpec((len(axes),), "int32", data=np.array(axes, np.int32))],
                           [TensorSpec(out, F32)], {"keep_dims": keep})


@st.composite
def l2_pool_models(draw: st.DrawFn) -> bytes:
    n, h, w, c = (draw(st.integers(1, 2)), draw(st.integers(1, 7)), draw(st.integers(1, 7)), draw(st.integers(1, 4)))
    fh, fw, sh, sw = (draw(st.integers(1, 3)) for _ in range(4))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    if padding == "VALID" and (fh > h or fw > w):
        padding = "SAME"
    oh = -(-h // sh) if padding == "SAME" else (h - fh) // sh + 1
    ow = -(-w // sw) if padding == "SAME" else (w - fw) // sw + 1
    return single_op_model("L2_POOL_2D", [TensorSpec((n, h, w, c), F32)], [TensorSpec((n, oh, ow, c), F32)],
                           {"filter_height": fh, "filter_width": fw, "stride_h": sh, "stride_w": sw,
                            "padding": padding, "fused_activation_function": draw(st.sampled_from(ACTIVATIONS))})


@st.composite
def concat_models(draw: st.DrawFn) -> bytes:
    base = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    axis = draw(st.integers(-len(base), len(base) - 1))
    parts = [list(base) for _ in range(draw(st.integers(1, 3)))]
    for p in parts:
        p[axis] = draw(st.integers(1, 3))
    out = list(base)
    out[axis] = sum(p[axis] for p in parts)
    return single_op_model("CONCATENATION", [TensorSpec(tuple(p), F32) for p in parts], [TensorSpec(tuple(out), F32)],
                           {"axis": axis})


REST = st.one_of(fc_models(), softmax_models(), reduce_models(), l2_pool_models(), concat_models())


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=10, **SETTINGS)
@given(models=st.lists(REST, min_size=12, max_size=12))
def test_reductions_fc_softmax_pool_concat(rounding: str, models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(st.one_of(REST, binary_models().map(lambda c: c[0])), min_size=12, max_size=12),
       shape=shapes)
def test_float_kernels_sanitized(models: list[bytes], shape: tuple[int, ...]) -> None:
    check_models([*models, *(unary_model(o, shape) for o in UNARY_OPS)], sanitize=True)


@pytest.mark.parametrize("op_type", ["SIN", "FLOOR", "LOGISTIC"])
def test_unary_in_place(op_type: str) -> None:
    check_in_place(unary_model(op_type, (3, 17)), sanitize=True)


def test_binary_in_place_over_either_input() -> None:
    model = single_op_model("FLOOR_MOD", [TensorSpec((4, 9), F32), TensorSpec((4, 9), F32)], [TensorSpec((4, 9), F32)])
    check_in_place(model, which=0)
    check_in_place(model, which=1)
