"""LSTM cell variants the TF converter has no Keras layer for, derived from its own models.

The converter writes only the standard Keras cell. TF's integer kernel (lstm_eval.cc,
EvalInteger8x8_16) also runs peephole connections, a projection of the hidden state, the
coupled input-forget gate (CIFG) and layer normalisation of the gates. These builders take a converter-built int8 LSTM model of
tests/corpus/lstm and edit it through the TFLite schema into each variant, with quantization
chosen as TF's quantizer chooses it:
  - peephole weights: int16, symmetric, per tensor (scale max|w| / 32767);
  - projection weights: int8 symmetric (max|w| / 127); its bias int32 at
    weight scale x hidden scale (the effective hidden intermediate's);
  - CIFG: the input gate's weights and bias become absent (-1);
  - layer normalisation: int16 symmetric weights; each gate's bias requantized to
    weight scale x 2^-10 (where TF's ApplyLayerNorm adds it); each gate's intermediate
    tensor gets an int16 scale of a quarter of its worst-case pre-activation over 32767.
Weights are drawn from a seeded generator; the graph is otherwise the converter's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flatbuffers
import numpy as np

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "lstm"

PEEPHOLE = (9, 10, 11)   # cell-to-input, -forget, -output
CIFG = (1, 5, 12)        # input-to-input, recurrent-to-input, input gate bias
PROJECTION = (16, 17)    # weights, bias
LAYER_NORM = (20, 21, 22, 23)
INPUT_WEIGHTS = (1, 2, 3, 4)
BIASES = (12, 13, 14, 15)
RECURRENT = (5, 6, 7, 8)
HIDDEN_STATE = 18


def _schema() -> Any:
    import ai_edge_litert.schema_py_generated as schema

    return schema


def _lstm(model: Any) -> tuple[Any, Any]:
    graph = model.subgraphs[0]
    for op in graph.operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode == _schema().BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM:
            return graph, op
    raise ValueError("no UNIDIRECTIONAL_SEQUENCE_LSTM in the model")


def _add_constant(model: Any, graph: Any, name: str, values: np.ndarray, tensor_type: int, scale: float) -> int:
    schema = _schema()
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(values.tobytes(), dtype=np.uint8).copy()
    model.buffers.append(buffer)
    tensor = schema.TensorT()
    tensor.name = name.encode()
    tensor.shape = np.array(values.shape, dtype=np.int32)
    tensor.type = tensor_type
    tensor.buffer = len(model.buffers) - 1
    quant = schema.QuantizationParametersT()
    quant.scale = np.array([scale], dtype=np.float32)
    quant.zeroPoint = np.array([0], dtype=np.int64)
    tensor.quantization = quant
    graph.tensors.append(tensor)
    return len(graph.tensors) - 1


def _constant(model: Any, graph: Any, index: int, dtype: type) -> np.ndarray:
    tensor = graph.tensors[index]
    return np.frombuffer(bytes(model.buffers[tensor.buffer].data), dtype=dtype).reshape(tensor.shape)


def _set_constant(model: Any, graph: Any, index: int, values: np.ndarray) -> None:
    tensor = graph.tensors[index]
    tensor.shape = np.array(values.shape, dtype=np.int32)
    buffer = _schema().BufferT()
    buffer.data = np.frombuffer(values.tobytes(), dtype=np.uint8).copy()
    model.buffers.append(buffer)
    tensor.buffer = len(model.buffers) - 1


def _add_peephole(model: Any, graph: Any, op: Any, rng: np.random.Generator, cifg: bool) -> None:
    n_cell = int(graph.tensors[op.inputs[4]].shape[0])
    schema = _schema()
    for position, gate in zip(PEEPHOLE, ("input", "forget", "output")):
        if cifg and gate == "input":
            continue
        weights = rng.normal(0.0, 0.4, n_cell).astype(np.float32)
        scale = float(np.max(np.abs(weights))) / 32767.0
        q = np.clip(np.round(weights / scale), -32767, 32767).astype(np.int16)
        op.inputs[position] = _add_constant(model, graph, f"cell_to_{gate}_weights", q, schema.TensorType.INT16, scale)


def _add_projection(model: Any, graph: Any, op: Any, rng: np.random.Generator, n_output: int,
                    with_bias: bool, weights: np.ndarray | None) -> None:
    """Hidden state of n_output values: the recurrent weights, the state and the output shrink."""
    schema = _schema()
    n_cell = int(graph.tensors[op.inputs[4]].shape[0])
    for position in RECURRENT:
        if op.inputs[position] >= 0:
            _set_constant(model, graph, op.inputs[position],
                          np.ascontiguousarray(_constant(model, graph, op.inputs[position], np.int8)[:, :n_output]))
    state = graph.tensors[op.inputs[HIDDEN_STATE]]
    state.shape = np.array([state.shape[0], n_output], dtype=np.int32)
    out = graph.tensors[op.outputs[0]]
    out.shape = np.array([*out.shape[:-1], n_output], dtype=np.int32)
    if weights is None:
        weights = rng.normal(0.0, 0.3, (n_output, n_cell)).astype(np.float32)
    w_scale = float(np.max(np.abs(weights))) / 127.0
    qw = np.clip(np.round(weights / w_scale), -127, 127).astype(np.int8)
    op.inputs[PROJECTION[0]] = _add_constant(model, graph, "projection_weights", qw, schema.TensorType.INT8, w_scale)
    if with_bias:
        hidden_scale = float(graph.tensors[op.intermediates[4]].quantization.scale[0])
        bias_scale = w_scale * hidden_scale
        bias = np.round(rng.normal(0.0, 0.2, n_output) / bias_scale).astype(np.int32)
        op.inputs[PROJECTION[1]] = _add_constant(model, graph, "projection_bias", bias, schema.TensorType.INT32,
                                                 bias_scale)
    # The model ends at the LSTM: its sequence of n_output values is the output.
    graph.operators = [op]
    graph.outputs = np.array([op.outputs[0]], dtype=np.int32)


def _quantization(tensor: Any) -> tuple[float, int]:
    return float(tensor.quantization.scale[0]), int(tensor.quantization.zeroPoint[0])


def _add_layer_norm(model: Any, graph: Any, op: Any, rng: np.random.Generator) -> None:
    schema = _schema()
    n_cell = int(graph.tensors[op.inputs[4]].shape[0])
    x_scale, _ = _quantization(graph.tensors[op.inputs[0]])
    h_scale, _ = _quantization(graph.tensors[op.inputs[HIDDEN_STATE]])
    for gate in range(4):
        if op.inputs[INPUT_WEIGHTS[gate]] < 0:
            # CIFG: no input gate, but TF's Prepare still reads all four intermediates' scales.
            graph.tensors[op.intermediates[gate]].type = schema.TensorType.INT16
            graph.tensors[op.intermediates[gate]].quantization = schema.QuantizationParametersT()
            graph.tensors[op.intermediates[gate]].quantization.scale = np.array([2.0 ** -12], dtype=np.float32)
            graph.tensors[op.intermediates[gate]].quantization.zeroPoint = np.array([0], dtype=np.int64)
            continue
        w_in = _constant(model, graph, op.inputs[INPUT_WEIGHTS[gate]], np.int8).astype(np.float64)
        w_rec = _constant(model, graph, op.inputs[RECURRENT[gate]], np.int8).astype(np.float64)
        s_in = _quantization(graph.tensors[op.inputs[INPUT_WEIGHTS[gate]]])[0]
        s_rec = _quantization(graph.tensors[op.inputs[RECURRENT[gate]]])[0]
        worst = np.abs(w_in).sum(axis=1) * s_in * 128 * x_scale + np.abs(w_rec).sum(axis=1) * s_rec * 128 * h_scale
        intermediate = graph.tensors[op.intermediates[gate]]
        intermediate.type = schema.TensorType.INT16
        quant = schema.QuantizationParametersT()
        quant.scale = np.array([float(worst.max()) / 4 / 32767], dtype=np.float32)
        quant.zeroPoint = np.array([0], dtype=np.int64)
        intermediate.quantization = quant
        weights = rng.normal(1.0, 0.2, n_cell).astype(np.float32)
        ln_scale = float(np.max(np.abs(weights))) / 32767.0
        q = np.clip(np.round(weights / ln_scale), -32767, 32767).astype(np.int16)
        op.inputs[LAYER_NORM[gate]] = _add_constant(model, graph, f"layer_norm_{gate}", q, schema.TensorType.INT16,
                                                    ln_scale)
        bias_tensor = graph.tensors[op.inputs[BIASES[gate]]]
        real_bias = _constant(model, graph, op.inputs[BIASES[gate]], np.int32) * _quantization(bias_tensor)[0]
        bias_scale = ln_scale * 2.0 ** -10
        _set_constant(model, graph, op.inputs[BIASES[gate]], np.round(real_bias / bias_scale).astype(np.int32))
        bias_tensor.quantization.scale = np.array([bias_scale], dtype=np.float32)


def lstm_variant(base: str, *, peephole: bool = False, cifg: bool = False, projection: int = 0,
                 layer_norm: bool = False,
                 projection_bias: bool = True, proj_clip: float = 0.0, seed: int = 0,
                 projection_weights: np.ndarray | None = None) -> bytes:
    """The converter-built corpus model `base` edited into the asked-for cell variant."""
    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(bytearray((CORPUS / f"{base}.tflite").read_bytes()), 0)
    graph, op = _lstm(model)
    op.inputs = np.array(op.inputs, dtype=np.int32)
    rng = np.random.default_rng(seed)
    if cifg:
        for position in CIFG:
            op.inputs[position] = -1
    if peephole:
        _add_peephole(model, graph, op, rng, cifg)
    if layer_norm:
        _add_layer_norm(model, graph, op, rng)
    if projection:
        _add_projection(model, graph, op, rng, projection, projection_bias, projection_weights)
        op.builtinOptions.projClip = proj_clip
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
