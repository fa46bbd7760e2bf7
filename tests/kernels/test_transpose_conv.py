"""TRANSPOSE_CONV: every output byte equals TF's BUILTIN_REF and TFLite Micro, for the
portable gather kernel and the phase-split packed GEMM kernel (run here with the portable
DSP primitives; tests/kernels/test_qemu_matmul.py runs it on Cortex-M4 instructions)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS
from support.harness import check_model
from support.matmul_cases import transpose_conv_model, transpose_out_size

from edgekit.kernels.lowering import LoweringContext
from edgekit.kernels.transpose_conv import phase_taps, tflite_padding

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def transpose_cases(draw: st.DrawFn) -> dict:
    k = draw(st.sampled_from([(1, 1), (2, 2), (3, 3), (4, 4), (3, 2), (5, 5)]))
    return {
        "seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 1, 2])),
        "h": draw(st.integers(1, 6)), "w": draw(st.integers(1, 6)),
        "cin": draw(st.sampled_from([1, 2, 3, 4, 8, 12])), "cout": draw(st.integers(1, 9)),
        "kh": k[0], "kw": k[1], "stride": draw(st.sampled_from([(1, 1), (2, 2), (2, 1), (3, 3), (2, 3)])),
        "padding": draw(st.sampled_from(["SAME", "VALID"])),
        "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
        "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
        "per_channel": draw(st.booleans()), "bias": draw(st.booleans())}


@pytest.mark.parametrize("rounding,variant", [("tflite", "portable"), ("tflite", "arm-dsp"),
                                              ("tflm", "portable"), ("tflm", "arm-dsp")])
@settings(max_examples=12, **SETTINGS)
@given(case=transpose_cases())
def test_transpose_conv_matches_oracle(rounding: str, variant: str, case: dict) -> None:
    check_model(transpose_conv_model(**case), LoweringContext(rounding=rounding, variant=variant))  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
def test_transpose_conv_sanitized(variant: str) -> None:
    """Channels in whole words and not, a phase without taps (1x1 filter, stride 3)."""
    for case in [dict(seed=5, n=1, h=4, w=3, cin=8, cout=5, kh=3, kw=3, stride=(2, 2), in_zp=7, out_zp=-3),
                 dict(seed=6, n=2, h=3, w=4, cin=3, cout=4, kh=1, kw=1, stride=(3, 3), in_zp=-9, bias=False),
                 dict(seed=7, n=1, h=3, w=3, cin=5, cout=3, kh=4, kw=4, stride=(2, 2), padding="VALID")]:
        check_model(transpose_conv_model(**case), LoweringContext(variant=variant), sanitize=True)


def test_explicit_output_size_sets_the_padding() -> None:
    """An output shape other than Keras's default (output_padding) moves TFLite's padding,
    which is computed from the output size, not from the input."""
    assert tflite_padding("SAME", 8, 3, 2) == 0 and tflite_padding("SAME", 7, 3, 2) == 1
    assert transpose_out_size("VALID", 3, 4, 2) == 8 and phase_taps(1, 5, 2) == [1, 3]
    for variant in ("portable", "arm-dsp"):
        check_model(transpose_conv_model(seed=8, n=1, h=4, w=4, cin=4, cout=3, kh=3, kw=3, stride=(2, 2),
                                         out_hw=(7, 8), in_zp=5), LoweringContext(variant=variant))


def test_large_stride_falls_back_to_the_gather_kernel() -> None:
    """More than EK_TCONV_MAX_PHASES phases: the packed variant lowers to the gather loop."""
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    model = transpose_conv_model(seed=9, n=1, h=2, w=2, cin=4, cout=2, kh=5, kw=5, stride=(5, 4))
    graph = load_tflite_bytes(model)
    assert "ek_transpose_conv_s8(" in lower(graph, graph.ops[0], LoweringContext(variant="arm-dsp")).call
    check_model(model, LoweringContext(variant="arm-dsp"))
