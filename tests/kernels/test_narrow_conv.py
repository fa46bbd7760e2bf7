"""The narrow-channel conv path (input channels not in whole words: padded rows per output
row) and depthwise layers with a multiplier on one input channel, which lower to a conv
(packed on DSP boards, blocked elsewhere): host (sanitizers too) and qemu-cortex-m4,
every byte against the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS, conv_model, depthwise_model
from support.harness import check_model, random_inputs
from support.qemu_harness import QemuCase, available, run_cases
from support.reference import run_oracle

from edgekit.kernels.conv import scratch_bytes_packed
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
DSP = LoweringContext(variant="arm-dsp")


@st.composite
def narrow_cases(draw: st.DrawFn) -> dict:
    """CONV_2D with 1-3, 5 or 6 input channels: filter rows of whole words (1 x 8, 2 x 2)
    and not, strides 1-3, vertical dilation, odd output widths, both paddings."""
    kh, kw = draw(st.sampled_from([(3, 3), (10, 8), (1, 1), (2, 2), (5, 4), (3, 1)]))
    dil_h = draw(st.sampled_from([1, 1, 2]))
    stride = draw(st.sampled_from([(1, 1), (2, 2), (1, 2), (3, 3)]))
    return {"seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 1, 2])),
            "h": draw(st.integers((kh - 1) * dil_h + 1, (kh - 1) * dil_h + 6)),
            "w": draw(st.integers(kw, kw + 7)), "cin": draw(st.sampled_from([1, 2, 3, 5, 6])),
            "cout": draw(st.integers(1, 9)), "kh": kh, "kw": kw, "stride": stride,
            "dilation": (dil_h, 1), "padding": draw(st.sampled_from(["SAME", "VALID"])),
            "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
            "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
            "per_channel": draw(st.booleans())}


@st.composite
def one_channel_dw(draw: st.DrawFn) -> dict:
    kh, kw = draw(st.sampled_from([(10, 8), (3, 3), (5, 3), (4, 10)]))
    dil = draw(st.sampled_from([(1, 1), (1, 1), (2, 2)]))
    return {"seed": draw(st.integers(0, 2**31)), "n": 1,
            "h": draw(st.integers((kh - 1) * dil[0] + 1, (kh - 1) * dil[0] + 8)),
            "w": draw(st.integers((kw - 1) * dil[1] + 1, (kw - 1) * dil[1] + 8)), "cin": 1,
            "multiplier": draw(st.sampled_from([2, 3, 8])), "kh": kh, "kw": kw,
            "stride": draw(st.sampled_from([(1, 1), (2, 2), (2, 1)])), "dilation": dil,
            "padding": draw(st.sampled_from(["SAME", "VALID"])),
            "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
            "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS))}


@settings(max_examples=25, **SETTINGS)
@given(case=narrow_cases())
def test_narrow_conv_matches_reference(case: dict) -> None:
    check_model(conv_model(**case), DSP)


@settings(max_examples=8, **SETTINGS)
@given(case=narrow_cases())
def test_narrow_conv_sanitized_and_tflm(case: dict) -> None:
    check_model(conv_model(**case), LoweringContext(rounding="tflm", variant="arm-dsp"), sanitize=True)


@settings(max_examples=15, **SETTINGS)
@given(case=one_channel_dw())
def test_one_channel_depthwise_as_conv(case: dict) -> None:
    model = depthwise_model(**case)
    graph = load_tflite_bytes(model)
    assert lowering_for("DEPTHWISE_CONV_2D")(graph, graph.ops[0], DSP).call.startswith("ek_conv_s8_packed(")
    check_model(model, DSP)
    check_model(model, LoweringContext(rounding="tflm", variant="arm-dsp"), sanitize=True)


@settings(max_examples=10, **SETTINGS)
@given(case=one_channel_dw())
def test_one_channel_depthwise_as_blocked_conv_on_portable_boards(case: dict) -> None:
    """Portable boards run it as the register-blocked conv (qemu-riscv32, the speech model:
    2.24 M instructions against 5.50 M with the depthwise loop)."""
    model = depthwise_model(**case)
    graph = load_tflite_bytes(model)
    portable = LoweringContext(variant="portable")
    assert lowering_for("DEPTHWISE_CONV_2D")(graph, graph.ops[0], portable).call.startswith("ek_conv_s8_blocked(")
    check_model(model, portable)
    check_model(model, LoweringContext(rounding="tflm", variant="portable"), sanitize=True)


def test_narrow_scratch_counts_the_padded_rows() -> None:
    """The speech layer: 10 rows of (19 * 2 + 8) bytes, rounded to words, + 8 bytes slack."""
    graph = load_tflite_bytes(depthwise_model(1, 1, 49, 40, 1, 8, 10, 8, (2, 2)))
    lowering = lowering_for("DEPTHWISE_CONV_2D")(graph, graph.ops[0], DSP)
    assert lowering.scratch_bytes == scratch_bytes_packed(80, 8) + 8 + 10 * 48


@pytest.mark.qemu
@pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_narrow_paths_on_cortex_m4(rounding: str) -> None:
    """The speech model's layer (49x40x1, 10x8, stride 2, multiplier 8, SAME), a 3-channel
    first conv and odd shapes, with the EK_ARM_DSP assembly."""
    models = [depthwise_model(3, 1, 49, 40, 1, 8, 10, 8, (2, 2), activation="RELU", in_zp=-1, out_zp=-128),
              depthwise_model(4, 1, 9, 7, 1, 3, 3, 3, (1, 1), (2, 2), "VALID", in_zp=17),
              conv_model(5, 1, 16, 16, 3, 8, 3, 3, (2, 2), in_zp=-5, out_zp=3),
              conv_model(6, 2, 11, 9, 1, 5, 10, 4, (1, 2), padding="SAME", in_zp=100),
              conv_model(7, 1, 9, 13, 5, 7, 3, 2, (3, 3), (2, 1), "SAME", in_zp=-128, mult_kind=MULT_KINDS[-1])]
    rng = np.random.default_rng(11)
    cases, expected = [], []
    for model in models:
        graph = load_tflite_bytes(model)
        x = random_inputs(graph, graph.ops[0], rng)
        cases.append(QemuCase(graph, graph.ops[0], x))
        expected.append(run_oracle(model, x, rounding)[0])
    results = run_cases(cases, LoweringContext(rounding=rounding, variant="arm-dsp"))
    bad = [i for i, (r, e) in enumerate(zip(results, expected))
           if not np.array_equal(r.outputs[0], np.asarray(e).reshape(r.outputs[0].shape))]
    assert not bad, f"cases {bad} differ from the {rounding} oracle on qemu-cortex-m4"
