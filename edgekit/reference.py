"""The reference oracle: inputs for a model, and TFLite's own outputs on them.

TFLite's reference kernels (tf.lite.Interpreter with OpResolverType.BUILTIN_REF), or TFLite
Micro for rounding "tflm", are what edgekit's kernels must match byte for byte. `verify`
(the host build) and `validate` (a device) both compare against this module; it depends on
neither of them. TensorFlow is imported only when a reference is computed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import DataError, ModelError
from edgekit.ir import Graph


def random_inputs(graph: Graph, samples: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Seeded random inputs covering each input type's full range (indices: the valid range)."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(samples):
        sample = []
        for index in graph.inputs:
            t = graph.tensors[index]
            bound = index_bound(graph, index) if t.dtype in ("int32", "int64") else None
            if t.dtype in ("int8", "uint8", "int16"):
                info = np.iinfo(t.dtype)
                sample.append(rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.dtype))
            elif bound is not None:
                sample.append(rng.integers(0, bound, size=t.shape).astype(t.dtype))
            else:
                sample.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(t.dtype))
        result.append(sample)
    return result


_PASS_THROUGH = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS", "CAST"})


def index_bound(graph: Graph, tensor: int) -> int | None:
    """Valid indices are 0 .. bound-1 when `tensor` (perhaps reshaped or cast) is read as
    the indices of a GATHER / GATHER_ND / EMBEDDING_LOOKUP: random samples stay in range
    (TFLite fails an invoke with an index out of range)."""
    bounds: list[int] = []
    for op in graph.ops:
        for position, t in enumerate(op.inputs):
            if t != tensor:
                continue
            if op.type in _PASS_THROUGH and position == 0:
                inner = index_bound(graph, op.outputs[0])
                bounds += [inner] if inner is not None else []
            elif op.type == "GATHER" and position == 1:
                params = graph.tensors[op.inputs[0]].shape
                bounds.append(int(params[int(op.options.get("axis", 0))]))
            elif op.type == "EMBEDDING_LOOKUP" and position == 0:
                bounds.append(int(graph.tensors[op.inputs[1]].shape[0]))
            elif op.type == "GATHER_ND" and position == 1:
                depth = int(graph.tensors[t].shape[-1])
                bounds.append(min(int(d) for d in graph.tensors[op.inputs[0]].shape[:depth]))
    return min(bounds) if bounds else None


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
        if array.dtype.kind == "f" and t.dtype in ("int8", "uint8", "int16") and t.quant is not None:
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


# Float ops TF has ONE kernel for, which its reference resolver does not register: for a
# model computing only in float (a float kernel's test) the oracle is TF's builtin resolver
# without delegates (no XNNPACK). In a mixed model that resolver would also swap the int8
# ops' reference kernels for the optimized ones, so there the one-line error below stands
# (TFLite Micro, --rounding tflm, registers all three).
_SINGLE_KERNEL_OPS = frozenset({"CEIL", "ROUND", "ELU"})


def _computes_only_in_float(model_bytes: bytes) -> bool:
    from edgekit.load import load_tflite_bytes

    graph = load_tflite_bytes(model_bytes)
    return all(graph.tensors[i].dtype not in ("int8", "uint8", "int16")
               for op in graph.ops for i in op.inputs + op.outputs if i >= 0)


def _missing_single_kernel_op(message: str) -> bool:
    found = re.search(r"Didn't find op for builtin opcode '([A-Z0-9_]+)'", message)
    return found is not None and found.group(1) in _SINGLE_KERNEL_OPS


def _reference_interpreter(tf: Any, model_bytes: bytes, keep_all: bool) -> Any:
    """TF's reference interpreter, allocated; a model it refuses is a one-line ModelError.

    TF checks more than TFLite Micro does (e.g. a per-channel bias whose quantized
    dimension is 3, as in TFLM's person_detect.tflite), so such a model still has an oracle.
    TF's reference resolver also registers fewer versions of some byte-copying ops than the
    converter writes (int8 REVERSE_V2 v3, DEPTH_TO_SPACE v2); their reference kernel is the
    same for every version, so those are asked for at version 1.
    """
    resolver = tf.lite.experimental.OpResolverType.BUILTIN_REF
    for _ in range(len(_COPY_ONLY_OPS) + 2):
        try:
            interpreter = tf.lite.Interpreter(
                model_content=model_bytes, experimental_op_resolver_type=resolver,
                experimental_preserve_all_tensors=keep_all)
            interpreter.allocate_tensors()
            return interpreter
        except (ValueError, RuntimeError) as exc:
            op_name = _missing_copy_op_version(str(exc))
            if op_name is not None:
                model_bytes = _with_version_one(model_bytes, op_name)
                continue
            if (_missing_single_kernel_op(str(exc)) and _computes_only_in_float(model_bytes)
                    and resolver == tf.lite.experimental.OpResolverType.BUILTIN_REF):
                resolver = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
                continue
            reason = str(exc).strip().split(".")[0].strip() or type(exc).__name__
            raise ModelError(f"TF's reference interpreter rejects this model ({reason[:200]}); "
                             "try --rounding tflm to check against TFLite Micro instead") from None
    raise ModelError("TF's reference interpreter rejects this model's op versions")


# Ops whose every kernel only copies bytes (no arithmetic): any TFLite resolver is exact.
_COPY_ONLY_OPS = frozenset({"REVERSE_V2", "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "GATHER", "GATHER_ND",
                            "TRANSPOSE", "SLICE", "STRIDED_SLICE", "PACK", "UNPACK", "SPLIT",
                            "SPLIT_V", "MIRROR_PAD", "TILE", "BROADCAST_TO"})


def _missing_copy_op_version(message: str) -> str | None:
    """X of TFLite's "Didn't find op for builtin opcode 'X' version 'N'" when X only copies."""
    found = re.search(r"builtin opcode '([A-Z0-9_]+)' version '([0-9]+)'", message)
    if found is None or found.group(1) not in _COPY_ONLY_OPS or found.group(2) == "1":
        return None
    return found.group(1)


def _with_version_one(model_bytes: bytes, op_name: str) -> bytes:
    """The model with every `op_name` operator code marked as version 1."""
    import ai_edge_litert.schema_py_generated as schema
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(model_bytes), 0)
    builtin = getattr(schema.BuiltinOperator, op_name)
    for code in model.operatorCodes or []:
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            code.version = 1
    builder = flatbuffers.Builder(len(model_bytes) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


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
