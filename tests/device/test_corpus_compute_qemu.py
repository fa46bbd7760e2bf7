"""The compute-op corpus (tests/corpus/make_corpus_compute.py: reductions, ARG_MAX/MIN,
comparisons, logical ops, SELECT_V2, PRELU, SQUARED_DIFFERENCE, GELU, LayerNormalization with its float NEG island rewritten) built for qemu-cortex-m4 with the Arm DSP kernels,
run in QEMU and checked over serial, byte for byte, against TFLite's reference kernels
(default rounding) and TFLite Micro (--rounding tflm)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgekit import api

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
MODELS = ["har_maxpool1d", "reductions", "compare_select", "prelu_cnn", "gelu_mlp", "layer_norm"]
NO_TFLM_KERNEL = {"gelu_mlp"}  # TFLite Micro has no GELU

pytestmark = pytest.mark.qemu


@pytest.mark.parametrize("name,rounding", [(m, r) for m in MODELS for r in ("tflite", "tflm")
                                           if r == "tflite" or m not in NO_TFLM_KERNEL])
def test_compute_corpus_bit_exact_on_qemu_cortex_m4(name: str, rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.fail("arm-none-eabi-gcc / qemu-system-arm missing: run `make toolchain`")
    build_dir = tmp_path / name
    report = api.build(CORPUS / f"{name}.tflite", "qemu-cortex-m4", build_dir, rounding=rounding).report
    assert report["fits"] and report.get("rounding", "tflite") == rounding
    try:
        result = api.validate(build_dir, samples=4, seed=5)
    finally:
        api.flash_stop(build_dir)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (4, 4, 0), result
