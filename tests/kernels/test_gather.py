"""GATHER (axis, batch_dims, int32/int64 indices), EMBEDDING_LOOKUP and GATHER_ND against
BUILTIN_REF and TFLite Micro, with constant indices and with indices as model inputs."""

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
Q = {"scale": 0.05, "zero_point": -3}
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4)


@st.composite
def gather_case(draw: st.DrawFn, index_dtype: str | None = None, const_indices: bool = True,
                const_params: bool | None = None) -> tuple[bytes, list[np.ndarray]]:
    """(model, the activation inputs in order): indices always in range."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    pshape = draw(shapes)
    axis = draw(st.integers(0, len(pshape) - 1))
    batch_dims = draw(st.integers(0, axis))
    ishape = pshape[:batch_dims] + draw(st.lists(st.integers(1, 4), max_size=2))
    dtype = index_dtype or draw(st.sampled_from(["int32", "int64"]))
    indices = rng.integers(0, pshape[axis], size=ishape).astype(dtype)
    params = rng.integers(-128, 128, size=pshape).astype(np.int8)
    if const_params is None:
        const_params = draw(st.booleans()) and not const_indices
    out = pshape[:axis] + ishape[batch_dims:] + pshape[axis + 1:]
    # Negative axis / batch_dims half of the time: TFLite normalizes them.
    opts = {"axis": axis - len(pshape) if draw(st.booleans()) else axis, "batch_dims": batch_dims}
    model = single_op_model("GATHER", [
        TensorSpec(pshape, data=params if const_params else None, **Q),
        TensorSpec(ishape, dtype, data=indices if const_indices else None)],
        [TensorSpec(out, **Q)], opts)
    inputs = ([] if const_params else [params]) + ([] if const_indices else [indices])
    return model, inputs


@settings(max_examples=4, **SETTINGS)
@given(data=st.data())
def test_gather_constant_indices(data: st.DataObject) -> None:
    check_models([data.draw(gather_case())[0] for _ in range(10)])


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_gather_constant_indices_tflite_micro_and_sanitized(data: st.DataObject) -> None:
    models = [data.draw(gather_case("int32"))[0] for _ in range(8)]
    check_models(models, LoweringContext(rounding="tflm"))
    check_models(models, sanitize=True)


@settings(max_examples=6, **SETTINGS)
@given(case=gather_case(const_indices=False))
def test_gather_indices_as_input(case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, inputs=inputs, sanitize=True)


@settings(max_examples=3, **SETTINGS)
@given(case=gather_case("int32", const_indices=False))
def test_gather_indices_as_input_tflite_micro(case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, LoweringContext(rounding="tflm"), inputs=inputs)


@st.composite
def embedding_case(draw: st.DrawFn) -> tuple[bytes, list[np.ndarray]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    table = [draw(st.integers(1, 9))] + draw(st.lists(st.integers(1, 5), min_size=1, max_size=2))
    n = draw(st.integers(1, 6))
    ids = rng.integers(0, table[0], size=n).astype(np.int32)
    values = rng.integers(-128, 128, size=table).astype(np.int8)
    model = single_op_model("EMBEDDING_LOOKUP", [TensorSpec((n,), "int32"),
                                                 TensorSpec(table, data=values, **Q)],
                            [TensorSpec([n] + table[1:], **Q)])
    return model, [ids]


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=4, **SETTINGS)
@given(case=embedding_case())
def test_embedding_lookup(rounding: str, case: tuple[bytes, list[np.ndarray]]) -> None:
    model, inputs = case
    check_model(model, LoweringContext(rounding=rounding), inputs=inputs, sanitize=rounding == "tflite")


@st.composite
def gather_nd_case(draw: st.DrawFn, const_indices: bool) -> tuple[bytes, list[np.ndarray]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    pshape = draw(shapes)
    depth = draw(st.integers(1, len(pshape)))
    ishape = draw(st.lists(st.integers(1, 4), max_size=2)) + [depth]
    indices = np.stack([rng.integers(0, d, size=ishape[:-1]) for d in pshape[:depth]],
                       axis=-1).astype(np.int32)
    params = rng.integers(-128, 128, size=pshape).astype(np.int8)
    model = single_op_model("GATHER_ND", [
        TensorSpec(pshape, **Q), TensorSpec(ishape, "int32", data=indices if const_indices else None)],
        [TensorSpec(ishape[:-1] + pshape[depth:], **Q)])
    return model, [params] + ([] if const_indices else [indices])


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=5, **SETTINGS)
@given(data=st.data())
def test_gather_nd(rounding: str, data: st.DataObject) -> None:
    model, inputs = data.draw(gather_nd_case(data.draw(st.booleans())))
    check_model(model, LoweringContext(rounding=rounding), inputs=inputs, sanitize=rounding == "tflite")


def test_out_of_range_index_reads_nothing_outside() -> None:
    """TFLite fails such an invoke; edgekit's kernel must stay inside the table (ASan)."""
    model = single_op_model("GATHER", [TensorSpec((3, 4), **Q), TensorSpec((3,), "int32")],
                            [TensorSpec((3, 4), **Q)])
    graph = load_tflite_bytes(model)
    from support.harness import run_op

    table = np.arange(12, dtype=np.int8).reshape(3, 4)
    out = run_op(graph, graph.ops[0], [table, np.array([2, 7, -1], np.int32)], sanitize=True)[0]
    assert out.tolist() == [[8, 9, 10, 11], [0, 0, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize("index_type", ["int16", "float32"])
def test_gather_rejects_other_index_types(index_type: str) -> None:
    model = single_op_model("GATHER", [TensorSpec((3, 4), **Q), TensorSpec((2,), index_type)],
                            [TensorSpec((2, 4), **Q)])
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match=f"GATHER at index 0: indices are {index_type}"):
        lowering_for("GATHER")(graph, graph.ops[0], LoweringContext())


def test_gather_rejects_constant_index_out_of_range() -> None:
    model = single_op_model("GATHER", [TensorSpec((3, 4), **Q),
                                       TensorSpec((2,), "int32", data=np.array([1, 3], np.int32))],
                            [TensorSpec((2, 4), **Q)])
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match=r"indices \[3\] out of range 0..2"):
        lowering_for("GATHER")(graph, graph.ops[0], LoweringContext())
