"""DIV (int8, int32), ADD_N, CUMSUM, L2_NORMALIZATION, LOG_SOFTMAX and REDUCE_ALL against
TF's BUILTIN_REF and TFLite Micro (TFLite Micro alone where TF 2.21 has no int8 kernel:
ADD_N, CUMSUM); batched host cases, ASan+UBSan, in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import ModelError
from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
TFLM = LoweringContext(rounding="tflm")
ROUNDINGS = ["tflite", "tflm"]


def _quant(draw: st.DrawFn) -> tuple[float, int]:
    return 10 ** draw(st.floats(-3, 0.5)), draw(st.integers(-128, 127))


def _broadcast_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    out = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    a = tuple(d if draw(st.booleans()) else 1 for d in out)
    b = tuple(d if draw(st.booleans()) else 1 for d in out)
    a = a[draw(st.integers(0, len(a) - 1)):] if draw(st.booleans()) else a  # lower rank
    return a, b, tuple(np.broadcast_shapes(a, b))


@st.composite
def div_cases(draw: st.DrawFn) -> tuple[bytes, list[np.ndarray]]:
    a, b, out = _broadcast_pair(draw)
    (s1, z1), (s2, z2), (so, zo) = _quant(draw), _quant(draw), _quant(draw)
    act = draw(st.sampled_from(["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]))
    model = single_op_model("DIV", [TensorSpec(a, scale=s1, zero_point=z1), TensorSpec(b, scale=s2, zero_point=z2)],
                            [TensorSpec(out, scale=so, zero_point=zo)], {"fused_activation_function": act})
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    # Neither oracle defines a divisor at its zero point; TF also refuses a raw byte of 0.
    allowed = np.array([v for v in range(-128, 128) if v not in (0, z2)])
    x = rng.integers(-128, 128, size=a).astype(np.int8)
    y = rng.choice(allowed, size=b).astype(np.int8)
    return model, [x, y]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=6, **SETTINGS)
@given(case=div_cases())
def test_div_s8(rounding: str, case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, LoweringContext(rounding=rounding), inputs=inputs)


def test_div_s8_every_pair_sanitized() -> None:
    """All 256 x 255 (dividend, divisor) bytes of one quantization whose shifts reach the
    exponents of 32 and more, under ASan+UBSan, against both oracles."""
    z2 = 40
    pairs = [(a, b) for a in range(-128, 128) for b in range(-128, 128) if b not in (0, z2)]
    x = np.array([p[0] for p in pairs], dtype=np.int8)
    y = np.array([p[1] for p in pairs], dtype=np.int8)
    model = single_op_model("DIV", [TensorSpec(x.shape, scale=0.0048, zero_point=-32),
                                    TensorSpec(x.shape, scale=0.233, zero_point=z2)],
                            [TensorSpec(x.shape, scale=0.0714, zero_point=-89)], {})
    for rounding in ROUNDINGS:
        check_model(model, LoweringContext(rounding=rounding), sanitize=True, inputs=[x, y])


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=4, **SETTINGS)
@given(shapes=st.composite(_broadcast_pair)(),
       act=st.sampled_from(["NONE", "RELU", "RELU6"]), seed=st.integers(0, 1000))
def test_div_s32(rounding: str, shapes: tuple, act: str, seed: int) -> None:
    a, b, out = shapes
    rng = np.random.default_rng(seed)
    x = rng.integers(-(1 << 31), 1 << 31, size=a, dtype=np.int64).astype(np.int32)
    y = (rng.integers(1, 1000, size=b) * rng.choice([-1, 1], size=b)).astype(np.int32)
    model = single_op_model("DIV", [TensorSpec(a, "int32"), TensorSpec(b, "int32")], [TensorSpec(out, "int32")],
                            {"fused_activation_function": act})
    check_model(model, LoweringContext(rounding=rounding), inputs=[x, y])


@st.composite
def add_n_models(draw: st.DrawFn) -> bytes:
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    (s_in, zp_in), (s_out, zp_out) = _quant(draw), _quant(draw)
    s_out = max(s_out, s_in / 64)
    spec = TensorSpec(shape, scale=s_in, zero_point=zp_in)
    return single_op_model("ADD_N", [spec] * draw(st.integers(2, 6)),
                           [TensorSpec(shape, scale=s_out, zero_point=zp_out)], {})


@settings(max_examples=2, **SETTINGS)
@given(models=st.lists(add_n_models(), min_size=6, max_size=6))
def test_add_n(models: list[bytes]) -> None:
    check_models(models, TFLM)


@st.composite
def cumsum_models(draw: st.DrawFn) -> bytes:
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    (s_in, zp_in), (s_out, zp_out) = _quant(draw), _quant(draw)
    s_out = max(s_out, s_in / 64)
    return single_op_model("CUMSUM", [TensorSpec(shape, scale=s_in, zero_point=zp_in),
                                      TensorSpec((), "int32", data=np.array(axis, dtype=np.int32))],
                           [TensorSpec(shape, scale=s_out, zero_point=zp_out)],
                           {"exclusive": draw(st.booleans()), "reverse": draw(st.booleans())})


@settings(max_examples=2, **SETTINGS)
@given(models=st.lists(cumsum_models(), min_size=8, max_size=8))
def test_cumsum(models: list[bytes]) -> None:
    check_models(models, TFLM)


ROW_OPS = {"L2_NORMALIZATION": (1 / 128, 0, 200), "LOG_SOFTMAX": (16 / 256, 127, 300)}


@st.composite
def row_models(draw: st.DrawFn, op_type: str) -> bytes:
    out_scale, out_zp, longest = ROW_OPS[op_type]
    shape = (*draw(st.lists(st.integers(1, 4), min_size=0, max_size=2)), draw(st.integers(1, longest)))
    s, zp = 10 ** draw(st.floats(-3.5, 1)), draw(st.integers(-128, 127))
    return single_op_model(op_type, [TensorSpec(shape, scale=s, zero_point=zp)],
                           [TensorSpec(shape, scale=out_scale, zero_point=out_zp)], {})


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("op_type", sorted(ROW_OPS))
@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_row_ops(op_type: str, rounding: str, data: st.DataObject) -> None:
    """L2_NORMALIZATION and LOG_SOFTMAX over the last dimension."""
    models = data.draw(st.lists(row_models(op_type), min_size=6, max_size=6))
    check_models(models, LoweringContext(rounding=rounding))


@st.composite
def reduce_all_cases(draw: st.DrawFn) -> tuple[bytes, np.ndarray]:
    shape = tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    rank = len(shape)
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=rank,
                         unique_by=lambda a: a % rank))
    keep = draw(st.booleans())
    red = {a % rank for a in axes}
    out = tuple(1 if d in red else n for d, n in enumerate(shape)) if keep else \
        tuple(n for d, n in enumerate(shape) if d not in red)
    model = single_op_model("REDUCE_ALL", [TensorSpec(shape, "bool"),
                                           TensorSpec((len(axes),), "int32", data=np.array(axes, dtype=np.int32))],
                            [TensorSpec(out, "bool")], {"keep_dims": keep})
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 16)))
    return model, rng.random(shape) < draw(st.sampled_from([0.5, 0.9, 1.0]))


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=5, **SETTINGS)
@given(case=reduce_all_cases())
def test_reduce_all(rounding: str, case: tuple[bytes, np.ndarray]) -> None:
    model, x = case
    check_model(model, LoweringContext(rounding=rounding), inputs=[x])


def test_sanitized_and_in_place() -> None:
    """Every new kernel under ASan+UBSan, written over its own input (the in-place
    contract each lowering declares)."""
    q = {"scale": 0.05, "zero_point": 3}
    axis = TensorSpec((), "int32", data=np.array(-2, dtype=np.int32))
    models = [
        single_op_model("ADD_N", [TensorSpec((3, 9), **q)] * 3, [TensorSpec((3, 9), scale=0.1, zero_point=-4)], {}),
        single_op_model("CUMSUM", [TensorSpec((3, 4, 5), **q), axis], [TensorSpec((3, 4, 5), scale=0.3, zero_point=1)],
                        {"exclusive": True, "reverse": True}),
        single_op_model("L2_NORMALIZATION", [TensorSpec((5, 33), **q)], [TensorSpec((5, 33), scale=1 / 128)], {}),
        single_op_model("LOG_SOFTMAX", [TensorSpec((5, 33), **q)],
                        [TensorSpec((5, 33), scale=16 / 256, zero_point=127)], {}),
        # A constant divisor that never equals its zero point: in place over the dividend.
        single_op_model("DIV", [TensorSpec((3, 9), **q),
                                TensorSpec((1, 9), scale=0.02, zero_point=-7,
                                           data=np.array([-128, -100, -8, -6, 1, 9, 50, 100, 127], dtype=np.int8))],
                        [TensorSpec((3, 9), scale=0.4, zero_point=2)], {}),
    ]
    check_models(models, TFLM, sanitize=True)
    for model in models:
        check_in_place(model, ctx=TFLM, sanitize=True)


def test_tf_reference_has_no_int8_add_n_or_cumsum() -> None:
    """Why TFLite Micro is the only oracle for these two (arith.py's docstring)."""
    from support.reference import run_reference

    spec = TensorSpec((4,), scale=0.1)
    for model in (single_op_model("ADD_N", [spec, spec], [spec], {}),
                  single_op_model("CUMSUM", [spec, TensorSpec((), "int32", data=np.array(0, dtype=np.int32))],
                                  [spec], {})):
        with pytest.raises((ModelError, RuntimeError)):
            run_reference(model, [np.zeros(4, np.int8)])
