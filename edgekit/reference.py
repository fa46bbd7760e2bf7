"""The reference oracle: inputs for a model, and TFLite's own outputs on them.

TFLite's reference kernels (tf.lite.Interpreter with OpResolverType.BUILTIN_REF), or TFLite
Micro for rounding "tflm", are what edgekit's kernels must match byte for byte. `verify`
(the host build) and `validate` (a device) both compare against this module; it depends on
neither of them. TensorFlow is imported only when a reference is computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import DataError, ModelError
from edgekit.ir import Graph


def random_inputs(graph: Graph, samples: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Seeded random inputs covering each input type's full range."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(samples):
        sample = []
        for index in graph.inputs:
            t = graph.tensors[index]
            if t.dtype in ("int8", "uint8", "int16"):
                info = np.iinfo(t.dtype)
                sample.append(rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.dtype))
            else:
                sample.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(t.dtype))
        result.append(sample)
    return result


def load_inputs(path: Path, graph: Graph) -> list[list[np.ndarray]]:
    """Samples from .npy (one input) or .npz (one array per input, in order)."""
    try:
        if path.suffix == ".npz":
            with np.load(path) as archive:
                arrays = [archive[k] for k in archive.files]
        else:
            arrays = [np.load(path)]
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read inputs from {path}: {exc}") from None
    if "x" in getattr(arrays, "files", []):
        arrays = [arrays[0]]
    if len(arrays) < len(graph.inputs):
        raise DataError(f"{path} holds {len(arrays)} arrays; the model has {len(graph.inputs)} inputs")
    per_input = []
    for array, index in zip(arrays, graph.inputs):
        t = graph.tensors[index]
        shape = tuple(t.shape)
        if array.shape == shape:
            array = array[None]
        elif array.shape[1:] != shape:
            if tuple(array.shape[1:]) == shape[1:]:
                array = array[:, None]
            else:
                raise DataError(f"{path}: array of shape {array.shape} does not fit input "
                                   f"{t.name!r} of shape {list(shape)}")
        if array.dtype.kind == "f" and t.dtype in ("int8", "uint8") and t.quant is not None:
            scale, zero_point = float(t.quant.scale[0]), int(t.quant.zero_point[0])
            info = np.iinfo(t.dtype)
            array = np.clip(np.round(array / scale) + zero_point, info.min, info.max)
        per_input.append(array.astype(t.dtype))
    count = min(len(a) for a in per_input)
    return [[a[i].reshape(graph.tensors[idx].shape) for a, idx in zip(per_input, graph.inputs)]
            for i in range(count)]


def reference_outputs(model_bytes: bytes, samples: list[list[np.ndarray]], rounding: str,
                      keep_all: bool = False) -> list[dict[int, np.ndarray]]:
    """Run TFLite's reference kernels (or TFLite Micro) → {tensor index: array} per sample."""
    if rounding == "tflm":
        return _tflm_outputs(model_bytes, samples)
    import warnings

    from edgekit.quantize.convert import import_tensorflow

    tf = import_tensorflow()  # without TF's C++ start-up lines on stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "tf.lite.Interpreter is deprecated"
        interpreter = _reference_interpreter(tf, model_bytes, keep_all)
    inputs = interpreter.get_input_details()
    results = []
    for sample in samples:
        for detail, value in zip(inputs, sample):
            interpreter.set_tensor(detail["index"], value)
        interpreter.invoke()
        wanted = [t["index"] for t in interpreter.get_tensor_details()] if keep_all else \
            [d["index"] for d in interpreter.get_output_details()]
        values = {}
        for index in wanted:
            try:
                values[index] = np.array(interpreter.get_tensor(index))
            except ValueError:
                pass  # tensors without data (e.g. optional, unallocated)
        results.append(values)
    return results


def _reference_interpreter(tf: Any, model_bytes: bytes, keep_all: bool) -> Any:
    """TF's reference interpreter, allocated; a model it refuses is a one-line ModelError.

    TF checks more than TFLite Micro does (e.g. a per-channel bias whose quantized
    dimension is 3, as in TFLM's person_detect.tflite), so such a model still has an oracle.
    """
    try:
        interpreter = tf.lite.Interpreter(
            model_content=model_bytes,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=keep_all)
        interpreter.allocate_tensors()
    except (ValueError, RuntimeError) as exc:
        reason = str(exc).strip().split(".")[0].strip() or type(exc).__name__
        raise ModelError(f"TF's reference interpreter rejects this model ({reason[:200]}); "
                         "try --rounding tflm to check against TFLite Micro instead") from None
    return interpreter


def _tflm_outputs(model_bytes: bytes, samples: list[list[np.ndarray]]) -> list[dict[int, np.ndarray]]:
    """TFLite Micro's outputs, keyed by the model's output tensor indices like the reference's."""
    from tflite_micro.python.tflite_micro import runtime

    from edgekit.load import load_tflite_bytes

    outputs = load_tflite_bytes(model_bytes).outputs
    interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=max(10 * len(model_bytes), 8 << 20))
    results = []
    for sample in samples:
        for k, value in enumerate(sample):
            interpreter.set_input(value, k)
        interpreter.invoke()
        results.append({index: np.array(interpreter.get_output(k)) for k, index in enumerate(outputs)})
    return results
