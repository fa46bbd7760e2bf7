"""Is a converted model fully integer? Read straight from the flatbuffer.

This reads the flatbuffer with ai-edge-litert's generated schema rather than edgekit's
IR loader on purpose: a model that kept a float op often holds ops edgekit does not
know (a float LSTM, DEQUANTIZE), and the point here is to name that op, not to reject
the file as unsupported.
"""

from __future__ import annotations

from typing import Any

from edgekit.errors import ModelError

FLOAT_TYPES = {"FLOAT32", "FLOAT16", "FLOAT64", "BFLOAT16", "COMPLEX64", "COMPLEX128"}
# Integer types a full-integer model may hold inside (int32 bias/shape, int16 LUTs, int64 argmax).
INNER_TYPES = {"INT8", "INT16", "INT32", "INT64", "BOOL"}


def _enum_names(enum_class: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum_class).items() if not k.startswith("_") and isinstance(v, int)}


def read_model(data: bytes, source: str) -> tuple[Any, Any]:
    """(Model root, schema module) of a .tflite flatbuffer; ModelError on garbage."""
    import ai_edge_litert.schema_py_generated as schema

    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{source} is not a TFLite model (no 'TFL3' identifier)")
    try:
        model = schema.Model.GetRootAs(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(f"{source} has no subgraph")
        model.Subgraphs(0).TensorsLength()
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - flatbuffers raises assorted errors on corrupt data
        raise ModelError(f"{source} is corrupt ({type(exc).__name__} while decoding)") from None
    return model, schema


def op_names(data: bytes, source: str = "model") -> list[str]:
    """Builtin op names of subgraph 0 in execution order (CUSTOM ops as CUSTOM:<code>)."""
    model, schema = read_model(data, source)
    names = _enum_names(schema.BuiltinOperator)
    graph = model.Subgraphs(0)
    result = []
    for i in range(graph.OperatorsLength()):
        code = model.OperatorCodes(graph.Operators(i).OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = names.get(builtin, str(builtin))
        if name == "CUSTOM":
            name = f"CUSTOM:{(code.CustomCode() or b'?').decode()}"
        result.append(name)
    return result


def check_integer_only(data: bytes, source: str, io_type: str = "int8") -> None:
    """Raise ModelError naming the first op that keeps a float tensor, or a wrong I/O type."""
    model, schema = read_model(data, source)
    type_names = _enum_names(schema.TensorType)
    graph = model.Subgraphs(0)
    ops = op_names(data, source)

    def type_of(index: int) -> str:
        return type_names.get(graph.Tensors(index).Type(), "?")

    float_ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        tensors = [op.Inputs(j) for j in range(op.InputsLength())]
        tensors += [op.Outputs(j) for j in range(op.OutputsLength())]
        floats = [t for t in tensors if t >= 0 and type_of(t) in FLOAT_TYPES]
        if floats:
            float_ops.append((i, ops[i], floats[0]))
    if float_ops:
        # Name a float compute op rather than the DEQUANTIZE that leads into it.
        compute = [f for f in float_ops if f[1] not in ("QUANTIZE", "DEQUANTIZE")]
        i, name, tensor = (compute or float_ops)[0]
        more = f" (and {len(float_ops) - 1} more ops)" if len(float_ops) > 1 else ""
        tensor_name = graph.Tensors(tensor).Name().decode(errors="replace")
        raise ModelError(f"{source} is not fully integer: op {i} {name} keeps float tensor "
                         f"'{tensor_name}' ({type_of(tensor)}){more}; the converter left it in float "
                         "— change or remove that layer")
    wanted = io_type.upper()
    inputs = [graph.Inputs(j) for j in range(graph.InputsLength())]
    outputs = [graph.Outputs(j) for j in range(graph.OutputsLength())]
    for role, indices in (("input", inputs), ("output", outputs)):
        for t in indices:
            if type_of(t) != wanted:
                raise ModelError(f"{source}: model {role} '{graph.Tensors(t).Name().decode()}' is "
                                 f"{type_of(t)}, expected {wanted}")
    # An integer LSTM's intermediates (placeholders for gate scales) may be empty float
    # tensors that hold no data and that no op reads or writes.
    placeholders = {graph.Operators(i).Intermediates(j) for i in range(graph.OperatorsLength())
                    for j in range(graph.Operators(i).IntermediatesLength())}
    for t in range(graph.TensorsLength()):
        kind = type_of(t)
        if t in placeholders:
            continue
        if kind not in INNER_TYPES and not (kind == "UINT8" and wanted == "UINT8"):
            raise ModelError(f"{source}: tensor {t} '{graph.Tensors(t).Name().decode()}' has type "
                             f"{kind}; a full-integer model holds only int8/int16/int32 tensors")
