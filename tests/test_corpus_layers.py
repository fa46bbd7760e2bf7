"""The layer corpus of issue 13's matrix ops (tests/corpus/make_corpus_layers.py: a U-Net
with Conv2DTranspose, a keyword-spotting transformer with MultiHeadAttention, a grouped-conv
CNN) beyond what tests/test_verify.py runs for every tests/corpus/*.tflite (host, both
rounding modes): under ASan+UBSan on the host, and on qemu-cortex-m4 over its serial port
with the Arm DSP kernels, against TF's reference and TFLite Micro."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from edgekit.load import load_tflite
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
MODELS = {"unet_transpose": "TRANSPOSE_CONV", "kws_transformer": "BATCH_MATMUL", "grouped_cnn": "CONV_2D"}


@pytest.mark.parametrize("name", MODELS)
def test_layer_model_holds_its_op(name: str) -> None:
    graph = load_tflite(CORPUS / f"{name}.tflite")
    ops = [op for op in graph.ops if op.type == MODELS[name]]
    assert ops
    if name == "grouped_cnn":  # filters read fewer channels than the input has
        assert any(graph.tensors[op.inputs[1]].shape[3] < graph.tensors[op.inputs[0]].shape[3] for op in ops)
    if name == "kws_transformer":  # attention: both operands are activations
        assert any(not graph.tensors[op.inputs[1]].is_constant for op in ops)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_layer_model_sanitized(name: str, tmp_path: Path) -> None:
    result = verify_model(CORPUS / f"{name}.tflite", samples=2, sanitize=True, work_dir=tmp_path, seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (2, 0), result


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("name,rounding", [(m, r) for m in MODELS for r in ("tflite", "tflm")])
def test_layer_model_on_qemu_cortex_m4(name: str, rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    result = verify_model(CORPUS / f"{name}.tflite", board="qemu-cortex-m4", samples=3, work_dir=tmp_path,
                          seed=5, rounding=rounding)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result
