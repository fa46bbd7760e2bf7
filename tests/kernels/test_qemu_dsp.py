"""The Arm DSP path (EK_ARM_DSP: SMLAD/SXTB16 inline assembly and ACLE) on qemu-cortex-m4:
a seeded sample of the host cases, all in one firmware, every byte against the oracle."""

from __future__ import annotations

import numpy as np
import pytest
from support import cases as mk
from support.harness import random_inputs
from support.qemu_harness import QemuCase, available, mismatches, oracle_cases, run_cases
from support.reference import run_oracle

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")]


def _conv(rng: np.random.Generator, seed: int) -> bytes:
    k = [(1, 1), (3, 3), (3, 1), (5, 5)][rng.integers(4)]
    dil = [(1, 1), (2, 2)][rng.integers(2)]
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    return mk.conv_model(seed, n=int(rng.integers(1, 3)), h=int(rng.integers(eff[0], eff[0] + 7)),
                         w=int(rng.integers(eff[1], eff[1] + 7)),
                         cin=int(rng.choice([1, 3, 4, 8, 16])), cout=int(rng.integers(1, 12)), kh=k[0], kw=k[1],
                         stride=[(1, 1), (2, 2), (1, 2)][rng.integers(3)], dilation=dil,
                         padding=["SAME", "VALID"][rng.integers(2)],
                         activation=mk.ACTIVATIONS[rng.integers(3)], in_zp=int(rng.integers(-128, 128)),
                         out_zp=int(rng.integers(-128, 128)), mult_kind=mk.MULT_KINDS[rng.integers(4)],
                         per_channel=bool(rng.integers(2)))


def _depthwise(rng: np.random.Generator, seed: int) -> bytes:
    k = [(3, 3), (3, 3), (5, 5), (1, 1)][rng.integers(4)]
    dil = [(1, 1), (2, 2)][rng.integers(2)]
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    return mk.depthwise_model(seed, n=1, h=int(rng.integers(eff[0], eff[0] + 7)),
                              w=int(rng.integers(eff[1], eff[1] + 7)),
                              cin=int(rng.choice([4, 8, 16, 3])), multiplier=int(rng.choice([1, 1, 2])),
                              kh=k[0], kw=k[1], stride=[(1, 1), (2, 2)][rng.integers(2)],
                              dilation=dil,
                              padding=["SAME", "VALID"][rng.integers(2)],
                              activation=mk.ACTIVATIONS[rng.integers(3)], in_zp=int(rng.integers(-128, 128)),
                              out_zp=int(rng.integers(-128, 128)), mult_kind=mk.MULT_KINDS[rng.integers(4)])


def _fc(rng: np.random.Generator, seed: int) -> bytes:
    return mk.fc_model(seed, batch=int(rng.choice([1, 1, 2, 3])), k=int(rng.integers(1, 200)),
                       n_out=int(rng.integers(1, 20)), activation=mk.ACTIVATIONS[rng.integers(3)],
                       in_zp=int(rng.integers(-128, 128)), out_zp=int(rng.integers(-128, 128)),
                       mult_kind=mk.MULT_KINDS[rng.integers(4)], per_channel=bool(rng.integers(2)),
                       bias=bool(rng.integers(2)))


def _pool(rng: np.random.Generator, seed: int) -> bytes:
    return mk.pool_model(["AVERAGE_POOL_2D", "MAX_POOL_2D"][rng.integers(2)], seed, n=1,
                         h=int(rng.integers(4, 10)), w=int(rng.integers(4, 10)), c=int(rng.integers(1, 9)),
                         fh=int(rng.integers(1, 4)), fw=int(rng.integers(1, 4)),
                         stride=[(1, 1), (2, 2)][rng.integers(2)], padding=["SAME", "VALID"][rng.integers(2)],
                         zp=int(rng.integers(-128, 128)))


def _pool_x4(rng: np.random.Generator, seed: int) -> bytes:
    """Channels a multiple of 4 (ek_pool_x4.c's SXTAB16 / SSUB8+SEL kernels), one case a
    window of more than 255 values."""
    big = rng.integers(3) == 0
    fh, fw = (17, 16) if big else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    return mk.pool_model(["AVERAGE_POOL_2D", "MAX_POOL_2D"][rng.integers(2)], seed, n=1,
                         h=fh + int(rng.integers(0, 4)), w=fw + int(rng.integers(0, 4)),
                         c=int(rng.choice([4, 8, 16])), fh=fh, fw=fw,
                         stride=[(1, 1), (2, 2)][rng.integers(2)], padding=["SAME", "VALID"][rng.integers(2)],
                         activation=mk.ACTIVATIONS[rng.integers(3)], zp=int(rng.integers(-128, 128)))


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_dsp_path_bit_exact_on_cortex_m4(rounding: str) -> None:
    rng = np.random.default_rng(2026 if rounding == "tflite" else 7)
    makers = [_conv] * 10 + [_depthwise] * 8 + [_fc] * 8 + [_pool] * 4 + [_pool_x4] * 6
    models = (make(rng, 1000 + i) for i, make in enumerate(makers))  # drawn between the inputs
    qcases, expected = oracle_cases(models, rng, rounding)
    results = run_cases(qcases, LoweringContext(rounding=rounding, variant="arm-dsp"))
    bad = mismatches(qcases, results, expected)
    assert not bad, f"DSP path differs from the {rounding} oracle: {bad}"


def test_depthwise_3x3_kernel_on_cortex_m4(monkeypatch: pytest.MonkeyPatch) -> None:
    """The assembly rows of ek_depthwise_s8_3x3 (stride 1 and 2), whatever the size policy."""
    import edgekit.kernels.depthwise as dw

    monkeypatch.setattr(dw, "SMLAD_3X3_MIN_WIDTH", 0)
    rng = np.random.default_rng(5)
    models = [mk.depthwise_model(50 + i, n=1, h=int(rng.integers(5, 10)), w=int(rng.integers(3, 24)),
                                 cin=int(rng.choice([1, 3, 8, 16])), multiplier=1, kh=3, kw=3,
                                 stride=[(1, 1), (2, 2), (1, 2), (2, 1)][i % 4],
                                 dilation=[(1, 1), (2, 1)][i % 2], padding=["SAME", "VALID"][i % 2 == 0],
                                 in_zp=int(rng.integers(-128, 128)), out_zp=int(rng.integers(-128, 128)),
                                 activation=mk.ACTIVATIONS[i % 3])
              for i in range(8)]
    qcases, expected = [], []
    for model in models:
        graph = load_tflite_bytes(model)
        x = random_inputs(graph, graph.ops[0], rng)
        qcases.append(QemuCase(graph, graph.ops[0], x))
        expected.append(run_oracle(model, x))
    ctx = LoweringContext(variant="arm-dsp")
    from support.harness import lower

    assert sum("ek_depthwise_s8_3x3" in lower(c.graph, c.op, ctx).call for c in qcases) >= 6
    results = run_cases(qcases, ctx)
    for c, r, e in zip(qcases, results, expected):
        assert np.array_equal(r.outputs[0], np.asarray(e[0]).reshape(r.outputs[0].shape))
