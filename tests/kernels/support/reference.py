"""The correctness oracles: TF's reference kernels (BUILTIN_REF) and TFLite Micro.

Never the default tf.lite resolver (XNNPACK/optimized kernels round differently).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def run_reference(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` under tf.lite.Interpreter with the BUILTIN_REF op resolver."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(
        model_content=model,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    for detail, value in zip(interpreter.get_input_details(), inputs):
        interpreter.set_tensor(detail["index"], np.asarray(value, dtype=detail["dtype"]).reshape(detail["shape"]))
    interpreter.invoke()
    return [interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()]


def run_tflm(model: bytes, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Outputs of `model` under TFLite Micro's interpreter (tflite-micro package)."""
    import ai_edge_litert.schema_py_generated as schema
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(model, arena_size=max(len(model) * 10, 8 << 20))
    for i, value in enumerate(inputs):
        detail = interpreter.get_input_details(i)
        interpreter.set_input(np.asarray(value, dtype=detail["dtype"]).reshape(detail["shape"]), i)
    interpreter.invoke()
    count = schema.Model.GetRootAs(model, 0).Subgraphs(0).OutputsLength()
    return [np.array(interpreter.get_output(i)) for i in range(count)]


def run_oracle(model: bytes, inputs: Sequence[np.ndarray], rounding: str = "tflite") -> list[np.ndarray]:
    """The oracle for a LoweringContext.rounding mode."""
    return run_tflm(model, inputs) if rounding == "tflm" else run_reference(model, inputs)
