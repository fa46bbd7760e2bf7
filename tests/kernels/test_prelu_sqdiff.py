"""PRELU (per-channel constant alpha, broadcast, and activation alpha) and
SQUARED_DIFFERENCE (broadcasting, different scales) against BUILTIN_REF and TFLite
Micro; batched host cases, ASan+UBSan, in place."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_in_place, check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model
from test_compare_select import broadcast_shapes

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}


@st.composite
def prelu_models(draw: st.DrawFn) -> bytes:
    a, alpha = draw(broadcast_shapes(2))
    x = out = tuple(np.broadcast_shapes(a, alpha))  # TFLite: alpha broadcasts into x
    s_in, zp_in = 10 ** draw(st.floats(-3, 0)), draw(st.integers(-128, 127))
    s_a, zp_a = 10 ** draw(st.floats(-3, -1)), draw(st.integers(-128, 127))
    s_out, zp_out = s_in * 10 ** draw(st.floats(-1, 1)), draw(st.integers(-128, 127))
    data = None
    if draw(st.booleans()):  # Keras PReLU: a constant alpha
        data = np.random.default_rng(draw(st.integers(0, 99))).integers(-128, 128, alpha).astype(np.int8)
    return single_op_model("PRELU", [TensorSpec(x, scale=s_in, zero_point=zp_in),
                                     TensorSpec(alpha, scale=s_a, zero_point=zp_a, data=data)],
                           [TensorSpec(out, scale=s_out, zero_point=zp_out)])


@st.composite
def sqdiff_models(draw: st.DrawFn) -> bytes:
    a, b = draw(broadcast_shapes(2))
    out = tuple(np.broadcast_shapes(a, b))
    s1 = 10 ** draw(st.floats(-3, 0))
    s2 = s1 * 10 ** draw(st.floats(-1, 1)) if draw(st.booleans()) else s1
    # The output scale must exceed 4 max(s)^2 / 2^14 (TFLite refuses smaller ones).
    s_out = 4 * max(s1, s2) ** 2 / 2 ** 14 * 10 ** draw(st.floats(0.01, 4))
    return single_op_model("SQUARED_DIFFERENCE",
                           [TensorSpec(a, scale=s1, zero_point=draw(st.integers(-128, 127))),
                            TensorSpec(b, scale=s2, zero_point=draw(st.integers(-128, 127)))],
                           [TensorSpec(out, scale=s_out, zero_point=draw(st.integers(-128, 127)))])


ALL = st.one_of(prelu_models(), sqdiff_models())


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@settings(max_examples=4, **SETTINGS)
@given(models=st.lists(ALL, min_size=12, max_size=12))
def test_prelu_squared_difference(rounding: str, models: list[bytes]) -> None:
    check_models(models, LoweringContext(rounding=rounding))


@settings(max_examples=1, **SETTINGS)
@given(models=st.lists(ALL, min_size=8, max_size=8))
def test_prelu_squared_difference_sanitized(models: list[bytes]) -> None:
    check_models(models, sanitize=True)


def test_prelu_in_place() -> None:
    alpha = np.arange(-8, 8, dtype=np.int8)
    model = single_op_model("PRELU", [TensorSpec((2, 3, 16), scale=0.05, zero_point=4),
                                      TensorSpec((16,), scale=0.01, zero_point=-2, data=alpha)],
                            [TensorSpec((2, 3, 16), scale=0.04, zero_point=-1)])
    check_in_place(model, sanitize=True)
