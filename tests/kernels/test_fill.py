"""SHAPE, FILL, ZEROS_LIKE, BROADCAST_TO, BROADCAST_ARGS, CAST and DYNAMIC_UPDATE_SLICE
against BUILTIN_REF and TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
dims = st.lists(st.integers(1, 4), min_size=1, max_size=4)
DTYPES = st.sampled_from(["int8", "int8", "int16", "int32"])


def spec(shape, dtype: str = "int8", data=None) -> TensorSpec:
    q = {"scale": 0.05, "zero_point": 4} if dtype == "int8" else {}
    return TensorSpec(tuple(shape), dtype, data=data, **q)


def ints(values, dtype: str = "int32") -> TensorSpec:
    values = np.asarray(values, dtype=dtype)
    return TensorSpec(values.shape, dtype, data=values)


@st.composite
def shape_models(draw: st.DrawFn, out_types=("int32", "int64")) -> bytes:
    shape, out = draw(dims), draw(st.sampled_from(out_types))
    return single_op_model("SHAPE", [spec(shape)], [TensorSpec((len(shape),), out)],
                           {"out_type": 2 if out == "int32" else 4})


@st.composite
def fill_models(draw: st.DrawFn, dtypes=DTYPES) -> bytes:
    shape, dtype = draw(dims), draw(dtypes)
    const = draw(st.booleans())
    value = np.array(draw(st.integers(-100, 100)), dtype=dtype)
    return single_op_model("FILL", [ints(shape), spec((), dtype, value if const else None)],
                           [spec(shape, dtype)])


@st.composite
def zeros_like_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(st.sampled_from(["int32", "int64"]))  # what TFLite takes
    return single_op_model("ZEROS_LIKE", [spec(shape, dtype)], [spec(shape, dtype)])


@st.composite
def broadcast_to_models(draw: st.DrawFn) -> bytes:
    out, dtype = draw(dims), draw(DTYPES)
    rank = draw(st.integers(0, len(out)))
    shape = [d if draw(st.booleans()) else 1 for d in out[len(out) - rank:]]
    return single_op_model("BROADCAST_TO", [spec(shape, dtype), ints(out)], [spec(out, dtype)])


@st.composite
def broadcast_args_case(draw: st.DrawFn) -> tuple[bytes, list[np.ndarray]]:
    out, dtype = draw(dims), draw(st.sampled_from(["int32", "int64"]))
    a = [d if draw(st.booleans()) else 1 for d in out]
    b = [d if draw(st.booleans()) or x == 1 else 1 for d, x in zip(out, a)][draw(st.integers(0, len(out) - 1)):]
    model = single_op_model("BROADCAST_ARGS", [ints(a, dtype), TensorSpec((len(b),), dtype)],
                            [TensorSpec((len(a),), dtype)])
    return model, [np.asarray(b, dtype)]


CAST_TYPES = ("int8", "uint8", "int16", "int32", "bool")
CAST_PAIRS = [(a, b) for a in CAST_TYPES for b in CAST_TYPES if a != b]
TFLM_CAST_PAIRS = [(a, b) for a, b in CAST_PAIRS if "uint8" not in (a, b)]  # what TFLite Micro runs


@st.composite
def cast_case(draw: st.DrawFn, pairs=CAST_PAIRS) -> tuple[bytes, list[np.ndarray]]:
    shape = draw(dims)
    a, b = draw(st.sampled_from(pairs))
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    lo, hi = (0, 1) if a == "bool" else (np.iinfo(a).min, np.iinfo(a).max)
    x = rng.integers(lo, hi, size=shape, endpoint=True).astype(a)
    x.reshape(-1)[0] = 0  # zero and the extremes: bool and narrowing edges
    return single_op_model("CAST", [TensorSpec(shape, a)], [TensorSpec(shape, b)]), [x]


@st.composite
def update_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    update = [draw(st.integers(1, d)) for d in shape]
    # Starts past the end are clamped by TFLite; the oracle decides.
    start = [draw(st.integers(-1, d)) for d in shape]
    return single_op_model("DYNAMIC_UPDATE_SLICE", [spec(shape, dtype), spec(update, dtype),
                                                    ints(start)], [spec(shape, dtype)])


MAKERS = {"SHAPE": shape_models, "FILL": fill_models, "ZEROS_LIKE": zeros_like_models,
          "DYNAMIC_UPDATE_SLICE": update_models}
TFLM_MAKERS = {"SHAPE": lambda: shape_models(("int32",)),
               "FILL": lambda: fill_models(st.sampled_from(["int8", "int32"])),
               "ZEROS_LIKE": zeros_like_models, "DYNAMIC_UPDATE_SLICE": update_models,
               "BROADCAST_TO": broadcast_to_models}  # TF's BUILTIN_REF has no BROADCAST_TO


@pytest.mark.parametrize("op_type", list(MAKERS))
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_fill_ops(op_type: str, data: st.DataObject) -> None:
    check_models(data.draw(st.lists(MAKERS[op_type](), min_size=8, max_size=8)))


@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_fill_ops_tflite_micro(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in TFLM_MAKERS.values() for _ in range(4)],
                 LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_fill_ops_sanitized(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in MAKERS.values() for _ in range(3)], sanitize=True)
    check_models([data.draw(broadcast_to_models()) for _ in range(6)], LoweringContext(rounding="tflm"),
                 sanitize=True)


@settings(max_examples=8, **SETTINGS)
@given(case=cast_case())
def test_cast(case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, inputs=inputs, sanitize=True)


@settings(max_examples=4, **SETTINGS)
@given(case=cast_case(TFLM_CAST_PAIRS))
def test_cast_tflite_micro(case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, LoweringContext(rounding="tflm"), inputs=inputs)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=4, **SETTINGS)
@given(case=broadcast_args_case())
def test_broadcast_args(rounding: str, case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, LoweringContext(rounding=rounding), inputs=inputs, sanitize=rounding == "tflite")


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_dynamic_update_slice_start_as_input(rounding: str) -> None:
    model = single_op_model("DYNAMIC_UPDATE_SLICE", [spec((4, 5)), spec((2, 3)), TensorSpec((2,), "int32")],
                            [spec((4, 5))])
    rng = np.random.default_rng(1)
    for start in ([0, 0], [1, 2], [3, 4], [-2, 9]):
        x = [rng.integers(-128, 128, (4, 5)).astype(np.int8), rng.integers(-128, 128, (2, 3)).astype(np.int8),
             np.array(start, np.int32)]
        check_model(model, LoweringContext(rounding=rounding), inputs=x, sanitize=rounding == "tflite")


def test_cast_from_float_is_refused() -> None:
    model = single_op_model("CAST", [TensorSpec((3,), "float32")], [TensorSpec((3,), "int32")])
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match="CAST at index 0: float32 is not an integer"):
        lowering_for("CAST")(graph, graph.ops[0], LoweringContext())
