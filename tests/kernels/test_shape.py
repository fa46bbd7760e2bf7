"""TRANSPOSE, STRIDED_SLICE, PAD/PADV2, CONCATENATION and the RESHAPE/SQUEEZE/EXPAND_DIMS
aliases against BUILTIN_REF and TFLite Micro; batched host cases and ASan+UBSan."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.reference import run_oracle
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext, lower_op, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
Q = {"scale": 0.05, "zero_point": -3}
Q16 = {"scale": 0.05, "zero_point": 0}  # int16x8 activations: zero point 0


def q(dtype: str) -> dict:
    return Q16 if dtype == "int16" else Q
dims = st.lists(st.integers(1, 6), min_size=1, max_size=5).map(tuple)


def i32(values) -> TensorSpec:
    values = np.asarray(values, dtype=np.int32)
    return TensorSpec(values.shape, "int32", data=values)


@st.composite
def transpose_models(draw: st.DrawFn, dtype: str = "int8") -> bytes:
    shape = draw(dims)
    perm = draw(st.permutations(range(len(shape))))
    out = tuple(shape[p] for p in perm)
    return single_op_model("TRANSPOSE", [TensorSpec(shape, dtype, **q(dtype)), i32(perm)],
                           [TensorSpec(out, dtype, **q(dtype))])


@st.composite
def slice_models(draw: st.DrawFn, dtype: str = "int8") -> bytes:
    import tensorflow as tf

    shape = draw(st.lists(st.integers(1, 7), min_size=1, max_size=4).map(tuple))
    n = len(shape)
    begin = [draw(st.integers(-d, d)) for d in shape]
    end = [draw(st.integers(-d - 1, d + 1)) for d in shape]
    strides = [draw(st.sampled_from([1, 1, 2, 3, -1, -2])) for _ in shape]
    masks = {k: draw(st.integers(0, (1 << n) - 1)) for k in ("begin_mask", "end_mask")}
    shrink = draw(st.integers(0, (1 << n) - 1))
    for i in range(n):  # a shrunk axis takes one valid index
        if shrink >> i & 1:
            begin[i] = draw(st.integers(-shape[i], shape[i] - 1))
            end[i], strides[i] = begin[i] + 1, 1
    masks["shrink_axis_mask"] = shrink
    # The output shape comes from TensorFlow itself, not from edgekit's lowering.
    out = tuple(tf.strided_slice(np.zeros(shape, np.int8), begin, end, strides, **masks).shape)
    return single_op_model("STRIDED_SLICE", [TensorSpec(shape, dtype, **q(dtype)), i32(begin), i32(end),
                                             i32(strides)], [TensorSpec(out, dtype, **q(dtype))], masks)


@st.composite
def pad_models(draw: st.DrawFn, dtype: str = "int8") -> bytes:
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple))
    pads = [[draw(st.integers(0, 3)), draw(st.integers(0, 3))] for _ in shape]
    out = tuple(d + a + b for d, (a, b) in zip(shape, pads))
    zp = draw(st.integers(-128, 127)) if dtype == "int8" else 0
    inputs = [TensorSpec(shape, dtype, scale=0.1, zero_point=zp), i32(pads)]
    if draw(st.booleans()):
        values = st.integers(-128, 127) if dtype == "int8" else st.sampled_from([0, -1])
        value = np.array(draw(values), dtype=dtype)
        inputs.append(TensorSpec((), dtype, scale=0.1, zero_point=zp, data=value))
        return single_op_model("PADV2", inputs, [TensorSpec(out, dtype, scale=0.1, zero_point=zp)])
    return single_op_model("PAD", inputs, [TensorSpec(out, dtype, scale=0.1, zero_point=zp)])


@st.composite
def concat_models(draw: st.DrawFn, dtype: str = "int8") -> bytes:
    shape = list(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    parts, inputs = [], []
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    for _ in range(draw(st.integers(1, 4))):
        s = list(shape)
        s[axis] = draw(st.integers(1, 4))
        parts.append(s[axis])
        const = draw(st.booleans()) and len(inputs) > 0  # keep one activation input
        info = np.iinfo(dtype)
        data = rng.integers(info.min, info.max, size=s, endpoint=True).astype(dtype) if const else None
        inputs.append(TensorSpec(tuple(s), dtype, data=data, **q(dtype)))
    out = list(shape)
    out[axis] = sum(parts)
    return single_op_model("CONCATENATION", inputs, [TensorSpec(tuple(out), dtype, **q(dtype))], {"axis": axis})


MAKERS = {"TRANSPOSE": transpose_models, "STRIDED_SLICE": slice_models, "PAD": pad_models,
          "CONCATENATION": concat_models}


@pytest.mark.parametrize("op_type", list(MAKERS))
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_shape_ops(op_type: str, data: st.DataObject) -> None:
    models = data.draw(st.lists(MAKERS[op_type](), min_size=8, max_size=8))
    check_models(models)


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_shape_ops_tflite_micro(data: st.DataObject) -> None:
    models = [data.draw(make()) for make in MAKERS.values() for _ in range(2)]
    check_models(models, LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_shape_ops_sanitized(data: st.DataObject) -> None:
    models = [data.draw(make()) for make in MAKERS.values() for _ in range(2)]
    check_models(models, sanitize=True)


@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_shape_ops_int16(data: st.DataObject) -> None:
    """int16x8 tensors (2-byte elements, zero point 0) through every data-movement kernel,
    against both oracles, once under ASan+UBSan."""
    models = [data.draw(make(dtype="int16")) for make in MAKERS.values() for _ in range(3)]
    check_models(models, seed=data.draw(st.integers(0, 1000)))
    # TFLite Micro cannot allocate an empty output (a slice that selects nothing).
    micro = [m for m in models if load_tflite_bytes(m).tensors[load_tflite_bytes(m).ops[0].outputs[0]].num_elements]
    check_models(micro, LoweringContext(rounding="tflm"), sanitize=data.draw(st.booleans()))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
@pytest.mark.parametrize("op_type,out_shape,extra", [
    ("RESHAPE", (6, 4), [i32([6, 4])]),
    ("SQUEEZE", (2, 3, 4), []),
    ("EXPAND_DIMS", (2, 1, 1, 3, 4), [i32([1])]),
])
def test_reshape_family_is_a_byte_alias(op_type: str, out_shape: tuple, extra: list, dtype: str) -> None:
    in_shape = (2, 1, 3, 4)
    options = {"squeeze_dims": [1]} if op_type == "SQUEEZE" else {}
    # RESHAPE/SQUEEZE: output quantized differently on purpose, TFLite still copies the
    # bytes verbatim (EXPAND_DIMS insists on equal quantization).
    out_q = q(dtype) if op_type == "EXPAND_DIMS" else {"scale": 0.07, "zero_point": 5 if dtype == "int8" else 0}
    model = single_op_model(op_type, [TensorSpec(in_shape, dtype, **q(dtype)), *extra],
                            [TensorSpec(out_shape, dtype, **out_q)], options)
    graph = load_tflite_bytes(model)
    lowering = lower_op(graph, graph.ops[0], LoweringContext())
    assert lowering is not None and lowering.memory.view_of == 0 and lowering.call.strip() == ""
    info = np.iinfo(dtype)
    x = np.random.default_rng(3).integers(info.min, info.max, size=in_shape, endpoint=True).astype(dtype)
    for rounding in ("tflite", "tflm"):
        out = np.asarray(run_oracle(model, [x], rounding)[0])
        assert out.tobytes() == x.tobytes(), f"{op_type} is not a byte copy under {rounding}"


def test_concatenation_rejects_mixed_quantization() -> None:
    model = single_op_model("CONCATENATION", [TensorSpec((2, 3), **Q), TensorSpec((2, 3), scale=0.1)],
                            [TensorSpec((2, 6), **Q)], {"axis": 1})
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match="CONCATENATION"):
        lowering_for("CONCATENATION")(graph, graph.ops[0], LoweringContext())
