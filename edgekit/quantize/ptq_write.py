"""Write the int8 flatbuffer of edgekit's own quantizer through the TFLite schema's object API.

Every float tensor becomes int8 (int32 for a bias) with its Params; every float constant
gets a new buffer with its quantized bytes (the converter shares buffers between equal
constants; after quantization two users of one float buffer may need different bytes).
The model's inputs and outputs become int8 themselves, as the TF converter writes them
with inference_input_type/inference_output_type = int8: no QUANTIZE/DEQUANTIZE ops.
Operator versions are raised to the ones TF's converter gives the int8 kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgekit.quantize.ptq_params import Key, Params, constant, op_name

# Versions of the int8 kernels as TF 2.21's converter writes them (read from converter-built
# models); ops not listed keep their version.
INT8_VERSIONS = {
    "ADD": 2, "SUB": 2, "MUL": 2, "CONV_2D": 3, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 4,
    "SOFTMAX": 2, "LOGISTIC": 2, "TANH": 2, "MAX_POOL_2D": 2, "AVERAGE_POOL_2D": 2, "MEAN": 2,
    "STRIDED_SLICE": 2, "GATHER": 2, "SPLIT": 2, "SPLIT_V": 2, "CONCATENATION": 2, "PACK": 2,
    "UNPACK": 2, "TRANSPOSE": 2, "PAD": 2, "RELU": 2, "RELU6": 2, "LESS": 2, "SLICE": 2,
    "MAXIMUM": 2, "MINIMUM": 2, "LOG_SOFTMAX": 2, "REDUCE_MAX": 2,
}


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round half away from zero (std::round), as TF's quantizer."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def quantize_values(values: np.ndarray, params: Params) -> np.ndarray:
    """`values` in the integer type of `params` (per channel along params.axis)."""
    shape = [1] * values.ndim
    if len(params.scale) > 1:
        shape[params.axis] = len(params.scale)
    scale = params.scale.astype(np.float64).reshape(shape)
    zero = params.zero_point.reshape(shape)
    q = round_half_away(values.astype(np.float64) / scale) + zero
    if params.dtype == "int32":
        return np.clip(q, -2**31, 2**31 - 1).astype(np.int32)
    return np.clip(q, -128, 127).astype(np.int8)


def write_int8(model: Any, schema: Any, params: dict[Key, Params], weights: set[Key],
               float_io: bool = False) -> bytes:
    """Pack `model` (a ModelT, changed in place) with `params` applied; `weights` are the
    symmetric narrow-range tensors (clipped to -127..127); float_io keeps float I/O."""
    import flatbuffers

    for (k, i), p in params.items():
        tensor = model.subgraphs[k].tensors[i]
        value = constant(model, (k, i))
        quant = schema.QuantizationParametersT()
        quant.scale = [float(s) for s in p.scale]
        quant.zeroPoint = [int(z) for z in p.zero_point]
        quant.quantizedDimension = int(p.axis)
        tensor.quantization = quant
        tensor.type = schema.TensorType.INT32 if p.dtype == "int32" else schema.TensorType.INT8
        if value is not None:
            q = quantize_values(value, p)
            if (k, i) in weights:
                q = np.clip(q, -127, 127).astype(np.int8)
            buffer = schema.BufferT()
            buffer.data = np.frombuffer(q.tobytes(), np.uint8)
            model.buffers.append(buffer)
            tensor.buffer = len(model.buffers) - 1
    touched = {(k, n) for k, g in enumerate(model.subgraphs) for n, op in enumerate(g.operators or [])
               if any((k, int(i)) in params for i in [*op.inputs, *op.outputs] if i >= 0)}
    codes = {model.subgraphs[k].operators[n].opcodeIndex for k, n in touched}
    for index in codes:
        code = model.operatorCodes[index]
        name = op_name(model, _Op(index), schema)
        code.version = max(code.version, INT8_VERSIONS.get(name, code.version))
    if float_io:
        float_interface(model, schema)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def float_interface(model: Any, schema: Any) -> None:
    """Give subgraph 0 float inputs and outputs (in place): QUANTIZE float -> int8 before the
    int8 inputs and DEQUANTIZE int8 -> float after the int8 outputs, as TF's converter writes
    a full-integer model that keeps float I/O."""
    import copy

    graph = model.subgraphs[0]
    old_inputs, old_outputs = [int(i) for i in graph.inputs], [int(i) for i in graph.outputs]

    def opcode(builtin: int) -> int:
        for index, code in enumerate(model.operatorCodes):
            if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
                return index
        code = schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
        model.operatorCodes.append(code)
        return len(model.operatorCodes) - 1

    def float_twin(index: int) -> int:
        twin = copy.deepcopy(graph.tensors[index])
        twin.type, twin.quantization = schema.TensorType.FLOAT32, None
        graph.tensors[index].name = graph.tensors[index].name + b"_int8"
        empty = schema.BufferT()
        model.buffers.append(empty)
        twin.buffer = len(model.buffers) - 1
        graph.tensors.append(twin)
        return len(graph.tensors) - 1

    def op(builtin: int, source: int, target: int) -> Any:
        new = schema.OperatorT()
        new.opcodeIndex, new.inputs, new.outputs = opcode(builtin), np.array([source], np.int32), \
            np.array([target], np.int32)
        return new

    inputs = [float_twin(int(i)) for i in graph.inputs]
    quantizes = [op(schema.BuiltinOperator.QUANTIZE, f, int(i)) for f, i in zip(inputs, graph.inputs)]
    outputs = [float_twin(int(i)) for i in graph.outputs]
    dequantizes = [op(schema.BuiltinOperator.DEQUANTIZE, int(i), f) for f, i in zip(outputs, graph.outputs)]
    graph.operators = [*quantizes, *graph.operators, *dequantizes]
    graph.inputs, graph.outputs = np.array(inputs, np.int32), np.array(outputs, np.int32)
    for signature in model.signatureDefs or []:
        for tensors, new in ((signature.inputs, dict(zip(old_inputs, inputs))),
                             (signature.outputs, dict(zip(old_outputs, outputs)))):
            for entry in tensors or []:
                entry.tensorIndex = new.get(entry.tensorIndex, entry.tensorIndex)


class _Op:
    def __init__(self, opcode_index: int) -> None:
        self.opcodeIndex = opcode_index
