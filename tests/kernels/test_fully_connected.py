"""FULLY_CONNECTED against TF's BUILTIN_REF (single rounding) and TFLite Micro (double
rounding), per-tensor and per-channel weights, batches > 1, both kernels."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS, fc_model
from support.harness import check_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@st.composite
def fc_cases(draw: st.DrawFn) -> dict:
    return {"seed": draw(st.integers(0, 2**31)), "batch": draw(st.sampled_from([1, 1, 2, 3, 4])),
                "k": draw(st.integers(1, 70)), "n_out": draw(st.integers(1, 11)),
                "activation": draw(st.sampled_from(ACTIVATIONS)), "in_zp": draw(st.integers(-128, 127)),
                "out_zp": draw(st.integers(-128, 127)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
                "per_channel": draw(st.booleans()), "bias": draw(st.booleans())}


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=25, **SETTINGS)
@given(case=fc_cases())
def test_fc_matches_reference(variant: str, case: dict) -> None:
    check_model(fc_model(**case), LoweringContext(variant=variant))


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=15, **SETTINGS)
@given(case=fc_cases())
def test_fc_matches_tflite_micro(variant: str, case: dict) -> None:
    check_model(fc_model(**case), LoweringContext(rounding="tflm", variant=variant))


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
@settings(max_examples=5, **SETTINGS)
@given(case=fc_cases())
def test_fc_sanitized(variant: str, case: dict) -> None:
    check_model(fc_model(**case), LoweringContext(variant=variant), sanitize=True)


def test_rounding_modes_really_differ() -> None:
    """The single/double rounding choice matters: a layer where TF and TFLM disagree is
    matched by each mode against its own oracle (else the tflm option would be untested)."""
    import numpy as np
    from support.harness import random_inputs
    from support.reference import run_reference, run_tflm

    from edgekit.load import load_tflite_bytes

    for seed in range(20):
        model = fc_model(seed=seed, batch=4, k=64, n_out=16, in_zp=3, out_zp=-2)
        graph = load_tflite_bytes(model)
        x = random_inputs(graph, graph.ops[0], np.random.default_rng(seed))
        if not np.array_equal(run_reference(model, x)[0], run_tflm(model, x)[0]):
            check_model(model, LoweringContext(), inputs=x)
            check_model(model, LoweringContext(rounding="tflm"), inputs=x)
            return
    pytest.fail("no FC case found where TF and TFLM round differently")


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_multiplier_uses_double_product(rounding: str) -> None:
    """A scale triple where float32(in*filter)/out is exactly 2^-6 but the double product is
    slightly less: only the double-product multiplier matches (both oracles)."""
    check_model(fc_model(seed=62070295, batch=1, k=2, n_out=3, mult_kind="pow2", bias=False),
                LoweringContext(rounding=rounding))
