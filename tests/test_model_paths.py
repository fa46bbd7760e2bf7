"""What verify, build and plan say about models they cannot take as given: a model TF's
reference interpreter refuses, a float Keras model (verify --calib), a folder that is not
a SavedModel, a folder named like a .tflite file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fuzz_frontend import pack

CORPUS = Path(__file__).resolve().parent / "corpus"


def _edgekit(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, timeout=timeout)


def _one_error_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def bias_dimension_3(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A converted CNN whose per-channel biases say quantized_dimension 3, as in TFLite
    Micro's person_detect.tflite: TF's reference interpreter refuses it, TFLM runs it."""
    import ai_edge_litert.schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray((CORPUS / "cnn_flatten.tflite").read_bytes()), 0)
    subgraph = model.subgraphs[0]
    conv_codes = {k for k, code in enumerate(model.operatorCodes)
                  if max(code.builtinCode, code.deprecatedBuiltinCode) in (3, 4)}  # CONV_2D, DEPTHWISE
    biases = [op.inputs[2] for op in subgraph.operators if op.opcodeIndex in conv_codes]
    assert len(biases) == 2
    for index in biases:
        assert len(subgraph.tensors[index].quantization.scale) > 1  # per-channel
        subgraph.tensors[index].quantization.quantizedDimension = 3
    path = tmp_path_factory.mktemp("bias3") / "bias_dim3.tflite"
    path.write_bytes(pack(model))
    return path


def test_verify_says_tf_reference_rejects_the_model(bias_dimension_3):
    line = _one_error_line(_edgekit("verify", str(bias_dimension_3), "--samples", "2"))
    assert "TF's reference interpreter rejects this model" in line
    assert "quantized_dimension" in line and "--rounding tflm" in line


def test_verify_with_tflm_rounding_checks_that_model(bias_dimension_3):
    result = _edgekit("verify", str(bias_dimension_3), "--samples", "3", "--rounding", "tflm", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rounding"] == "tflm" and report["samples"] == 3 and report["bit_exact"] == 3


@pytest.fixture(scope="module")
def tiny_keras(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from edgekit.quantize.convert import import_tensorflow

    tf = import_tensorflow()
    tf.keras.utils.set_random_seed(0)
    model = tf.keras.Sequential([tf.keras.Input((6, 6, 2)), tf.keras.layers.Conv2D(4, 3, activation="relu"),
                                 tf.keras.layers.Flatten(), tf.keras.layers.Dense(3)])
    path = tmp_path_factory.mktemp("tiny_keras") / "tiny.keras"
    model.save(path)
    return path


def test_verify_float_keras_model_asks_for_calib(tiny_keras):
    line = _one_error_line(_edgekit("verify", str(tiny_keras)))
    assert "is a float model" in line and "--calib DATA" in line


def test_verify_calib_quantizes_a_keras_model_first(tiny_keras, tmp_path):
    import numpy as np

    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).normal(size=(32, 6, 6, 2)).astype(np.float32))
    result = _edgekit("verify", str(tiny_keras), "--calib", str(calib), "--samples", "4", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["samples"] == 4 and report["bit_exact"] == 4 and report["max_abs_diff"] == 0


def test_build_of_a_folder_that_is_not_a_saved_model(tmp_path):
    folder = tmp_path / "emptydir"
    folder.mkdir()
    line = _one_error_line(_edgekit("build", str(folder), "--board", "host", "-o", str(tmp_path / "out")))
    assert line.endswith(f"{folder} is a folder but not a SavedModel (no saved_model.pb in it)")
    assert "float model" not in line and not (tmp_path / "out").exists()


def test_plan_of_a_folder_named_like_a_model(tmp_path):
    folder = tmp_path / "adir.tflite"
    folder.mkdir()
    line = _one_error_line(_edgekit("plan", str(folder) + "/"))
    assert line.endswith(f"{folder} is a folder, not a .tflite model file")
