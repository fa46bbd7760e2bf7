"""AVERAGE_POOL_2D / MAX_POOL_2D against BUILTIN_REF and TFLM (window clipping, rounding)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, pool_model
from support.harness import check_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def pool_cases(draw: st.DrawFn) -> dict:
    fh, fw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return {"seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 2])),
                "h": draw(st.integers(fh, fh + 6)), "w": draw(st.integers(fw, fw + 6)),
                "c": draw(st.integers(1, 9)), "fh": fh, "fw": fw,
                "stride": draw(st.sampled_from([(1, 1), (2, 2), (1, 2), (3, 3)])),
                "padding": draw(st.sampled_from(["SAME", "VALID"])),
                "activation": draw(st.sampled_from(ACTIVATIONS)), "zp": draw(st.integers(-128, 127))}


@pytest.mark.parametrize("op_type", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=25, **SETTINGS)
@given(case=pool_cases())
def test_pool_matches_reference(op_type: str, case: dict) -> None:
    check_model(pool_model(op_type, **case))


@pytest.mark.parametrize("op_type", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=8, **SETTINGS)
@given(case=pool_cases())
def test_pool_matches_tflite_micro(op_type: str, case: dict) -> None:
    check_model(pool_model(op_type, **case), LoweringContext(rounding="tflm"))


@pytest.mark.parametrize("op_type", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=5, **SETTINGS)
@given(case=pool_cases())
def test_pool_sanitized(op_type: str, case: dict) -> None:
    check_model(pool_model(op_type, **case), sanitize=True)
