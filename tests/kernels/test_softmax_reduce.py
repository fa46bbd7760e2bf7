"""SOFTMAX (last axis) and MEAN (spatial and other contiguous axes, keep_dims both
ways) against BUILTIN_REF and TFLite Micro; batched host cases, ASan+UBSan, in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.reference import run_reference
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.kernels.reduce import mean_reference
from edgekit.kernels.softmax import softmax_reference

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def softmax_models(draw: st.DrawFn) -> bytes:
    # Rows stay below 512: TF 2.21's reference softmax aborts the process on long rows of
    # (nearly) equal values, so those cannot be compared.
    lead = draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    shape = (*lead, draw(st.integers(1, 300)))
    scale, zp = 10 ** draw(st.floats(-3, 0.5)), draw(st.integers(-128, 127))
    beta = draw(st.sampled_from([1.0, draw(st.floats(0.125, 3.0, width=32))]))
    return single_op_model("SOFTMAX", [TensorSpec(shape, scale=scale, zero_point=zp)],
                           [TensorSpec(shape, scale=1 / 256, zero_point=-128)], {"beta": beta})


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=3, **SETTINGS)
@given(models=st.lists(softmax_models(), min_size=6, max_size=6))
def test_softmax(rounding: str, models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(softmax_models(), min_size=4, max_size=4))
def test_softmax_sanitized(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


def test_softmax_in_place() -> None:
    model = single_op_model("SOFTMAX", [TensorSpec((5, 37), scale=0.07, zero_point=2)],
                            [TensorSpec((5, 37), scale=1 / 256, zero_point=-128)], {"beta": 1.0})
    check_in_place(model, sanitize=True)


def test_softmax_numpy_mirror_matches_reference() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, size=(8, 200)).astype(np.int8)
    model = single_op_model("SOFTMAX", [TensorSpec(x.shape, scale=0.02, zero_point=-9)],
                            [TensorSpec(x.shape, scale=1 / 256, zero_point=-128)], {"beta": 0.7})
    assert np.array_equal(softmax_reference(x, 0.02, 0.7, 1 / 256, -128), run_reference(model, [x])[0])


# Contiguous axis runs: spatial (1, 2) of NHWC in any order or sign, and others.
AXES = [(1, 2), (2, 1), (-3, -2), (1,), (2,), (3,), (-1,), (0, 1), (1, 2, 3)]


@st.composite
def mean_models(draw: st.DrawFn) -> bytes:
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(1, 9)),
             draw(st.integers(1, 12)))
    axes = draw(st.sampled_from(AXES))
    keep = draw(st.booleans())
    s_in, zp_in = 10 ** draw(st.floats(-3, 0)), draw(st.integers(-128, 127))
    if draw(st.booleans()):
        s_out, zp_out = s_in, zp_in  # same quantization (a separate path in older TFLite)
    else:
        s_out, zp_out = s_in * 10 ** draw(st.floats(-1.5, 1.5)), draw(st.integers(-128, 127))
    red = {a % 4 for a in axes}
    out = tuple(1 if d in red else n for d, n in enumerate(shape)) if keep else \
        tuple(n for d, n in enumerate(shape) if d not in red)
    return single_op_model(
        "MEAN", [TensorSpec(shape, scale=s_in, zero_point=zp_in),
                 TensorSpec((len(axes),), "int32", data=np.array(axes, dtype=np.int32))],
        [TensorSpec(out, scale=s_out, zero_point=zp_out)], {"keep_dims": keep})


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=3, **SETTINGS)
@given(models=st.lists(mean_models(), min_size=8, max_size=8))
def test_mean(rounding: str, models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(mean_models(), min_size=4, max_size=4))
def test_mean_sanitized(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


def test_mean_numpy_mirror_matches_reference() -> None:
    rng = np.random.default_rng(6)
    x = rng.integers(-128, 128, size=(2, 7, 5, 16)).astype(np.int8)
    model = single_op_model(
        "MEAN", [TensorSpec(x.shape, scale=0.04, zero_point=17),
                 TensorSpec((2,), "int32", data=np.array([1, 2], dtype=np.int32))],
        [TensorSpec((2, 16), scale=0.04, zero_point=17)], {"keep_dims": False})
    assert np.array_equal(mean_reference(x, (1, 2), 0.04, 17, 0.04, 17), run_reference(model, [x])[0])


@pytest.mark.xfail(strict=True, reason=(
    "known: on an exact float32 tie (probability 1.5 output steps) TF's compiled reference rounds "
    "the other way; edgekit follows the float-table algorithm as written (sequential float32 sum, "
    "std::round). The sum order or exp table inside TF's binary is not reproduced yet."))
def test_softmax_known_tie_case() -> None:
    """The one case found (by hypothesis) where the float-table algorithm and TF differ by 1 LSB."""
    from pathlib import Path

    data = np.load(Path(__file__).resolve().parent / "data" / "softmax_tie.npz")
    row = data["row"].reshape(1, -1)
    model = single_op_model("SOFTMAX", [TensorSpec(row.shape, scale=float(data["input_scale"]),
                                                   zero_point=int(data["input_zero_point"]))],
                            [TensorSpec(row.shape, scale=1 / 256, zero_point=-128)],
                            {"beta": float(data["beta"])})
    expected = run_reference(model, [row])[0]
    mine = softmax_reference(row, float(data["input_scale"]), float(data["beta"]), 1 / 256, -128)
    assert np.array_equal(mine, expected)
