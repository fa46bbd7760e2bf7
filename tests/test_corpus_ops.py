"""The issue-13 arithmetic corpus (tests/corpus/make_corpus_ops.py) beyond what
tests/test_verify.py runs for every tests/corpus/*.tflite: under ASan+UBSan on the host
and on qemu-cortex-m4 over its serial port. The models in tests/corpus/tflm_only/ (int8
DIV, which TF's BUILTIN_REF refuses on a raw divisor byte of 0; ELU islands, which it has
no kernel for) are checked against TFLite Micro."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
# norm_logsoftmax_all runs in both modes in test_verify.py (its kernels are sanitized in
# tests/kernels/test_arith_norm.py); the tflm_only models only run here.
SANITIZED = [("tflm_only/div_broadcast", "tflm"), ("tflm_only/libm_islands", "tflm")]
ON_QEMU = [("norm_logsoftmax_all", "tflm"), *SANITIZED]


def _ids(cases: list[tuple[str, str]]) -> list[str]:
    return [f"{name.split('/')[-1]}-{rounding}" for name, rounding in cases]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "rounding"), SANITIZED, ids=_ids(SANITIZED))
def test_ops_model_sanitized(name: str, rounding: str, tmp_path: Path) -> None:
    result = verify_model(CORPUS / f"{name}.tflite", samples=2, rounding=rounding, sanitize=True,
                          work_dir=tmp_path, seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (2, 0), result


@pytest.mark.qemu
@pytest.mark.parametrize(("name", "rounding"), ON_QEMU, ids=_ids(ON_QEMU))
def test_ops_model_on_qemu_cortex_m4(name: str, rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    result = verify_model(CORPUS / f"{name}.tflite", board="qemu-cortex-m4", samples=3, rounding=rounding,
                          work_dir=tmp_path, seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result
