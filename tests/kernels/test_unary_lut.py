"""ABS, NEG, ELU, GELU (exact and tanh-approximate) and RSQRT as host-built lookup tables: every one of the 256 inputs against
BUILTIN_REF and TFLite Micro where each has the int8 kernel (TFLM has no int8 NEG; TF's
BUILTIN_REF has no int8 ELU, TFLM no GELU), over random scales and zero points, under ASan+UBSan."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}
ORACLES = {"ABS": ("tflite", "tflm"), "NEG": ("tflite",), "ELU": ("tflm",), "GELU": ("tflite",),
           "RSQRT": ("tflite", "tflm")}
EVERY_INT8 = np.arange(-128, 128, dtype=np.int8).reshape(2, 128)


@st.composite
def unary_model(draw: st.DrawFn, op_type: str) -> bytes:
    s_in, zp_in = 10 ** draw(st.floats(-3, 0.5)), draw(st.integers(-128, 127))
    same = op_type == "NEG" or draw(st.integers(0, 3)) == 0
    s_out = s_in if same else s_in * 10 ** draw(st.floats(-1, 1))
    zp_out = draw(st.integers(-128, 127))
    options = {"approximate": draw(st.booleans())} if op_type == "GELU" else {}
    return single_op_model(op_type, [TensorSpec(EVERY_INT8.shape, scale=s_in, zero_point=zp_in)],
                           [TensorSpec(EVERY_INT8.shape, scale=s_out, zero_point=zp_out)], options)


@pytest.mark.parametrize("op_type,rounding", [(op, r) for op, rs in ORACLES.items() for r in rs])
@settings(max_examples=12, **SETTINGS)
@given(data=st.data())
def test_every_input(op_type: str, rounding: str, data: st.DataObject) -> None:
    model = data.draw(unary_model(op_type))
    x = EVERY_INT8
    if op_type == "RSQRT":  # TFLite fails on negative reals: feed x >= zp_in only
        zp = load_tflite_bytes(model).tensors[0].quant.zero_point[0]
        x = np.maximum(EVERY_INT8, zp).astype(np.int8)
    check_model(model, LoweringContext(rounding=rounding), inputs=[x])


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(unary_model("ABS"), min_size=4, max_size=4))
def test_abs_sanitized_random_shapes(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


def test_neg_is_raw_negation_as_in_tf() -> None:
    """TF ignores NEG's zero points: the table is -x with -(-128) == -128."""
    model = single_op_model("NEG", [TensorSpec(EVERY_INT8.shape, scale=0.1, zero_point=-10)],
                            [TensorSpec(EVERY_INT8.shape, scale=0.1, zero_point=-20)])
    out = check_model(model, inputs=[EVERY_INT8])[0].reshape(-1)
    assert out[0] == -128 and out[-1] == -127
