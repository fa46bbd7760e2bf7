"""DEPTHWISE_CONV_2D against BUILTIN_REF / TFLM: portable and packed (3x3 fast path) kernels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS, depthwise_model
from support.harness import check_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def dw_cases(draw: st.DrawFn) -> dict:
    k = draw(st.sampled_from([(3, 3), (3, 3), (1, 1), (5, 5), (2, 3)]))
    dil = draw(st.sampled_from([(1, 1), (1, 1), (2, 2), (2, 1)]))
    min_hw = (k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1
    return {
        "seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 1, 2])),
        "h": draw(st.integers(min_hw[0], min_hw[0] + 6)), "w": draw(st.integers(min_hw[1], min_hw[1] + 6)),
        "cin": draw(st.sampled_from([1, 3, 4, 8, 12])), "multiplier": draw(st.sampled_from([1, 1, 1, 2, 3])),
        "kh": k[0], "kw": k[1], "stride": draw(st.sampled_from([(1, 1), (1, 1), (2, 2), (1, 2)])),
        "dilation": dil, "padding": draw(st.sampled_from(["SAME", "VALID"])),
        "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
        "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
        "per_channel": draw(st.booleans())}


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=25, **SETTINGS)
@given(case=dw_cases())
def test_depthwise_matches_reference(variant: str, case: dict) -> None:
    check_model(depthwise_model(**case), LoweringContext(variant=variant))


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=6, **SETTINGS)
@given(case=dw_cases())
def test_depthwise_matches_tflite_micro(variant: str, case: dict) -> None:
    check_model(depthwise_model(**case), LoweringContext(rounding="tflm", variant=variant))


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=6, **SETTINGS)
@given(case=dw_cases())
def test_depthwise_sanitized(variant: str, case: dict) -> None:
    check_model(depthwise_model(**case), LoweringContext(variant=variant), sanitize=True)


@settings(max_examples=20, **SETTINGS)
@given(case=dw_cases())
def test_depthwise_3x3_smlad_kernel(case: dict) -> None:
    """ek_depthwise_s8_3x3 on every shape it accepts (the size policy normally keeps it for
    wide rows only), host and sanitizers."""
    import edgekit.kernels.depthwise as dw

    old = dw.SMLAD_3X3_MIN_WIDTH
    dw.SMLAD_3X3_MIN_WIDTH = 0
    try:
        case = {**case, "kh": 3, "kw": 3, "multiplier": 1,
                "h": max(case["h"], 2 * case["dilation"][0] + 1),
                "w": max(case["w"], 2 * case["dilation"][1] + 1)}
        check_model(depthwise_model(**case), LoweringContext(variant="arm-dsp"), sanitize=True)
    finally:
        dw.SMLAD_3X3_MIN_WIDTH = old


def test_depthwise_packed_path_is_taken() -> None:
    """A wide 3x3, dm=1 layer lowers to the SMLAD 3x3 kernel on DSP boards (the blocked portable kernel elsewhere), a 5x3 one with
    C%4==0 to the packed kernel."""
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    graph = load_tflite_bytes(depthwise_model(seed=1, n=1, h=6, w=20, cin=8, multiplier=1, kh=3, kw=3))
    assert "ek_depthwise_s8_3x3" in lower(graph, graph.ops[0], LoweringContext(variant="arm-dsp")).call
    assert "ek_depthwise_s8_blocked(" in lower(graph, graph.ops[0], LoweringContext()).call
    graph = load_tflite_bytes(depthwise_model(seed=1, n=1, h=6, w=5, cin=8, multiplier=1, kh=5, kw=3))
    assert "packed" in lower(graph, graph.ops[0], LoweringContext(variant="arm-dsp")).call


@pytest.mark.parametrize("m", [1 << 30, (1 << 30) + 1, 1_518_500_250, (1 << 31) - 1, 0])
@pytest.mark.parametrize("e", [1, 7, 22])
@pytest.mark.parametrize("off", [-128, 0, 127])
def test_3x3_group_requantization_identity(m: int, e: int, off: int) -> None:
    """The group-major 3x3 kernel requantizes the doubled accumulator a = 2*acc as
    (SMMLAR(a, m, r) + (a >> 31)) >> e with r = 2^(e-1) + off*2^e, taking the rounding's
    sign from a instead of from SMMULR's result: equal to TF's MultiplyByQuantizedMultiplier
    plus the output offset, including acc = -1 with m = 2^30 where the two signs differ."""
    from edgekit.kernels.quant import multiply_by_quantized_multiplier

    bound = (1 << 30) - 1
    acc = np.concatenate([np.arange(-3000, 3001), [-bound, bound, -(1 << 29), 1 << 29],
                          np.random.default_rng(e).integers(-bound, bound, 2000)]).astype(np.int64)
    a = 2 * acc
    r = (1 << (e - 1)) + off * (1 << e)
    got = (((a * m + (1 << 31)) >> 32) + r + (a >> 31)) >> e
    want = multiply_by_quantized_multiplier(acc, m, -e) + off
    assert np.array_equal(got, want)
