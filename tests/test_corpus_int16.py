"""The int16x8 corpus (tests/corpus/make_corpus_int16.py: Keras 3 models converted by TF
2.21 with int16 activations and int8 weights): bit-exact with TF's reference kernels and
TFLite Micro on the host, under ASan+UBSan, and on qemu-cortex-m4 over its serial port; the
mixed int16/int8 model planned with each tensor's own element size; an int16 op without a
kernel refused in one line naming it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.boards import load_board
from edgekit.pipeline import compile_model
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus" / "int16"
UNSUPPORTED = "int16_unsupported"
MODELS = sorted(p.stem for p in CORPUS.glob("*.tflite") if p.stem != UNSUPPORTED)
# TF 2.21's BUILTIN_REF SUM is wrong for integer types (edgekit/kernels/reduce.py): the
# model with SUM is checked against TFLite Micro only.
TF_WRONG = {"int16_movement"}


def test_corpus_is_committed() -> None:
    assert {"int16_cnn", "int16_fc", "int16_elementwise", "int16_movement", "int16_mixed", "int16_activations",
            "int16_transpose_conv"} <= set(MODELS)


@pytest.mark.parametrize("name", [m for m in MODELS if m not in TF_WRONG])
def test_int16_model_matches_tf_reference(name: str, tmp_path: Path) -> None:
    result = verify_model(CORPUS / f"{name}.tflite", samples=4, work_dir=tmp_path, seed=3)
    assert (result.bit_exact, result.max_abs_diff) == (4, 0), result


@pytest.mark.parametrize("name", MODELS)
def test_int16_model_matches_tflite_micro(name: str, tmp_path: Path) -> None:
    result = verify_model(CORPUS / f"{name}.tflite", samples=3, rounding="tflm", work_dir=tmp_path, seed=5)
    assert (result.bit_exact, result.max_abs_diff) == (3, 0), result


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@pytest.mark.parametrize("name", ["int16_elementwise", "int16_mixed", "int16_activations", "int16_transpose_conv"])
def test_int16_model_sanitized(name: str, rounding: str, tmp_path: Path) -> None:
    """ASan+UBSan over the in-place, broadcast, windowed, table and requantizing kernels
    (the movement model is sanitized by the kernel tests' copies)."""
    result = verify_model(CORPUS / f"{name}.tflite", samples=2, rounding=rounding, sanitize=True,
                          work_dir=tmp_path, seed=5)
    assert (result.bit_exact, result.max_abs_diff) == (2, 0), result


def test_mixed_model_plans_each_tensor_with_its_own_size() -> None:
    path = CORPUS / "int16_mixed.tflite"
    compiled = compile_model(path, path.read_bytes(), load_board("host"))
    graph = compiled.graph
    out = graph.tensors[graph.outputs[0]]
    before = graph.tensors[graph.ops[-1].inputs[0]]
    assert (graph.ops[-1].type, before.dtype, out.dtype) == ("QUANTIZE", "int16", "int8")
    assert (before.nbytes, out.nbytes) == (2 * out.num_elements, out.num_elements)
    sizes = {t: b.size for b in compiled.plan.plan.buffers for t in b.tensors}
    assert sizes[out.index] >= out.nbytes and sizes[before.index] >= before.nbytes
    # The int16 input buffer of the first conv holds 2 bytes per element.
    first = graph.tensors[graph.inputs[0]]
    assert first.dtype == "int16" and sizes[first.index] >= 2 * first.num_elements
    assert "int16_t" in compiled.generated.sources["model.c"]


def test_int16_op_without_kernel_exits_2_naming_it(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "edgekit", "verify", str(CORPUS / f"{UNSUPPORTED}.tflite"),
                             "--samples", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "MAXIMUM at index 4" in lines[0] and "int16" in lines[0], result.stderr


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize(("name", "rounding"), [("int16_cnn", "tflite"), ("int16_elementwise", "tflite"),
                                               ("int16_mixed", "tflite"), ("int16_activations", "tflite"),
                                               ("int16_activations", "tflm"), ("int16_transpose_conv", "tflite"),
                                               ("int16_transpose_conv", "tflm")])
def test_int16_model_on_qemu_cortex_m4(name: str, rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    result = verify_model(CORPUS / f"{name}.tflite", board="qemu-cortex-m4", samples=3, rounding=rounding,
                          work_dir=tmp_path, seed=7)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result
