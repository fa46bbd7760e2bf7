"""examples/train_example.py, run as a user runs it, writes a usable float and int8 model."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np

from edgekit.load import load_tflite

REPO = Path(__file__).resolve().parent.parent
REQUIRED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX", "RESHAPE"}


def _reference_accuracy(model: Path, x: np.ndarray, y: np.ndarray) -> float:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(
            model_path=str(model),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    scale, zero_point = inp["quantization"]
    correct = 0
    for sample, label in zip(x, y):
        q = np.clip(np.round(sample / scale) + zero_point, -128, 127).astype(np.int8)
        interpreter.set_tensor(inp["index"], q[None])
        interpreter.invoke()
        correct += int(interpreter.get_tensor(out["index"])[0].argmax() == label)
    return correct / len(x)


def test_train_example_script_writes_int8_model(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(REPO / "examples" / "train_example.py"), str(tmp_path)],
                         check=False, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    for name in ("digits_float.keras", "digits_int8.tflite", "digits_calib.npz", "digits_test.npz"):
        assert (tmp_path / name).is_file(), name

    graph = load_tflite(tmp_path / "digits_int8.tflite")
    ops = {op.type for op in graph.ops}
    assert REQUIRED_OPS <= ops and ops & {"MAX_POOL_2D", "AVERAGE_POOL_2D"}, ops
    for t in graph.inputs + graph.outputs:
        assert graph.tensor(t).dtype == "int8"
        assert graph.tensor(t).shape[0] == 1  # batch fixed at 1
    assert all(t.dtype in ("int8", "int32") for t in graph.tensors), {t.dtype for t in graph.tensors}

    test = np.load(tmp_path / "digits_test.npz")
    calib = np.load(tmp_path / "digits_calib.npz")
    assert test["x"].shape[1:] == (8, 8, 1) and len(test["x"]) == len(test["y"]) > 100
    assert np.isfinite(calib["x"]).all() and len(calib["x"]) > 0
    assert _reference_accuracy(tmp_path / "digits_int8.tflite", test["x"], test["y"]) > 0.85
