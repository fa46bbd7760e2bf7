"""Run .tflite models with TFLite's reference kernels and compare float with int8.

The reference resolver (BUILTIN_REF) is edgekit's correctness oracle; the default
(XNNPACK/optimized) resolver rounds differently and is never used for int8 results.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


def reference_interpreter(model: bytes, preserve_all_tensors: bool = False) -> Any:
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(
            model_content=model,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=preserve_all_tensors)
    interpreter.allocate_tensors()
    return interpreter


def quantize_input(x: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    """Float samples → the model's input dtype (quantized with its scale/zero point)."""
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.floating):
        return x.astype(dtype)
    scale, zero_point = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(dtype)


def dequantize_output(y: np.ndarray, detail: dict[str, Any]) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    if np.issubdtype(y.dtype, np.floating) or scale == 0:
        return y.astype(np.float32)
    return ((y.astype(np.float32) - zero_point) * scale).astype(np.float32)


def predict(model: bytes, x: np.ndarray) -> np.ndarray:
    """First output (dequantized to float) for each sample of `x`, one batch-1 invoke each."""
    interpreter = reference_interpreter(model)
    inp = interpreter.get_input_details()[0]
    out = interpreter.get_output_details()[0]
    results = []
    for sample in x:
        interpreter.set_tensor(inp["index"], quantize_input(sample[None], inp))
        interpreter.invoke()
        results.append(dequantize_output(interpreter.get_tensor(out["index"]), out)[0])
    return np.stack(results)


@dataclass
class Evaluation:
    task: str  # "classification" | "regression"
    metric: str  # "accuracy" | "rmse"
    float_value: float
    int8_value: float
    samples: int
    label: str = "int8"  # what the quantized side is: int8, float16, dynamic

    @property
    def delta(self) -> float:
        return self.int8_value - self.float_value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        if self.metric == "accuracy":
            return (f"accuracy on {self.samples} samples: float {100 * self.float_value:.2f}%  "
                    f"{self.label} {100 * self.int8_value:.2f}%  ({100 * self.delta:+.2f} points)")
        return (f"RMSE on {self.samples} samples: float {self.float_value:.5g}  "
                f"{self.label} {self.int8_value:.5g}")


def score(outputs: np.ndarray, y: np.ndarray) -> tuple[str, str, float]:
    """(task, metric, value): accuracy for integer or one-hot labels, else RMSE."""
    flat = outputs.reshape(len(outputs), -1)
    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1 and flat.shape[1] > 1:
        return "classification", "accuracy", float(np.mean(flat.argmax(axis=1) == y))
    if y.ndim == 2 and y.shape == flat.shape and flat.shape[1] > 1 and \
            np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
        return "classification", "accuracy", float(np.mean(flat.argmax(axis=1) == y.argmax(axis=1)))
    target = y.reshape(len(y), -1).astype(np.float32)
    if target.shape != flat.shape:
        from edgekit.errors import DataError

        raise DataError(f"labels of shape {y.shape} match neither class indices nor the model "
                           f"output shape {outputs.shape}")
    return "regression", "rmse", float(np.sqrt(np.mean((flat - target) ** 2)))


def evaluate(float_model: bytes, int8_model: bytes, x: np.ndarray, y: np.ndarray,
             label: str = "int8") -> Evaluation:
    """Float and quantized model on (x, y), both with the reference kernels."""
    task, metric, float_value = score(predict(float_model, x), y)
    _, _, int8_value = score(predict(int8_model, x), y)
    return Evaluation(task, metric, float_value, int8_value, len(x), label)
