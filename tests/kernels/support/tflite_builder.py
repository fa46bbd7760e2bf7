"""Build single-op .tflite models directly, so tests choose every scale, zero point and option.

Uses the object API of the maintained TFLite schema bindings (ai_edge_litert) and packs
with flatbuffers. `TensorSpec` describes one tensor; constants carry `data`.

    model = single_op_model("CONV_2D", [inp, weights, bias], [out],
                            {"stride_w": 2, "padding": "SAME", ...})
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import flatbuffers
import numpy as np

_DTYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "bool": 6, "int16": 7, "int8": 9}

# Op type → (BuiltinOptions class name) for ops whose options table is not "<Camel>Options".
_OPTIONS_CLASS = {
    "CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions", "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions", "MEAN": "ReducerOptions", "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions", "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions", "REDUCE_ALL": "ReducerOptions", "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions", "RELU": None, "RELU6": None, "LOGISTIC": None,
    "TANH": None, "DEQUANTIZE": "DequantizeOptions", "QUANTIZE": "QuantizeOptions",
    "LEAKY_RELU": "LeakyReluOptions", "HARD_SWISH": "HardSwishOptions",
    "PADV2": "PadV2Options", "SPACE_TO_BATCH_ND": "SpaceToBatchNDOptions",
    "BATCH_TO_SPACE_ND": "BatchToSpaceNDOptions", "BATCH_MATMUL": "BatchMatMulOptions",
    "SVDF": "SVDFOptions", "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
}


@dataclass
class TensorSpec:
    shape: Sequence[int]
    dtype: str = "int8"
    scale: float | Sequence[float] | None = None  # list → per-channel
    zero_point: int | Sequence[int] = 0
    axis: int = 0  # quantized_dimension for per-channel
    data: np.ndarray | None = None  # constant contents
    name: str = ""
    variable: bool = False  # a TFLite variable tensor (state an op keeps): neither input nor constant


def _schema() -> Any:
    import ai_edge_litert.schema_py_generated as schema

    return schema


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _options_object(op_type: str, options: dict[str, Any]) -> tuple[int, Any]:
    schema = _schema()
    if op_type in _OPTIONS_CLASS:
        cls_name = _OPTIONS_CLASS[op_type]
    else:
        cls_name = "".join(p.capitalize() for p in op_type.split("_")) + "Options"
        if not hasattr(schema, cls_name + "T"):
            cls_name = None
    if cls_name is None:
        if options:
            raise ValueError(f"{op_type} takes no options, got {options}")
        return 0, None
    obj = getattr(schema, cls_name + "T")()
    for key, value in options.items():
        attr = _camel(key)
        if not hasattr(obj, attr):
            raise ValueError(f"{cls_name} has no field {key!r}")
        if key == "padding" and isinstance(value, str):
            value = getattr(schema.Padding, value)
        elif key == "fused_activation_function" and isinstance(value, str):
            value = getattr(schema.ActivationFunctionType, value)
        setattr(obj, attr, value)
    return getattr(schema.BuiltinOptions, cls_name), obj


def _tensor(schema: Any, spec: TensorSpec, index: int, buffer: int) -> Any:
    t = schema.TensorT()
    t.shape = np.asarray(list(spec.shape), dtype=np.int32)
    t.type = _DTYPES[spec.dtype]
    t.buffer = buffer
    t.name = (spec.name or f"t{index}").encode()
    t.isVariable = spec.variable
    if spec.scale is not None:
        q = schema.QuantizationParametersT()
        scales = np.atleast_1d(np.asarray(spec.scale, dtype=np.float32))
        zps = np.atleast_1d(np.asarray(spec.zero_point, dtype=np.int64))
        if zps.size == 1 and scales.size > 1:
            zps = np.repeat(zps, scales.size)
        q.scale = [float(s) for s in scales]
        q.zeroPoint = [int(z) for z in zps]
        q.quantizedDimension = spec.axis
        t.quantization = q
    return t


def single_op_model(op_type: str, inputs: Sequence[TensorSpec | None],
                    outputs: Sequence[TensorSpec], options: dict[str, Any] | None = None,
                    version: int = 1) -> bytes:
    """A model with one op. Non-constant inputs become the model inputs, in order;
    a None input is an absent optional input (index -1)."""
    schema = _schema()
    buffers = [schema.BufferT()]  # buffer 0: the conventional empty buffer
    tensors: list[Any] = []
    op_inputs: list[int] = []
    model_inputs: list[int] = []
    for spec in inputs:
        if spec is None:
            op_inputs.append(-1)
            continue
        buffer = 0
        if spec.data is not None:
            b = schema.BufferT()
            raw = np.ascontiguousarray(np.asarray(spec.data, dtype=spec.dtype)).astype(
                np.dtype(spec.dtype).newbyteorder("<"))
            b.data = np.frombuffer(raw.tobytes(), dtype=np.uint8)
            buffers.append(b)
            buffer = len(buffers) - 1
        elif not spec.variable:
            model_inputs.append(len(tensors))
        op_inputs.append(len(tensors))
        tensors.append(_tensor(schema, spec, len(tensors), buffer))
    op_outputs = []
    for spec in outputs:
        op_outputs.append(len(tensors))
        tensors.append(_tensor(schema, spec, len(tensors), 0))

    code = schema.OperatorCodeT()
    builtin = getattr(schema.BuiltinOperator, op_type)
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, 127)
    code.version = version

    op = schema.OperatorT()
    op.opcodeIndex = 0
    op.inputs = np.asarray(op_inputs, dtype=np.int32)
    op.outputs = np.asarray(op_outputs, dtype=np.int32)
    op.builtinOptionsType, op.builtinOptions = _options_object(op_type, dict(options or {}))

    subgraph = schema.SubGraphT()
    subgraph.tensors = tensors
    subgraph.inputs = np.asarray(model_inputs, dtype=np.int32)
    subgraph.outputs = np.asarray(op_outputs, dtype=np.int32)
    subgraph.operators = [op]
    subgraph.name = b"main"

    model = schema.ModelT()
    model.version = 3
    model.operatorCodes = [code]
    model.subgraphs = [subgraph]
    model.buffers = buffers
    model.description = b"edgekit test model"

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def converter_model(build_keras: Any, input_shape: Sequence[int], samples: int = 32,
                    seed: int = 0) -> bytes:
    """Full-integer int8 model from the TF converter (representative dataset of uniform
    noise in [-1, 1]): the converter, not the test, picks scales and zero points.
    `build_keras(tf) -> keras.Model` (TensorFlow is imported here, lazily)."""
    import tensorflow as tf

    model = build_keras(tf)
    rng = np.random.default_rng(seed)

    def representative() -> Any:
        for _ in range(samples):
            yield [rng.uniform(-1, 1, size=(1, *input_shape)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def spec_of(t: Any) -> TensorSpec:
    """TensorSpec of an edgekit IR tensor (shape, dtype, quantization, constant data)."""
    q = t.quant
    return TensorSpec(t.shape, t.dtype, scale=None if q is None else [float(v) for v in q.scale],
                      zero_point=0 if q is None else [int(z) for z in q.zero_point],
                      axis=0 if q is None else q.axis, data=t.data, name=t.name)


def extract_op(graph: Any, op: Any) -> bytes:
    """One op of a loaded model (IR Graph) as its own single-op .tflite, with the same
    weights, quantization and options: to check real models' layers one by one."""
    inputs = [None if i < 0 else spec_of(graph.tensors[i]) for i in op.inputs]
    outputs = [spec_of(graph.tensors[i]) for i in op.outputs]
    return single_op_model(op.type, inputs, outputs, op.options)
