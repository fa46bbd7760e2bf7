"""Read a .tflite flatbuffer into the edgekit IR.

Parsing uses the generated TFLite schema bindings that ship with ai-edge-litert (the
maintained LiteRT package), not a hand-written reader. Anything wrong with the file
becomes a ModelError with one line; edgekit's own bugs keep their traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.ir import Graph, Op, QuantParams, Tensor, validate
from edgekit.ir.ops import KNOWN_OPS

# TensorType enum of the TFLite schema → numpy dtype name.
_TENSOR_TYPES = {
    0: "float32", 1: "float16", 2: "int32", 3: "uint8", 4: "int64", 6: "bool",
    7: "int16", 9: "int8", 10: "float64", 15: "uint32",
}
_TENSOR_TYPE_NAMES = {
    5: "STRING", 8: "COMPLEX64", 11: "COMPLEX128", 12: "UINT64", 13: "RESOURCE",
    14: "VARIANT", 16: "UINT16", 17: "INT4", 18: "BFLOAT16",
}


def _schema() -> Any:
    import ai_edge_litert.schema_py_generated as schema

    return schema


def _enum_names(enum_class: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def load_tflite(path: str | Path) -> Graph:
    path = Path(path)
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a .tflite file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"cannot read {path}: {exc.strerror}") from None
    return load_tflite_bytes(data, name=path.stem, source=str(path))


def load_tflite_bytes(data: bytes, name: str = "model", source: str = "model") -> Graph:
    schema = _schema()
    if len(data) == 0:
        raise ModelError(f"{source} is empty")
    if len(data) < 8 or not schema.Model.ModelBufferHasIdentifier(data, 0):
        raise ModelError(f"{source} is not a TFLite model (no 'TFL3' flatbuffer identifier)")
    try:
        model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    except Exception as exc:  # noqa: BLE001 - any decoding failure of a corrupt flatbuffer
        raise ModelError(f"{source} is corrupt or truncated ({type(exc).__name__} while decoding)") from None
    try:
        graph = _to_graph(model, data, name, source, schema)
    except ModelError:
        raise
    except (IndexError, ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
        raise ModelError(f"{source} is corrupt: {type(exc).__name__} while reading it ({exc})") from None
    validate(graph)
    return graph


def _to_graph(model: Any, data: bytes, name: str, source: str, schema: Any) -> Graph:
    subgraphs = model.subgraphs or []
    if len(subgraphs) != 1:
        raise ModelError(f"{source} has {len(subgraphs)} subgraphs; edgekit supports exactly one "
                         "(control flow such as WHILE/IF is not supported)")
    subgraph = subgraphs[0]
    buffers = model.buffers or []
    tensors = [_tensor(i, t, buffers, data, source) for i, t in enumerate(subgraph.tensors or [])]

    op_names = _enum_names(schema.BuiltinOperator)
    codes = model.operatorCodes or []
    ops: list[Op] = []
    for index, operator in enumerate(subgraph.operators or []):
        if not 0 <= operator.opcodeIndex < len(codes):
            raise ModelError(f"{source}: op {index} refers to missing operator code {operator.opcodeIndex}")
        code = codes[operator.opcodeIndex]
        builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = (code.customCode or b"?").decode(errors="replace")
            raise UnsupportedOpError(f"CUSTOM ({custom})", index)
        op_type = op_names.get(builtin, f"BUILTIN_{builtin}")
        if op_type not in KNOWN_OPS:
            raise UnsupportedOpError(op_type, index, "edgekit does not know this op")
        options = _options(operator.builtinOptions)
        options.update(_options(operator.builtinOptions2))
        ops.append(Op(index=index, type=op_type,
                      inputs=[int(i) for i in _ints(operator.inputs)],
                      outputs=[int(i) for i in _ints(operator.outputs)], options=options))

    count = len(tensors)
    for op in ops:
        for i in op.inputs + op.outputs:
            if i < -1 or i >= count:
                raise ModelError(f"{source}: op {op.index} ({op.type}) refers to missing tensor {i}")
    return Graph(tensors=tensors, ops=ops, inputs=[int(i) for i in _ints(subgraph.inputs)],
                 outputs=[int(i) for i in _ints(subgraph.outputs)], name=name)


def _ints(values: Any) -> list[int]:
    return [] if values is None else [int(v) for v in values]


def _tensor(index: int, t: Any, buffers: list, data: bytes, source: str) -> Tensor:
    name = (t.name or b"").decode(errors="replace") or f"tensor_{index}"
    if t.type not in _TENSOR_TYPES:
        kind = _TENSOR_TYPE_NAMES.get(t.type, f"type {t.type}")
        raise ModelError(f"{source}: tensor {name!r} has type {kind}, which edgekit does not support")
    dtype = _TENSOR_TYPES[t.type]
    shape = tuple(_ints(t.shape))
    if t.sparsity is not None:
        raise ModelError(f"{source}: tensor {name!r} is sparse; edgekit needs dense tensors")

    quant = None
    q = t.quantization
    if q is not None and q.scale is not None and len(q.scale) > 0:
        zero_point = np.asarray(q.zeroPoint if q.zeroPoint is not None else [0] * len(q.scale), dtype=np.int64)
        quant = QuantParams(scale=np.asarray(q.scale, dtype=np.float32), zero_point=zero_point,
                            axis=int(q.quantizedDimension))

    constant = None
    if 0 < t.buffer < len(buffers):
        raw = _buffer_bytes(buffers[t.buffer], data, name, source)
        if raw is not None and len(raw) > 0:
            expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize if shape else np.dtype(dtype).itemsize
            if len(raw) != expected:
                raise ModelError(f"{source}: constant {name!r} holds {len(raw)} bytes, "
                                 f"its shape {list(shape)} of {dtype} needs {expected}")
            constant = np.frombuffer(bytes(raw), dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
            constant = constant.reshape(shape)
    elif t.buffer >= len(buffers) and t.buffer != 0:
        raise ModelError(f"{source}: tensor {name!r} refers to missing buffer {t.buffer}")
    return Tensor(index=index, name=name, shape=shape, dtype=dtype, quant=quant, data=constant)


def _buffer_bytes(buffer: Any, data: bytes, name: str, source: str) -> bytes | None:
    if buffer.data is not None:
        return bytes(np.asarray(buffer.data, dtype=np.uint8))
    # Models over 2 GB keep buffers after the flatbuffer, addressed by offset/size.
    if buffer.offset > 1:
        end = buffer.offset + buffer.size
        if end > len(data):
            raise ModelError(f"{source}: constant {name!r} lies past the end of the file (truncated?)")
        return data[buffer.offset:end]
    return None


def _options(options: Any) -> dict[str, Any]:
    if options is None:
        return {}
    schema = _schema()
    result: dict[str, Any] = {}
    for key, value in vars(options).items():
        key = _snake(key)
        if key == "padding":
            value = _enum_names(schema.Padding).get(value, value)
        elif key == "fused_activation_function":
            value = _enum_names(schema.ActivationFunctionType).get(value, value)
        elif isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, bytes):
            value = value.decode(errors="replace")
        result[key] = value
    return result
