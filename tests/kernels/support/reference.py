"""The correctness oracles for single-op models: edgekit.reference (TF's reference kernels,
BUILTIN_REF, or TFLite Micro), with the inputs cast to the model's input types and shapes.

Never the default tf.lite resolver (XNNPACK/optimized kernels round differently).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edgekit.load import load_tflite_bytes
from edgekit.reference import reference_outputs


def run_oracle(model: bytes, inputs: Sequence[np.ndarray], rounding: str = "tflite") -> list[np.ndarray]:
    """The model's outputs under the oracle of a LoweringContext.rounding mode."""
    graph = load_tflite_bytes(model)
    sample = [np.asarray(value, dtype=graph.tensors[t].dtype).reshape(graph.tensors[t].shape)
              for value, t in zip(inputs, graph.inputs)]
    outputs = reference_outputs(model, [sample], rounding)[0]
    return [outputs[t] for t in graph.outputs]


def run_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` under tf.lite.Interpreter with the BUILTIN_REF op resolver."""
    return run_oracle(model, inputs, "tflite")


def run_tflm(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` under TFLite Micro's interpreter (tflite-micro package)."""
    return run_oracle(model, inputs, "tflm")
