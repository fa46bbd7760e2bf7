"""TRANSPOSE_CONV (phase GEMMs), BATCH_MATMUL (run-time packed RHS) and grouped CONV_2D on
qemu-cortex-m4 with the Arm DSP path (SMLAD inline assembly): seeded cases, all in one
firmware, every byte against TF's reference and TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from support import cases as mk
from support import matmul_cases as mm
from support.qemu_harness import available, mismatches, oracle_cases, run_cases

from edgekit.kernels.lowering import LoweringContext

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")]


def _transpose(rng: np.random.Generator, seed: int) -> bytes:
    k = [(2, 2), (3, 3), (4, 4), (1, 1), (3, 2)][rng.integers(5)]
    return mm.transpose_conv_model(seed, n=1, h=int(rng.integers(1, 7)), w=int(rng.integers(1, 7)),
                                   cin=int(rng.choice([1, 3, 4, 8, 16])), cout=int(rng.integers(1, 10)),
                                   kh=k[0], kw=k[1], stride=[(1, 1), (2, 2), (2, 1), (3, 3)][rng.integers(4)],
                                   padding=["SAME", "VALID"][rng.integers(2)],
                                   activation=mk.ACTIVATIONS[rng.integers(3)], in_zp=int(rng.integers(-128, 128)),
                                   out_zp=int(rng.integers(-128, 128)), mult_kind=mk.MULT_KINDS[rng.integers(4)],
                                   per_channel=bool(rng.integers(2)), bias=bool(rng.integers(2)))


def _matmul(rng: np.random.Generator, seed: int) -> bytes:
    lhs_batch, rhs_batch = [((1,), (1,)), ((2,), (2,)), ((1, 2), (1, 2)), ((3,), ()), ((2, 3), (1, 3))][
        rng.integers(5)]
    return mm.batch_matmul_model(seed, lhs_batch, rhs_batch, m=int(rng.integers(1, 10)),
                                 k=int(rng.choice([1, 4, 7, 8, 16, 33])), n=int(rng.integers(1, 10)),
                                 adj_x=bool(rng.integers(2)), adj_y=bool(rng.integers(2)),
                                 lhs_zp=int(rng.integers(-128, 128)), rhs_zp=int(rng.integers(-128, 128)),
                                 out_zp=int(rng.integers(-128, 128)), constant_rhs=bool(rng.integers(2)),
                                 big_multiplier=bool(rng.integers(2)))


def _grouped(rng: np.random.Generator, seed: int) -> bytes:
    groups = int(rng.choice([2, 4]))
    return mk.conv_model(seed, n=1, h=int(rng.integers(3, 8)), w=int(rng.integers(3, 8)),
                         cin=groups * int(rng.integers(1, 5)), cout=groups * int(rng.integers(1, 4)), kh=3, kw=3,
                         in_zp=int(rng.integers(-128, 128)), out_zp=int(rng.integers(-128, 128)), groups=groups)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_matmul_family_bit_exact_on_cortex_m4(rounding: str) -> None:
    rng = np.random.default_rng(13 if rounding == "tflite" else 31)
    makers = [_transpose] * 10 + [_matmul] * 10 + [_grouped] * 3
    models = (make(rng, 3000 + i) for i, make in enumerate(makers))  # drawn between the inputs
    qcases, expected = oracle_cases(models, rng, rounding)
    results = run_cases(qcases, LoweringContext(rounding=rounding, variant="arm-dsp"))
    bad = mismatches(qcases, results, expected)
    assert not bad, f"DSP path differs from the {rounding} oracle: {bad}"
