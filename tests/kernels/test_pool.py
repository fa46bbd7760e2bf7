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


@st.composite
def pool_x4_cases(draw: st.DrawFn) -> dict:
    """Channels a multiple of 4: the DSP boards' four-channels-per-word kernels."""
    return {**draw(pool_cases()), "c": draw(st.sampled_from([4, 8, 12, 16]))}


@pytest.mark.parametrize("op_type", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=20, **SETTINGS)
@given(case=pool_x4_cases(), rounding=st.sampled_from(["tflite", "tflm"]))
def test_pool_x4_matches_oracle(op_type: str, case: dict, rounding: str) -> None:
    check_model(pool_model(op_type, **case), LoweringContext(rounding=rounding, variant="arm-dsp"))


@pytest.mark.parametrize("op_type", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
@settings(max_examples=5, **SETTINGS)
@given(case=pool_x4_cases())
def test_pool_x4_sanitized(op_type: str, case: dict) -> None:
    check_model(pool_model(op_type, **case), LoweringContext(variant="arm-dsp"), sanitize=True)


@pytest.mark.parametrize("zp", [-128, 127])
def test_avgpool_x4_flushes_int16_lanes(zp: int) -> None:
    """A 20x20 window (400 values per channel, 12 rows per int16 flush) of extreme inputs."""
    check_model(pool_model("AVERAGE_POOL_2D", seed=3, n=1, h=21, w=20, c=8, fh=20, fw=20, zp=zp),
                LoweringContext(variant="arm-dsp"), sanitize=True)


def test_pool_x4_chosen_by_channels() -> None:
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    for c, fw, variant, name in [(8, 3, "arm-dsp", "ek_avgpool_s8_x4("), (6, 3, "arm-dsp", "ek_avgpool_s8("),
                                 (8, 3, "portable", "ek_avgpool_s8("), (4, 256, "arm-dsp", "ek_avgpool_s8(")]:
        graph = load_tflite_bytes(pool_model("AVERAGE_POOL_2D", seed=1, n=1, h=3, w=fw, c=c, fh=3, fw=fw))
        assert name in lower(graph, graph.ops[0], LoweringContext(variant=variant)).call
