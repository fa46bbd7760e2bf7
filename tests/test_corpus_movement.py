"""The data-movement corpus (tests/corpus/make_corpus_movement.py) beyond what
tests/test_verify.py runs for every tests/corpus/*.tflite (host, both rounding modes):
under ASan+UBSan on the host, and on qemu-cortex-m4 over its serial port. The models in
tests/corpus/tf_only/ (ops TFLite Micro lacks) are checked against TF's reference here."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"


def _movement_models() -> list[str]:
    """The names make_corpus_movement.py builds (read from its source, without TF)."""
    tree = ast.parse((CORPUS / "make_corpus_movement.py").read_text())
    models = next(f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_models")
    table = next(n for n in ast.walk(models) if isinstance(n, ast.Return)).value
    assert isinstance(table, ast.Dict)
    return [k.value for k in table.keys if isinstance(k, ast.Constant)]


MODELS = _movement_models()


def _path(name: str) -> Path:
    top = CORPUS / f"{name}.tflite"
    return top if top.is_file() else CORPUS / "tf_only" / f"{name}.tflite"


def test_every_movement_model_is_committed() -> None:
    assert MODELS and all(_path(name).is_file() for name in MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_movement_model_sanitized(name: str, tmp_path: Path) -> None:
    result = verify_model(_path(name), samples=3, sanitize=True, work_dir=tmp_path, seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (3, 0), result


@pytest.mark.qemu
@pytest.mark.parametrize("name", MODELS)
def test_movement_model_on_qemu_cortex_m4(name: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    result = verify_model(_path(name), board="qemu-cortex-m4", samples=3,
                          work_dir=tmp_path, seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result


def test_reference_runs_copy_ops_newer_than_builtin_ref() -> None:
    """The converter writes int8 REVERSE_V2 as version 3 and DEPTH_TO_SPACE as version 2,
    which TF's BUILTIN_REF resolver does not register; only such byte-copying ops are asked
    for as version 1, an op that computes is never relabelled."""
    from edgekit.load import load_tflite_bytes
    from edgekit.reference import _missing_copy_op_version, random_inputs, reference_outputs

    data = (CORPUS / "rearrange.tflite").read_bytes()
    graph = load_tflite_bytes(data)
    outputs = reference_outputs(data, random_inputs(graph, 1, seed=2), "tflite")
    assert set(outputs[0]) == set(graph.outputs)
    message = "Didn't find op for builtin opcode '{}' version '3'. An older version..."
    assert _missing_copy_op_version(message.format("REVERSE_V2")) == "REVERSE_V2"
    assert _missing_copy_op_version(message.format("CONV_2D")) is None
