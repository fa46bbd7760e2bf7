"""PACK, UNPACK, SPLIT, SPLIT_V (several outputs) against BUILTIN_REF and TFLite Micro,
int8 and wider elements, negative axes, constant inputs."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
dims = st.lists(st.integers(1, 5), min_size=1, max_size=4)
DTYPES = st.sampled_from(["int8", "int8", "int32", "int16"])


def spec(shape, dtype: str, data=None) -> TensorSpec:
    q = {"scale": 0.05, "zero_point": 2} if dtype == "int8" else {}
    return TensorSpec(tuple(shape), dtype, data=data, **q)


def i32(values) -> TensorSpec:
    values = np.asarray(values, dtype=np.int32)
    return TensorSpec(values.shape, "int32", data=values)


@st.composite
def pack_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(st.lists(st.integers(1, 5), max_size=3)), draw(DTYPES)
    n = draw(st.integers(1, 4))
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    inputs = [spec(shape, dtype, rng.integers(-100, 100, shape) if k and draw(st.booleans()) else None)
              for k in range(n)]
    a = axis % (len(shape) + 1)
    out = shape[:a] + [n] + shape[a:]
    return single_op_model("PACK", inputs, [spec(out, dtype)], {"axis": axis, "values_count": n})


@st.composite
def unpack_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    a = axis % len(shape)
    out = shape[:a] + shape[a + 1:]
    return single_op_model("UNPACK", [spec(shape, dtype)], [spec(out, dtype)] * shape[a],
                           {"axis": axis, "num": shape[a]})


@st.composite
def split_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    a = axis % len(shape)
    n = draw(st.sampled_from([k for k in range(1, shape[a] + 1) if shape[a] % k == 0]))
    out = list(shape)
    out[a] = shape[a] // n
    return single_op_model("SPLIT", [i32(axis), spec(shape, dtype)], [spec(out, dtype)] * n,
                           {"num_splits": n})


@st.composite
def split_v_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    a = axis % len(shape)
    cuts = sorted(draw(st.lists(st.integers(0, shape[a]), max_size=3)))
    sizes = np.diff([0, *cuts, shape[a]]).tolist()
    given_sizes = list(sizes)
    if draw(st.booleans()):  # TFLite infers one size given as -1
        given_sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    outs = []
    for s in sizes:
        o = list(shape)
        o[a] = s
        outs.append(spec(o, dtype))
    return single_op_model("SPLIT_V", [spec(shape, dtype), i32(given_sizes), i32(axis)], outs,
                           {"num_splits": len(sizes)})


MAKERS = {"PACK": pack_models, "UNPACK": unpack_models, "SPLIT": split_models, "SPLIT_V": split_v_models}


@pytest.mark.parametrize("op_type", list(MAKERS))
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_split_pack_ops(op_type: str, data: st.DataObject) -> None:
    check_models(data.draw(st.lists(MAKERS[op_type](), min_size=8, max_size=8)))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_split_pack_tflite_micro(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in MAKERS.values() for _ in range(3)],
                 LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_split_pack_sanitized(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in MAKERS.values() for _ in range(3)], sanitize=True)
