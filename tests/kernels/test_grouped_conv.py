"""Grouped CONV_2D (Keras Conv2D(groups=g): filters read input channels / g): every output
byte equals TF's BUILTIN_REF and TFLite Micro, on the portable loops and the DSP variant's
one packed GEMM per group (run here with the portable DSP primitives)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS, conv_model
from support.harness import check_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def grouped_cases(draw: st.DrawFn) -> dict:
    groups = draw(st.sampled_from([2, 3, 4]))
    k = draw(st.sampled_from([(1, 1), (3, 3), (2, 3)]))
    stride = draw(st.sampled_from([(1, 1), (2, 2), (1, 2)]))
    return {
        "seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 2])),
        "h": draw(st.integers(k[0], k[0] + 5)), "w": draw(st.integers(k[1], k[1] + 5)),
        "cin": groups * draw(st.integers(1, 4)), "cout": groups * draw(st.integers(1, 3)),
        "kh": k[0], "kw": k[1], "stride": stride, "padding": draw(st.sampled_from(["SAME", "VALID"])),
        "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
        "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
        "per_channel": draw(st.booleans()), "groups": groups}


@pytest.mark.parametrize("rounding,variant", [("tflite", "portable"), ("tflite", "arm-dsp"),
                                              ("tflm", "portable"), ("tflm", "arm-dsp")])
@settings(max_examples=10, **SETTINGS)
@given(case=grouped_cases())
def test_grouped_conv_matches_oracle(rounding: str, variant: str, case: dict) -> None:
    check_model(conv_model(**case), LoweringContext(rounding=rounding, variant=variant))  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
def test_grouped_conv_sanitized(variant: str) -> None:
    """Group channels in whole words and not, and a 1x1 grouped layer."""
    for model in [conv_model(seed=3, n=1, h=7, w=6, cin=6, cout=9, kh=3, kw=3, stride=(2, 1), in_zp=-5,
                             out_zp=9, groups=3),
                  conv_model(seed=4, n=2, h=5, w=5, cin=16, cout=8, kh=3, kw=3, in_zp=3, groups=2),
                  conv_model(seed=5, n=1, h=4, w=4, cin=24, cout=24, kh=1, kw=1, groups=3)]:
        check_model(model, LoweringContext(variant=variant), sanitize=True)


def test_grouped_conv_declares_no_row_overlap() -> None:
    """The packed path makes one pass over the input per group: no rows contract."""
    from edgekit.kernels.lowering import memory_contract
    from edgekit.load import load_tflite_bytes

    grouped = load_tflite_bytes(conv_model(seed=6, n=1, h=6, w=6, cin=8, cout=8, kh=3, kw=3, groups=2))
    plain = load_tflite_bytes(conv_model(seed=6, n=1, h=6, w=6, cin=8, cout=8, kh=3, kw=3))
    assert memory_contract(grouped, grouped.ops[0]).rows is None
    assert memory_contract(plain, plain.ops[0]).rows is not None


def test_channels_that_do_not_split_into_groups_are_refused() -> None:
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    graph = load_tflite_bytes(conv_model(seed=1, n=1, h=4, w=4, cin=6, cout=4, kh=1, kw=1, groups=3))
    graph.tensors[graph.ops[0].outputs[0]].shape = (1, 4, 4, 4)
    with pytest.raises(UnsupportedOpError, match="do not split into groups"):
        lower(graph, graph.ops[0], LoweringContext())
