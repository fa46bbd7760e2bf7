"""Read a .tflite flatbuffer into the edgekit IR.

Parsing uses the generated TFLite schema bindings that ship with ai-edge-litert (the
maintained LiteRT package), not a hand-written reader. Anything wrong with the file
becomes a ModelError with one line; edgekit's own bugs keep their traceback.
"""

from __future__ import annotations

import functools
import re
import struct
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.ir import Graph, Op, QuantParams, Tensor, validate
from edgekit.ir.ops import KNOWN_OPS
from edgekit.load.custom import custom_op

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


@functools.cache
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
    # The flatbuffer is read in place (only the fields edgekit uses, buffers only when a
    # tensor refers to them): several times faster than unpacking the whole object tree.
    try:
        graph = _to_graph(schema.Model.GetRootAs(data, 0), data, name, source, schema)
    except ModelError:
        raise
    except (IndexError, ValueError, TypeError, AttributeError, KeyError, OverflowError, struct.error) as exc:
        raise ModelError(f"{source} is corrupt or truncated ({type(exc).__name__} while decoding)") from None
    for k, each in enumerate(graph.all_graphs()):
        try:
            validate(each)
        except ModelError as exc:
            raise ModelError(f"subgraph {k} ({each.name}): {exc.message}" if k else exc.message) from None
    return graph


def _to_graph(model: Any, data: bytes, name: str, source: str, schema: Any) -> Graph:
    """Subgraph 0 is the model; the others (control-flow bodies, CALL_ONCE initialisers)
    hang off it as `Graph.subgraphs`, in file order."""
    count = model.SubgraphsLength()
    if count < 1:
        raise ModelError(f"{source} has no subgraph")
    graphs = [_subgraph(k, model, data, name, source, schema) for k in range(count)]
    main = graphs[0]
    main.subgraphs = graphs[1:]
    for k, graph in enumerate(graphs):
        for op in graph.ops:
            for key in _SUBGRAPH_OPTIONS.get(op.type, ()):
                target = op.options.get(key)
                if not isinstance(target, int) or not 0 < target < count or target == k:
                    where = "" if k == 0 else f"subgraph {k} "
                    raise ModelError(f"{source}: {where}op {op.index} ({op.type}) names subgraph {target!r} "
                                     f"as its {key.removesuffix('_subgraph_index')}; the model has {count}")
    return main


# Control-flow ops and the options that name the subgraphs they run.
_SUBGRAPH_OPTIONS = {
    "WHILE": ("cond_subgraph_index", "body_subgraph_index"),
    "IF": ("then_subgraph_index", "else_subgraph_index"),
    "CALL_ONCE": ("init_subgraph_index",),
}
_RESOURCE = 13


def _subgraph(k: int, model: Any, data: bytes, name: str, source: str, schema: Any) -> Graph:
    subgraph = model.Subgraphs(k)
    where = source if k == 0 else f"{source} subgraph {k}"
    resources = {i for i in range(subgraph.TensorsLength()) if subgraph.Tensors(i).Type() == _RESOURCE}
    tensors = [_resource_placeholder(i, subgraph.Tensors(i)) if i in resources
               else _tensor(i, subgraph.Tensors(i), model, data, where) for i in range(subgraph.TensorsLength())]

    op_names = _enum_names(schema.BuiltinOperator)
    code_count = model.OperatorCodesLength()
    ops: list[Op] = []
    handles: dict[int, str] = {}  # resource tensor -> variable name (VAR_HANDLE's shared_name)
    for index in range(subgraph.OperatorsLength()):
        operator = subgraph.Operators(index)
        opcode_index = operator.OpcodeIndex()
        if not 0 <= opcode_index < code_count:
            raise ModelError(f"{where}: op {index} refers to missing operator code {opcode_index}")
        code = model.OperatorCodes(opcode_index)
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        if builtin == schema.BuiltinOperator.CUSTOM:
            custom = (code.CustomCode() or b"?").decode(errors="replace")
            raw = b"" if operator.CustomOptionsIsNone() else operator.CustomOptionsAsNumpy().tobytes()
            op_type, options = custom_op(custom, raw, index, where)
        else:
            op_type = op_names.get(builtin, f"BUILTIN_{builtin}")
            if op_type not in KNOWN_OPS:
                raise UnsupportedOpError(op_type, index, "edgekit does not know this op")
            options = _options(schema.BuiltinOptionsCreator(operator.BuiltinOptionsType(), operator.BuiltinOptions()))
            options.update(_options(schema.BuiltinOptions2Creator(operator.BuiltinOptions2Type(),
                                                                  operator.BuiltinOptions2())))
        op = Op(index=index, type=op_type, inputs=_ints(operator, "Inputs"),
                outputs=_ints(operator, "Outputs"), options=options,
                intermediates=_ints(operator, "Intermediates"))
        if op_type == "VAR_HANDLE":
            if len(op.outputs) != 1 or op.outputs[0] not in resources:
                raise ModelError(f"{where}: op {index} (VAR_HANDLE) does not write one resource tensor")
            container, shared = options.get("container") or "", options.get("shared_name") or ""
            handles[op.outputs[0]] = f"{container}/{shared}" if container else shared or f"sg{k}_t{op.outputs[0]}"
            continue  # the handle is resolved at load time: READ/ASSIGN name their variable
        ops.append(op)

    for op in ops:
        for i in op.inputs + op.outputs + op.intermediates:
            if i < -1 or i >= len(tensors):
                raise ModelError(f"{where}: op {op.index} ({op.type}) refers to missing tensor {i}")
        _resolve_variable(op, handles, resources, where)
    graph = Graph(tensors=tensors, ops=ops, inputs=_ints(subgraph, "Inputs"), outputs=_ints(subgraph, "Outputs"),
                  name=name if k == 0 else (subgraph.Name() or f"subgraph{k}".encode()).decode(errors="replace"))
    graph.renumber()
    return graph


def _resource_placeholder(index: int, t: Any) -> Tensor:
    """A RESOURCE tensor (a variable's handle) holds no data on the device: the loader
    resolves every handle to its variable, and nothing reads this placeholder."""
    name = (t.Name() or b"").decode(errors="replace") or f"tensor_{index}"
    return Tensor(index=index, name=name, shape=(), dtype="int32")


def _resolve_variable(op: Op, handles: dict[int, str], resources: set[int], where: str) -> None:
    """READ_VARIABLE(handle) -> READ_VARIABLE() and ASSIGN_VARIABLE(handle, value) ->
    ASSIGN_VARIABLE(value), each with options["variable"] = the variable's name."""
    used = [i for i in op.inputs + op.outputs if i in resources]
    if not used:
        return
    if op.type not in ("READ_VARIABLE", "ASSIGN_VARIABLE") or not op.inputs or op.inputs[0] not in handles \
            or len(used) != 1:
        raise UnsupportedOpError(op.type, op.index, "a resource handle used other than by READ_VARIABLE or "
                                 f"ASSIGN_VARIABLE of a VAR_HANDLE in the same subgraph ({where})")
    op.options["variable"] = handles[op.inputs[0]]
    op.inputs = op.inputs[1:]


def _ints(table: Any, field: str) -> list[int]:
    """An int vector field (e.g. "Inputs") of a flatbuffer table as Python ints; [] when absent."""
    if getattr(table, f"{field}IsNone")():
        return []
    return [int(v) for v in getattr(table, f"{field}AsNumpy")().tolist()]


def _tensor(index: int, t: Any, model: Any, data: bytes, source: str) -> Tensor:
    name = (t.Name() or b"").decode(errors="replace") or f"tensor_{index}"
    if t.Type() not in _TENSOR_TYPES:
        kind = _TENSOR_TYPE_NAMES.get(t.Type(), f"type {t.Type()}")
        raise ModelError(f"{source}: tensor {name!r} has type {kind}, which edgekit does not support")
    dtype = _TENSOR_TYPES[t.Type()]
    shape = tuple(_ints(t, "Shape"))
    if t.Sparsity() is not None:
        raise ModelError(f"{source}: tensor {name!r} is sparse; edgekit needs dense tensors")

    quant = None
    q = t.Quantization()
    if q is not None and not q.ScaleIsNone() and q.ScaleLength() > 0:
        scale = np.asarray(q.ScaleAsNumpy(), dtype=np.float32)
        zero_point = (np.zeros(len(scale), dtype=np.int64) if q.ZeroPointIsNone()
                      else np.asarray(q.ZeroPointAsNumpy(), dtype=np.int64))
        quant = QuantParams(scale=scale, zero_point=zero_point, axis=int(q.QuantizedDimension()))

    constant = None
    buffer_index, buffer_count = t.Buffer(), model.BuffersLength()
    if 0 < buffer_index < buffer_count:
        raw = _buffer_bytes(model.Buffers(buffer_index), data, name, source)
        if raw is not None and len(raw) > 0:
            expected = int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize if shape else np.dtype(dtype).itemsize
            if len(raw) != expected:
                raise ModelError(f"{source}: constant {name!r} holds {len(raw)} bytes, "
                                 f"its shape {list(shape)} of {dtype} needs {expected}")
            constant = np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
            constant = constant.reshape(shape)
    elif buffer_index >= buffer_count and buffer_index != 0:
        raise ModelError(f"{source}: tensor {name!r} refers to missing buffer {buffer_index}")
    return Tensor(index=index, name=name, shape=shape, dtype=dtype, quant=quant, data=constant,
                  variable=bool(t.IsVariable()))


def _buffer_bytes(buffer: Any, data: bytes, name: str, source: str) -> bytes | None:
    if not buffer.DataIsNone():
        return buffer.DataAsNumpy().tobytes()
    # Models over 2 GB keep buffers after the flatbuffer, addressed by offset/size.
    if buffer.Offset() > 1:
        end = buffer.Offset() + buffer.Size()
        if end > len(data):
            raise ModelError(f"{source}: constant {name!r} lies past the end of the file (truncated?)")
        return data[buffer.Offset():end]
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
