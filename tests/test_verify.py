"""Generated C against TFLite's reference kernels (and TFLite Micro), byte for byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.boards import load_board
from edgekit.pipeline import compile_model
from edgekit.reference import random_inputs, reference_outputs
from edgekit.verify import verify, verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
CORPUS_MODELS = sorted(CORPUS.glob("*.tflite"))
# TFLite Micro computes this model wrongly (SPACE_TO_BATCH_ND on 3-D tensors); edgekit
# folds the pattern into a dilated convolution and matches TF's reference instead.
TFLM_WRONG = {"conv1d_dilated_free_batch"}
# Ops TFLite Micro has no kernel for (int8 GELU): nothing to compare with there.
NO_TFLM_KERNEL = {"gelu_mlp"}


def _compiled(path: Path, rounding: str = "tflite"):
    return compile_model(path, path.read_bytes(), load_board("host"), rounding=rounding)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_mlperf_models_bit_exact(mlperf_model, rounding, tmp_path):
    result = verify_model(mlperf_model, samples=4, rounding=rounding, work_dir=tmp_path, seed=7)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (4, 4, 0)


def test_mlperf_structured_inputs(mlperf_models, tmp_path):
    """Not only noise: smooth images and constant extremes through IC and VWW."""
    for key in ("ic", "vww"):
        compiled = _compiled(mlperf_models[key])
        shape = compiled.graph.tensors[compiled.graph.inputs[0]].shape
        h, w = shape[1], shape[2]
        yy, xx = np.meshgrid(np.linspace(-128, 127, h), np.linspace(-128, 127, w), indexing="ij")
        gradient = np.stack([yy, xx, (yy + xx) / 2], axis=-1)[None].astype(np.int8)
        samples = [[gradient], [np.full(shape, -128, np.int8)], [np.full(shape, 127, np.int8)]]
        result = verify(compiled, tmp_path / key, samples)
        assert result.bit_exact == 3, result


@pytest.mark.parametrize("path", CORPUS_MODELS, ids=[p.stem for p in CORPUS_MODELS])
def test_corpus_bit_exact(path, tmp_path):
    result = verify_model(path, samples=6, work_dir=tmp_path, seed=3)
    assert result.bit_exact == 6, result


@pytest.mark.parametrize("path", [p for p in CORPUS_MODELS if p.stem not in TFLM_WRONG | NO_TFLM_KERNEL],
                         ids=[p.stem for p in CORPUS_MODELS if p.stem not in TFLM_WRONG | NO_TFLM_KERNEL])
def test_corpus_bit_exact_with_tflm(path, tmp_path):
    result = verify_model(path, samples=4, rounding="tflm", work_dir=tmp_path, seed=3)
    assert result.bit_exact == 4, result


def test_tflm_is_wrong_where_edgekit_matches_tf():
    path = CORPUS / "conv1d_dilated_free_batch.tflite"
    compiled = _compiled(path)
    samples = random_inputs(compiled.graph, 3, seed=1)
    tf_ref = reference_outputs(path.read_bytes(), samples, "tflite")
    tflm = reference_outputs(path.read_bytes(), samples, "tflm")
    out = compiled.graph.outputs[0]
    assert any(not np.array_equal(r[out], m[out]) for r, m in zip(tf_ref, tflm))


def test_sanitized_build_of_in_place_ops(tmp_path):
    for name in ("elementwise", "activations"):
        result = verify_model(CORPUS / f"{name}.tflite", samples=3, sanitize=True, work_dir=tmp_path / name)
        assert result.bit_exact == 3


@pytest.mark.slow
def test_sanitized_build_of_kws(mlperf_models, tmp_path):
    result = verify_model(mlperf_models["kws"], samples=2, sanitize=True, work_dir=tmp_path)
    assert result.bit_exact == 2


def test_debug_finds_first_differing_op(mlperf_models, tmp_path):
    """Corrupt one bias of op 5 in the generated data: --debug must point at op 5."""
    compiled = _compiled(mlperf_models["kws"])
    source = compiled.generated.sources["model_data.c"]
    names = re.findall(r"const int32_t (ek_op5_\w*bias\w*)\[", source)
    assert names, "op 5 has a bias array"
    start = source.index(names[0])
    body_start = source.index("{", start) + 1
    first_value_end = source.index(",", body_start)
    value = int(source[body_start:first_value_end])
    compiled.generated.sources["model_data.c"] = (source[:body_start] + f"\n    {value + 100000}"
                                                  + source[first_value_end:])
    samples = random_inputs(compiled.graph, 2, seed=0)
    result = verify(compiled, tmp_path, samples, debug=True)
    assert result.bit_exact < 2
    assert result.first_mismatch is not None and result.first_mismatch["op"] == 5


def test_cli_verify_json(mlperf_models):
    result = subprocess.run([sys.executable, "-m", "edgekit", "verify", str(mlperf_models["ad"]),
                             "--samples", "3", "--json"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 3 and report["bit_exact"] == 3 and report["max_abs_diff"] == 0


def test_cli_verify_float_model_exit_2(tmp_path):
    """An op mixing int8 and float32 tensors has neither an int8 nor a float32 kernel: one
    line naming it (a model computing only in float needs quantizing first:
    tests/test_float_fallback.py)."""
    import ai_edge_litert.schema_py_generated as schema
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray((CORPUS / "float_io.tflite").read_bytes()), 0)
    subgraph = model.subgraphs[0]
    # Make the first FULLY_CONNECTED's output float: the model is no longer integer-only.
    fc = next(op for op in subgraph.operators if model.operatorCodes[op.opcodeIndex].builtinCode == 9)
    subgraph.tensors[fc.outputs[0]].type = 0
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = tmp_path / "float.tflite"
    path.write_bytes(bytes(builder.Output()))
    result = subprocess.run([sys.executable, "-m", "edgekit", "verify", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unsupported op FULLY_CONNECTED at index 1" in lines[0], lines


@pytest.mark.xdist_group("digits-example")
def test_example_model_bit_exact_on_real_digits(digits_example, tmp_path):
    """The example model on the real held-out digits (quantized from the float test set)."""
    result = verify_model(digits_example.int8_model, inputs=digits_example.test, work_dir=tmp_path)
    assert result.samples > 300 and result.bit_exact == result.samples


@pytest.mark.parametrize("board, rounding", [("qemu-cortex-m4", "tflite"), ("qemu-cortex-m4", "tflm"),
                                             ("qemu-riscv32", "tflite"), ("qemu-cortex-m55", "tflite"),
                                             ("qemu-cortex-m55", "tflm")])
def test_verify_on_emulated_board(board, rounding, mlperf_models, tmp_path):
    """The Arm DSP path (M4), the MVE path (M55, in the memory plan's overlaps) and the
    portable path on RISC-V, run in QEMU over serial."""
    model = mlperf_models["ad" if rounding == "tflm" else "kws"]  # AD: FC rounds differently in TFLM
    result = verify_model(model, board=board, samples=3, rounding=rounding, work_dir=tmp_path, seed=11)
    assert (result.samples, result.bit_exact) == (3, 3)


def test_verify_real_board_is_a_clear_error(mlperf_models):
    result = subprocess.run([sys.executable, "-m", "edgekit", "verify", str(mlperf_models["ad"]), "--board",
                             "esp32"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "edgekit validate" in result.stderr


def test_plans_with_overlaps_and_eliminated_concat_stay_bit_exact(mlperf_models, tmp_path):
    """The memory tricks are really used by these builds, and outputs stay bit-exact."""
    kws = _compiled(mlperf_models["kws"])
    assert any(o.kind == "rows" for o in kws.plan.plan.overlaps)
    assert kws.plan.arena_bytes < kws.plan.lower_bound  # below the liveness bound
    resnet = _compiled(mlperf_models["ic"])
    assert {"in_place", "rows"} <= {o.kind for o in resnet.plan.plan.overlaps}  # residual ADDs in place
    concat = _compiled(CORPUS / "concat_rows.tflite")
    concat_op = next(op.index for op in concat.graph.ops if op.type == "CONCATENATION")
    assert concat_op in concat.plan.eliminated_ops
    for name, compiled in (("kws", kws), ("ic", resnet), ("concat", concat)):
        result = verify(compiled, tmp_path / name, random_inputs(compiled.graph, 3, seed=5))
        assert result.bit_exact == 3, name
