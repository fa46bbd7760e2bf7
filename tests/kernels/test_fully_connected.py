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


def test_batch1_needs_no_scratch() -> None:
    """Batch-1 FC on the DSP variants reads the input in place: no scratch for the planner.
    Batches > 1 widen rows into a scratch on arm-dsp; the MVE kernel reads every batch in place."""
    from support.harness import lower

    from edgekit.kernels.variants import VARIANTS
    from edgekit.load import load_tflite_bytes

    for variant in [v.name for v in VARIANTS.values() if v.packs_weights]:
        graph = load_tflite_bytes(fc_model(seed=1, batch=1, k=640, n_out=128))
        assert lower(graph, graph.ops[0], LoweringContext(variant=variant)).scratch_bytes == 0
        graph = load_tflite_bytes(fc_model(seed=1, batch=2, k=64, n_out=8))
        scratch = lower(graph, graph.ops[0], LoweringContext(variant=variant)).scratch_bytes
        assert scratch == 0 if VARIANTS[variant].has_mve else scratch > 0


def test_vec_weight_encoding_lane_identity() -> None:
    """The batch-1 encoding's identity, in exact integer lane arithmetic over the whole int8
    range (weights -128 included, which the layer tests' weights never hold):
    SMLAD(W, SXTB16(X)) + SMLAD(SXTB16(W ror 8), REV16(X) ^ 0xFF80FF80)
    = x.w + 128 (x0 + x2) - 128 (w1 + w3)."""
    import numpy as np

    from edgekit.kernels.fully_connected import pack_vec_weights

    rng = np.random.default_rng(5)
    x = rng.integers(-128, 128, size=(20000, 4))
    w = rng.integers(-128, 128, size=(20000, 4))
    x[:4], w[:4] = -128, -128
    x[4:8], w[4:8] = 127, 127
    enc = pack_vec_weights(w[:, None, :].reshape(-1, 4)).reshape(-1, 4, 4)  # quads of channels
    enc = enc.reshape(-1, 4)[:len(w)].astype(np.uint8).astype(np.int64)  # bytes of each word

    def s16(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:  # int16 lane from two bytes
        v = (hi.astype(np.int64) & 0xFF) * 256 + (lo.astype(np.int64) & 0xFF)
        return np.where(v >= 32768, v - 65536, v)

    xb = x.astype(np.int64) & 0xFF
    p = [s16(enc[:, 0], enc[:, 1]), s16(enc[:, 2], enc[:, 3])]  # W as int16 lanes
    q = [np.where(enc[:, 1] >= 128, enc[:, 1] - 256, enc[:, 1]),
         np.where(enc[:, 3] >= 128, enc[:, 3] - 256, enc[:, 3])]  # SXTB16(W ror 8)
    a = [x[:, 0], x[:, 2]]  # SXTB16(X)
    c = [s16(xb[:, 1] ^ 0x80, xb[:, 0] ^ 0xFF), s16(xb[:, 3] ^ 0x80, xb[:, 2] ^ 0xFF)]
    got = p[0] * a[0] + p[1] * a[1] + q[0] * c[0] + q[1] * c[1]
    want = (x * w).sum(axis=1) + 128 * (x[:, 0] + x[:, 2]) - 128 * (w[:, 1] + w[:, 3])
    assert np.array_equal(got, want)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_batch1_extreme_inputs(rounding: str) -> None:
    """All inputs at -128 or 127 (the ends of the REV16/EOR lane range), odd K and channels."""
    import numpy as np

    for value in (-128, 127):
        for k, n_out in ((640, 128), (13, 7)):
            check_model(fc_model(seed=k + value + 128, batch=1, k=k, n_out=n_out, in_zp=-3),
                        LoweringContext(rounding=rounding, variant="arm-dsp"),
                        inputs=[np.full((1, k), value, dtype=np.int8)])


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@pytest.mark.parametrize("shape", [(13, 7), (64, 12), (3, 5)])
def test_batch1_sanitized(rounding: str, shape: tuple[int, int]) -> None:
    """ASan+UBSan over the batch-1 path: K tails read through the padded copy, partial quads."""
    check_model(fc_model(seed=shape[0], batch=1, k=shape[0], n_out=shape[1], in_zp=5, out_zp=-7,
                         activation="RELU"),
                LoweringContext(rounding=rounding, variant="arm-dsp"), sanitize=True)


@pytest.mark.qemu
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_batch1_on_cortex_m4(rounding: str) -> None:
    """Batch-1 FC on qemu-cortex-m4 (EK_ARM_DSP assembly): the whole-layer loop (per-tensor,
    single rounding, K % 4 == 0), the per-quad path with K tails and partial quads, per-channel
    scales, every multiplier kind and activation; each output byte against the oracle."""
    import numpy as np
    from support.harness import random_inputs
    from support.qemu_harness import QemuCase, available, run_cases
    from support.reference import run_oracle

    from edgekit.load import load_tflite_bytes

    if not available():
        pytest.skip("arm-none-eabi-gcc / qemu-system-arm missing")
    rng = np.random.default_rng(11 if rounding == "tflite" else 12)
    shapes = [(640, 128), (128, 8), (8, 128), (64, 12), (4, 4), (13, 7), (70, 9), (1, 1), (3, 5), (256, 2),
              (128, 16), (32, 8), (16, 4)]
    cases, expected = [], []
    for i, (k, n_out) in enumerate(shapes * 2):
        model = fc_model(seed=300 + i, batch=1, k=k, n_out=n_out,
                         activation=ACTIVATIONS[i % len(ACTIVATIONS)], in_zp=int(rng.integers(-128, 128)),
                         out_zp=int(rng.integers(-128, 128)), mult_kind=MULT_KINDS[i % len(MULT_KINDS)],
                         per_channel=i >= len(shapes), bias=i % 3 != 0)
        graph = load_tflite_bytes(model)
        x = random_inputs(graph, graph.ops[0], rng)
        cases.append(QemuCase(graph, graph.ops[0], x))
        expected.append(run_oracle(model, x, rounding))
    results = run_cases(cases, LoweringContext(rounding=rounding, variant="arm-dsp"))
    bad = [i for i, (r, e) in enumerate(zip(results, expected))
           if not np.array_equal(r.outputs[0], np.asarray(e[0]).reshape(r.outputs[0].shape))]
    assert not bad, f"batch-1 FC cases {bad} differ from the {rounding} oracle on Cortex-M4"
