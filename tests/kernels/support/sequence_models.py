"""SVDF and UNIDIRECTIONAL_SEQUENCE_RNN models built through the TFLite schema.

No Keras layer converts to SVDF (Google's streaming keyword models write it with their own
tooling), so the tests build the op directly, with scales chosen as TF Lite's svdf_test.cc
(IntegerSVDFOpModel) and TFLite Micro's svdf_test.cc choose them: int8 input and
weights_feature, int16 weights_time and activation state (symmetric, zero point 0), an int32
bias of scale state_scale * weights_time_scale (TFLite Micro checks it), int8 output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tflite_builder import TensorSpec, single_op_model


@dataclass(frozen=True)
class SvdfCase:
    batches: int
    n_input: int
    units: int
    rank: int
    memory: int
    activation: str = "RELU"
    in_zp: int = -1
    out_zp: int = -1
    out_scale: float = 1.0 / 255
    bias: bool = True
    seed: int = 0

    @property
    def filters(self) -> int:
        return self.units * self.rank


def svdf_model(case: SvdfCase) -> bytes:
    """An int8 SVDF with seeded random weights (the full int8 / int16 ranges)."""
    rng = np.random.default_rng(case.seed)
    in_scale, wf_scale, wt_scale, state_scale = 2.0 / 255, 1.0 / 255, 1.0 / 32767, 16.0 / 32767
    wf = rng.integers(-127, 128, size=(case.filters, case.n_input), dtype=np.int8)
    wt = rng.integers(-32767, 32768, size=(case.filters, case.memory), dtype=np.int16)
    bias = rng.integers(-(2 ** 20), 2 ** 20, size=(case.units,), dtype=np.int32)
    inputs: list[TensorSpec | None] = [
        TensorSpec([case.batches, case.n_input], "int8", in_scale, case.in_zp, name="input"),
        TensorSpec(list(wf.shape), "int8", wf_scale, 0, data=wf, name="weights_feature"),
        TensorSpec(list(wt.shape), "int16", wt_scale, 0, data=wt, name="weights_time"),
        TensorSpec([case.units], "int32", float(np.float32(state_scale) * np.float32(wt_scale)), 0, data=bias,
                   name="bias") if case.bias else None,
        TensorSpec([case.batches, case.memory * case.filters], "int16", state_scale, 0, name="activation_state",
                   variable=True),
    ]
    output = TensorSpec([case.batches, case.units], "int8", case.out_scale, case.out_zp, name="output")
    return single_op_model("SVDF", inputs, [output],
                           {"rank": case.rank, "fused_activation_function": case.activation})


@dataclass(frozen=True)
class RnnCase:
    batches: int
    steps: int
    n_input: int
    units: int
    activation: str = "TANH"
    time_major: bool = False
    hybrid: bool = False  # int8 weights with float activations (TF's hybrid kernel)
    seed: int = 0


def _ops_model(specs: list[TensorSpec], ops: list[tuple[str, list[int], list[int], dict]],
               inputs: list[int], outputs: list[int]) -> bytes:
    """A model of several ops over `specs` (constants carry data, variables are flagged)."""
    import flatbuffers

    from .tflite_builder import _options_object, _schema, _tensor

    schema = _schema()
    buffers = [schema.BufferT()]
    tensors = []
    for k, spec in enumerate(specs):
        buffer = 0
        if spec.data is not None:
            b = schema.BufferT()
            b.data = np.frombuffer(np.ascontiguousarray(np.asarray(spec.data, dtype=spec.dtype)).tobytes(), np.uint8)
            buffers.append(b)
            buffer = len(buffers) - 1
        tensors.append(_tensor(schema, spec, k, buffer))
    codes, operators = [], []
    for op_type, op_in, op_out, options in ops:
        code = schema.OperatorCodeT()
        code.builtinCode = getattr(schema.BuiltinOperator, op_type)
        code.deprecatedBuiltinCode = min(code.builtinCode, 127)
        code.version = 1
        codes.append(code)
        op = schema.OperatorT()
        op.opcodeIndex = len(codes) - 1
        op.inputs = np.asarray(op_in, dtype=np.int32)
        op.outputs = np.asarray(op_out, dtype=np.int32)
        op.builtinOptionsType, op.builtinOptions = _options_object(op_type, options)
        operators.append(op)
    subgraph = schema.SubGraphT()
    subgraph.tensors, subgraph.operators, subgraph.name = tensors, operators, b"main"
    subgraph.inputs = np.asarray(inputs, dtype=np.int32)
    subgraph.outputs = np.asarray(outputs, dtype=np.int32)
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, codes, [subgraph], buffers
    model.description = b"edgekit test model"
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def rnn_model(case: RnnCase) -> bytes:
    """int8 input > FULLY_CONNECTED (int8, a dense projection per frame) > DEQUANTIZE > float
    UNIDIRECTIONAL_SEQUENCE_RNN > QUANTIZE > int8 output: the mixed model a converter leaves
    around an op TFLite has no int8 kernel for (the RNN runs on edgekit's float fallback).
    The weights are Glorot-like uniform floats (int8 with a per-tensor scale for the hybrid
    form), the hidden state a float variable."""
    rng = np.random.default_rng(case.seed)
    seq = [case.steps, case.batches] if case.time_major else [case.batches, case.steps]
    n_in = case.n_input
    w_fc = rng.integers(-127, 128, size=(n_in, n_in), dtype=np.int8)
    w_in = rng.uniform(-1, 1, size=(case.units, n_in)).astype(np.float32) / np.float32(np.sqrt(n_in))
    w_rec = rng.uniform(-1, 1, size=(case.units, case.units)).astype(np.float32) / np.float32(np.sqrt(case.units))
    bias = rng.uniform(-0.2, 0.2, size=(case.units,)).astype(np.float32)
    if case.hybrid:
        weights = [TensorSpec(list(w.shape), "int8", 1 / 127, 0, data=np.round(w * 127).astype(np.int8), name=n)
                   for w, n in ((w_in, "input_weights"), (w_rec, "recurrent_weights"))]
    else:
        weights = [TensorSpec(list(w.shape), "float32", data=w, name=n)
                   for w, n in ((w_in, "input_weights"), (w_rec, "recurrent_weights"))]
    specs = [
        TensorSpec([*seq, n_in], "int8", 1 / 64, -5, name="input_q"),
        TensorSpec([n_in, n_in], "int8", 1 / 127, 0, data=w_fc, name="projection"),
        TensorSpec([*seq, n_in], "int8", 1 / 16, 2, name="projected_q"),
        TensorSpec([*seq, n_in], "float32", name="projected"),
        *weights,
        TensorSpec([case.units], "float32", data=bias, name="bias"),
        TensorSpec([case.batches, case.units], "float32", name="hidden_state", variable=True),
        TensorSpec([*seq, case.units], "float32", name="output"),
        TensorSpec([*seq, case.units], "int8", 1 / 100, 3, name="output_q"),
    ]
    options = {"time_major": case.time_major, "fused_activation_function": case.activation}
    ops = [("FULLY_CONNECTED", [0, 1, -1], [2], {"keep_num_dims": True}), ("DEQUANTIZE", [2], [3], {}),
           ("UNIDIRECTIONAL_SEQUENCE_RNN", [3, 4, 5, 6, 7], [8], options), ("QUANTIZE", [8], [9], {})]
    return _ops_model(specs, ops, [0], [9])


def rnn_float_model(case: RnnCase) -> bytes:
    """The float UNIDIRECTIONAL_SEQUENCE_RNN alone (float input and output, the hidden
    state a variable): its float32 outputs compared bit for bit."""
    rng = np.random.default_rng(case.seed)
    seq = [case.steps, case.batches] if case.time_major else [case.batches, case.steps]
    w_in = rng.uniform(-1, 1, size=(case.units, case.n_input)).astype(np.float32)
    w_rec = rng.uniform(-1, 1, size=(case.units, case.units)).astype(np.float32) / np.float32(np.sqrt(case.units))
    bias = rng.uniform(-0.5, 0.5, size=(case.units,)).astype(np.float32)
    inputs: list[TensorSpec | None] = [
        TensorSpec([*seq, case.n_input], "float32", name="input"),
        TensorSpec(list(w_in.shape), "float32", data=w_in, name="input_weights"),
        TensorSpec(list(w_rec.shape), "float32", data=w_rec, name="recurrent_weights"),
        TensorSpec([case.units], "float32", data=bias, name="bias"),
        TensorSpec([case.batches, case.units], "float32", name="hidden_state", variable=True),
    ]
    return single_op_model("UNIDIRECTIONAL_SEQUENCE_RNN", inputs,
                           [TensorSpec([*seq, case.units], "float32", name="output")],
                           {"time_major": case.time_major, "fused_activation_function": case.activation})
