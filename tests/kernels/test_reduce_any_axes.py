"""MEAN, SUM, REDUCE_MAX, REDUCE_MIN over any axes (negative, repeated, keep_dims both
ways) and ARG_MAX/ARG_MIN (int32 and int64 indices), against BUILTIN_REF and TFLite
Micro; batched host cases, ASan+UBSan.

SUM is checked against TFLite Micro only: TF 2.21's BUILTIN_REF int8 SUM is broken
(every output -1, see test_reference_sum_is_broken_in_tf), while TF's default kernel
agrees with TFLite Micro and with edgekit."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.kernels.reduce import reduce_space
from edgekit.load import load_tflite_bytes

# No shrinking: a batch of cases is one example, and the failure message names the case.
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}
REDUCERS = ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN")
NOT_SUM = ("MEAN", "REDUCE_MAX", "REDUCE_MIN")


@st.composite
def reduce_models(draw: st.DrawFn, tflm: bool = False) -> bytes:
    op_type = draw(st.sampled_from(REDUCERS if tflm else NOT_SUM))
    rank = draw(st.integers(1, 4 if tflm else 5))
    shape = tuple(draw(st.lists(st.integers(1, 6), min_size=rank, max_size=rank)))
    # TFLite Micro reduces at most two axes; the reference any number.
    axes = draw(st.lists(st.integers(-rank, rank - 1), min_size=1, max_size=2 if tflm else rank))
    if tflm:
        axes = list(dict.fromkeys(a % rank for a in axes))  # TFLM rejects repeated axes
    keep = draw(st.booleans())
    s_in, zp_in = 10 ** draw(st.floats(-3, 0)), draw(st.integers(-128, 127))
    if op_type.startswith("REDUCE_") or draw(st.integers(0, 4)) == 0:
        s_out, zp_out = s_in, zp_in
    else:
        s_out, zp_out = s_in * 10 ** draw(st.floats(-1, 2)), draw(st.integers(-128, 127))
    red = {a % rank for a in axes}
    out = tuple(1 if d in red else n for d, n in enumerate(shape)) if keep else \
        tuple(n for d, n in enumerate(shape) if d not in red)
    return single_op_model(
        op_type, [TensorSpec(shape, scale=s_in, zero_point=zp_in),
                  TensorSpec((len(axes),), "int32", data=np.array(axes, dtype=np.int32))],
        [TensorSpec(out, scale=s_out, zero_point=zp_out)], {"keep_dims": keep})


@st.composite
def arg_models(draw: st.DrawFn, tflm: bool = False) -> bytes:
    """TFLite Micro only runs int32 axes and int32 indices."""
    op_type = draw(st.sampled_from(["ARG_MAX", "ARG_MIN"]))
    rank = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=rank, max_size=rank)))
    axis = draw(st.integers(-rank, rank - 1))
    out_type = "int32" if tflm else draw(st.sampled_from(["int32", "int64"]))
    axis_type = "int32" if tflm else draw(st.sampled_from(["int32", "int64"]))
    out = tuple(n for d, n in enumerate(shape) if d != axis % rank)
    return single_op_model(
        op_type, [TensorSpec(shape, scale=0.1, zero_point=draw(st.integers(-128, 127))),
                  TensorSpec((1,), axis_type, data=np.array([axis], dtype=axis_type))],
        [TensorSpec(out, out_type)], {"output_type": 2 if out_type == "int32" else 4})


@settings(max_examples=4, **SETTINGS)
@given(models=st.lists(reduce_models(), min_size=12, max_size=12))
def test_reduce_reference(models: list[bytes]) -> None:
    check_models(models)


@settings(max_examples=3, **SETTINGS)
@given(models=st.lists(reduce_models(tflm=True), min_size=12, max_size=12))
def test_reduce_tflm(models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(reduce_models(tflm=True), min_size=8, max_size=8))
def test_reduce_sanitized(models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding="tflm"), sanitize=True)


def test_reference_sum_is_broken_in_tf() -> None:
    """Why SUM's oracle is TFLite Micro: BUILTIN_REF answers -1 everywhere, TF's default
    kernel and TFLite Micro give the rescaled sum (and so does edgekit)."""
    import tensorflow as tf
    from support.harness import run_op
    from support.reference import run_reference, run_tflm

    model = single_op_model("SUM", [TensorSpec((4, 4), scale=0.05, zero_point=3),
                                    TensorSpec((1,), "int32", data=np.array([1], np.int32))],
                            [TensorSpec((4,), scale=0.07, zero_point=-5)], {"keep_dims": False})
    x = np.random.default_rng(1).integers(-128, 128, (4, 4)).astype(np.int8)
    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    default = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    graph = load_tflite_bytes(model)
    ours = run_op(graph, graph.ops[0], [x])[0]
    assert np.array_equal(default, run_tflm(model, [x])[0]) and np.array_equal(default, ours)
    assert np.all(run_reference(model, [x])[0] == -1) and not np.all(default == -1)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_arg_min_max(rounding: str, data: st.DataObject) -> None:
    models = data.draw(st.lists(arg_models(tflm=rounding == "tflm"), min_size=10, max_size=10))
    check_models(models, LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(arg_models(), min_size=6, max_size=6))
def test_arg_min_max_sanitized(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


def test_arg_max_ties_give_the_first_index() -> None:
    """Few distinct values: ties everywhere."""
    from batch_harness import check_models as check

    model = single_op_model("ARG_MAX", [TensorSpec((3, 40), scale=0.1),
                                        TensorSpec((1,), "int32", data=np.array([1], np.int32))],
                            [TensorSpec((3,), "int32")], {"output_type": 2})
    check([model])  # random int8 over 40 elements ties at 127 often; the oracle decides


def test_reduce_space_merges_and_drops() -> None:
    space = reduce_space((2, 1, 3, 4, 5), {2, 3})
    assert (space.keep_dims, space.keep_strides) == ((2, 5), (60, 1))
    assert (space.red_dims, space.red_strides) == ((12,), (5,))
    everything = reduce_space((2, 3), {0, 1})
    assert (everything.keep_dims, everything.red_dims, everything.red_strides) == ((1,), (6,), (1,))


def _lower(model: bytes) -> None:
    graph = load_tflite_bytes(model)
    op = graph.ops[0]
    fn = lowering_for(op.type)
    assert fn is not None
    fn(graph, op, LoweringContext())


def test_unsupported_variants_name_op_and_reason() -> None:
    spec = TensorSpec((2, 3), scale=0.1)
    rescaled_max = single_op_model(
        "REDUCE_MAX", [spec, TensorSpec((1,), "int32", data=np.array([1], np.int32))],
        [TensorSpec((2,), scale=0.2)], {"keep_dims": False})
    with pytest.raises(UnsupportedOpError, match="REDUCE_MAX at index 0: the output must keep"):
        _lower(rescaled_max)
    two_axes = single_op_model(
        "ARG_MAX", [spec, TensorSpec((2,), "int32", data=np.array([0, 1], np.int32))],
        [TensorSpec((2,), "int32")], {"output_type": 2})
    with pytest.raises(UnsupportedOpError, match="ARG_MAX at index 0: exactly one axis"):
        _lower(two_axes)
    wrong_axis = single_op_model(
        "SUM", [spec, TensorSpec((1,), "int32", data=np.array([2], np.int32))],
        [TensorSpec((2,), scale=0.1)], {"keep_dims": False})
    with pytest.raises(UnsupportedOpError, match="SUM at index 0: axis 2 is out of range"):
        _lower(wrong_axis)
