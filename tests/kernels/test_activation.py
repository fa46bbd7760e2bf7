"""Single-input int8 ops (RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, HARD_SWISH, LOGISTIC,
TANH, QUANTIZE int8->int8) and float QUANTIZE / DEQUANTIZE.

The device side is a 256-entry table, so the tables are checked exhaustively (every int8
input) against BUILTIN_REF and TFLite Micro over hypothesis-drawn scales and zero points;
then the C kernels run on random shapes (batched), under ASan+UBSan, and in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.reference import run_oracle
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import EdgekitError
from edgekit.kernels.activation import lut_for
from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
LUT_OPS = ["RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "LOGISTIC", "TANH", "QUANTIZE"]
TFLM_OPS = [op for op in LUT_OPS if op != "RELU_N1_TO_1"]  # TFLite Micro has no RELU_N1_TO_1
ALL_INT8 = np.arange(-128, 128, dtype=np.int8)


@st.composite
def lut_cases(draw: st.DrawFn, op_type: str, rounding: str = "tflite") -> dict:
    s_in = 10 ** draw(st.floats(-4, 1))
    zp_in = draw(st.integers(-128, 127))
    if op_type == "LOGISTIC":
        s_out, zp_out = 1 / 256, -128  # TFLite requires these
    else:
        s_out = s_in * 10 ** draw(st.floats(-2, 2))
        zp_out = draw(st.integers(-128, 127))
    options = {"alpha": draw(st.floats(-2, 2, width=32))} if op_type == "LEAKY_RELU" else {}
    return {"s_in": s_in, "zp_in": zp_in, "s_out": s_out, "zp_out": zp_out, "options": options}


def lut_model(op_type: str, shape, s_in, zp_in, s_out, zp_out, options) -> bytes:
    return single_op_model(op_type, [TensorSpec(shape, scale=s_in, zero_point=zp_in)],
                           [TensorSpec(shape, scale=s_out, zero_point=zp_out)], options)


def _check_table(op_type: str, case: dict, rounding: str) -> None:
    model = lut_model(op_type, (1, 256), **case)
    graph = load_tflite_bytes(model)
    try:
        table = lut_for(graph, graph.ops[0], LoweringContext(rounding=rounding))
    except EdgekitError:
        # Only where TFLite refuses the op too (HARD_SWISH with a tiny output scale).
        with pytest.raises((RuntimeError, ValueError)):
            run_oracle(model, [ALL_INT8.reshape(1, 256)], rounding)
        return
    expected = np.asarray(run_oracle(model, [ALL_INT8.reshape(1, 256)], rounding)[0]).reshape(-1)
    got = table[ALL_INT8.astype(np.uint8)]
    assert np.array_equal(got, expected), (
        f"{op_type} table differs at inputs {ALL_INT8[got != expected][:8].tolist()}")


@pytest.mark.parametrize("op_type", LUT_OPS)
@settings(max_examples=25, **SETTINGS)
@given(data=st.data())
def test_table_equals_reference_for_every_input(op_type: str, data: st.DataObject) -> None:
    _check_table(op_type, data.draw(lut_cases(op_type)), "tflite")


@pytest.mark.parametrize("op_type", TFLM_OPS)
@settings(max_examples=8, **SETTINGS)
@given(data=st.data())
def test_table_equals_tflite_micro_for_every_input(op_type: str, data: st.DataObject) -> None:
    _check_table(op_type, data.draw(lut_cases(op_type, "tflm")), "tflm")


@pytest.mark.parametrize("op_type,s_in,zp_in,s_out,zp_out", [
    ("RELU6", 0.05, 3, 0.03, -20),  # TFLM clamps without requantizing
    ("TANH", 0.05, 3, 0.03, -20),  # TFLM ignores the output quantization (1/128, 0)
    ("LOGISTIC", 4.735459415790206, -57, 1 / 256, -128),  # gemmlowp vs float table
])
def test_ops_where_tf_and_tflite_micro_differ(op_type: str, s_in: float, zp_in: int,
                                              s_out: float, zp_out: int) -> None:
    # The two oracles must differ here, or --rounding tflm would test nothing new.
    model = lut_model(op_type, (1, 256), s_in, zp_in, s_out, zp_out, {})
    x = [ALL_INT8.reshape(1, 256)]
    assert not np.array_equal(run_oracle(model, x, "tflite")[0], run_oracle(model, x, "tflm")[0])


shapes = st.lists(st.integers(1, 9), min_size=1, max_size=4).map(tuple)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_lut_kernel_on_random_shapes(rounding: str, data: st.DataObject) -> None:
    ops = LUT_OPS if rounding == "tflite" else TFLM_OPS
    models = [lut_model(op, data.draw(shapes), **data.draw(lut_cases(op, rounding)))
              for op in ops if op != "HARD_SWISH"]
    models.append(lut_model("HARD_SWISH", data.draw(shapes), 0.05, 7, 0.02, -9, {}))
    check_models(models, LoweringContext(rounding=rounding), seed=len(models))


@st.composite
def float_cases(draw: st.DrawFn) -> tuple[bytes, bytes]:
    shape = draw(shapes)
    scale, zp = 10 ** draw(st.floats(-4, 1)), draw(st.integers(-128, 127))
    q = single_op_model("QUANTIZE", [TensorSpec(shape, "float32")],
                        [TensorSpec(shape, scale=scale, zero_point=zp)])
    d = single_op_model("DEQUANTIZE", [TensorSpec(shape, scale=scale, zero_point=zp)],
                        [TensorSpec(shape, "float32")])
    return q, d


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=2, **SETTINGS)
@given(cases=st.lists(float_cases(), min_size=4, max_size=4))
def test_float_quantize_dequantize(rounding: str, cases: list) -> None:
    check_models([m for pair in cases for m in pair], LoweringContext(rounding=rounding))


def test_quantize_rounds_ties_away_from_zero() -> None:
    # x / scale lands exactly on .5 for every input: round-half-even would differ.
    scale = 0.25
    x = ((np.arange(-100, 100) + 0.5) * scale).astype(np.float32)
    model = single_op_model("QUANTIZE", [TensorSpec((200,), "float32")],
                            [TensorSpec((200,), scale=scale, zero_point=-3)])
    from support.harness import run_op

    graph = load_tflite_bytes(model)
    got = run_op(graph, graph.ops[0], [x], sanitize=True)[0]
    assert np.array_equal(got, run_oracle(model, [x])[0].reshape(got.shape))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_lut_and_quantize_sanitized(data: st.DataObject) -> None:
    models = [lut_model(op, data.draw(shapes), **data.draw(lut_cases(op)))
              for op in ("LEAKY_RELU", "TANH", "QUANTIZE")]
    models += list(data.draw(float_cases()))
    check_models(models, sanitize=True)


@pytest.mark.parametrize("op_type", ["RELU6", "LOGISTIC", "LEAKY_RELU", "QUANTIZE"])
def test_lut_in_place(op_type: str) -> None:
    logistic = op_type == "LOGISTIC"
    case = {"s_in": 0.04, "zp_in": -5, "s_out": 1 / 256 if logistic else 0.03,
            "zp_out": -128 if logistic else 9,
            "options": {"alpha": 0.3} if op_type == "LEAKY_RELU" else {}}
    check_in_place(lut_model(op_type, (3, 5, 7), **case), sanitize=True)


def test_float_quantize_in_place() -> None:
    model = single_op_model("QUANTIZE", [TensorSpec((4, 33), "float32")],
                            [TensorSpec((4, 33), scale=0.02, zero_point=1)])
    graph = load_tflite_bytes(model)
    from support.harness import lower, random_inputs, run_op

    from edgekit.kernels.lowering import OpLowering

    x = random_inputs(graph, graph.ops[0], np.random.default_rng(1))
    base = lower(graph, graph.ops[0], LoweringContext())
    wrapped = OpLowering(call=base.call.replace("{out0}", "{in0}") + "\nmemcpy({out0}, {in0}, 132);",
                         headers=["string.h", *base.headers])
    got = run_op(graph, graph.ops[0], x, sanitize=True, lowering=wrapped)[0]
    assert np.array_equal(got, run_oracle(model, x)[0].reshape(got.shape))
