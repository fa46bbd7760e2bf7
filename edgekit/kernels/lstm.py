"""UNIDIRECTIONAL_SEQUENCE_LSTM lowering: int8 activations and weights, int16 cell state.

The integer form the TF converter writes for a Keras LSTM (tf_keras, or TF's own): four
gates (input, forget, cell, output) of per-tensor int8 weights, int32 biases, a variable
int8 hidden state and a variable int16 cell state whose scale is a power of two, and five
intermediate tensors, the last of which gives the hidden value's scale and zero point.

What TF computes in Prepare is computed here (TF: lite/kernels/unidirectional_sequence_lstm.cc
with lstm_eval.cc's EvalInteger8x8_16; TFLite Micro: lstm_eval_common.cc):
  - rounding "tflite": the gates' effective scales weight_scale * in_scale / 2^-12 and the
    hidden scale 2^-15 / s_hidden * 2^-15 in float32, as TF does; the zero points folded
    into the biases (TF's "effective biases");
  - rounding "tflm": the gate FCs' multipliers in double against an int16 output of scale
    2^-12, the cell products as MUL (2^-15 * s_cell / s_cell, 2^-30 / s_cell) and the
    hidden product against the hidden state's own scale and zero point.
Variants neither of TF's integer kernels covers the same way (peephole, projection, layer
normalisation, CIFG) and float or hybrid cells stop with one line naming the variant.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv_common import folded_bias
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.lstm_table import SIGMOID_TABLE
from edgekit.kernels.quant import quantize_multiplier

INPUT, HIDDEN_STATE, CELL_STATE = 0, 18, 19
GATES = ("input", "forget", "cell", "output")
IN_WEIGHTS, REC_WEIGHTS, BIASES = (1, 2, 3, 4), (5, 6, 7, 8), (12, 13, 14, 15)
VARIANT_INPUTS = {"peephole": (9, 10, 11), "projection": (16, 17), "layer normalisation": (20, 21, 22, 23)}


def _present(op: Op, position: int) -> bool:
    return len(op.inputs) > position and op.inputs[position] >= 0


def lstm_variant(graph: Graph, op: Op) -> str | None:
    """What edgekit cannot run about this LSTM (None: the standard int8 cell it runs)."""
    inp = graph.tensors[op.inputs[INPUT]]
    weights = graph.tensors[op.inputs[2]]
    if inp.dtype == "float32":
        return ("hybrid cell (int8 weights, float activations)" if weights.dtype == "int8"
                else "float cell (float32 weights and activations)")
    if inp.dtype != "int8":
        return f"{inp.dtype} activations (only int8 activations with an int16 cell state)"
    for name, positions in VARIANT_INPUTS.items():
        if any(_present(op, k) for k in positions):
            return f"{name} cell"
    if not _present(op, 1):
        return "CIFG cell (coupled input and forget gates)"
    cell = graph.tensors[op.inputs[CELL_STATE]]
    if cell.dtype != "int16":
        return f"{cell.dtype} cell state (only int16)"
    return None


def check_cell(graph: Graph, op: Op) -> None:
    """The one-line error naming the op, its index and the variant edgekit cannot run."""
    variant = lstm_variant(graph, op)
    require(variant is None, op, f"{variant} is not supported; edgekit runs the int8 LSTM cell with an int16 "
            "cell state (edgekit quantize, or the TF converter with a representative dataset, writes it)")


def _scale(t: Tensor, op: Op) -> float:
    require(t.quant is not None and len(t.quant.scale) == 1, op, f"tensor {t.name} needs per-tensor quantization")
    assert t.quant is not None
    return float(t.quant.scale[0])


def _zp(t: Tensor) -> int:
    return int(t.quant.zero_point[0]) if t.quant is not None else 0


def _weights(graph: Graph, op: Op, position: int, shape: tuple[int, int]) -> tuple[Tensor, np.ndarray]:
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant and t.dtype == "int8" and tuple(t.shape) == shape, op,
            f"input {position} must be constant int8 weights of shape {list(shape)}")
    assert t.data is not None
    return t, np.asarray(t.data, dtype=np.int64)


def _bias(graph: Graph, op: Op, position: int, n_cell: int) -> np.ndarray:
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant and t.dtype == "int32" and t.num_elements == n_cell, op,
            f"input {position} must be a constant int32 bias of {n_cell} values")
    assert t.data is not None
    return np.asarray(t.data, dtype=np.int64).reshape(-1)


def _power_of_two(scale: float, op: Op, what: str) -> int:
    power = round(math.log2(scale))
    require(2.0 ** power == scale, op, f"the {what} scale {scale:g} is not a power of two")
    return power


def _tf_multiplier(w_scale: float, x_scale: float) -> tuple[int, int]:
    """TF: float32 weight_scale * input_scale / 2^-12, decomposed in double."""
    value = np.float32(w_scale) * np.float32(x_scale) / np.float32(2.0 ** -12)
    return quantize_multiplier(float(value))


def _tflm_multiplier(w_scale: float, x_scale: float) -> tuple[int, int]:
    """TFLite Micro: double(input_scale) * double(weight_scale) / 2^-12."""
    return quantize_multiplier(float(x_scale) * float(w_scale) / 2.0 ** -12)


@register("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lower_lstm(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    check_cell(graph, op)
    inp, out = graph.tensors[op.inputs[INPUT]], graph.tensors[op.outputs[0]]
    hidden, cell = graph.tensors[op.inputs[HIDDEN_STATE]], graph.tensors[op.inputs[CELL_STATE]]
    require(op.options.get("fused_activation_function", "TANH") == "TANH", op, "the cell activation must be tanh")
    require(hidden.variable and cell.variable and not hidden.is_constant and not cell.is_constant, op,
            "the hidden and cell state must be variable tensors")
    require(len(inp.shape) == 3 and len(out.shape) == 3 and out.dtype == "int8", op,
            "input and output must be 3-D int8 sequences")
    time_major = bool(op.options.get("time_major", False))
    steps, batches = (inp.shape[0], inp.shape[1]) if time_major else (inp.shape[1], inp.shape[0])
    n_input = int(inp.shape[2])
    n_cell = int(graph.tensors[op.inputs[4]].shape[0]) if graph.tensors[op.inputs[4]].shape else 0
    require(n_cell > 0 and tuple(out.shape[:2]) == tuple(inp.shape[:2]) and out.shape[2] == n_cell, op,
            "output shape does not match the input's steps and batches and the cell count")
    require(hidden.num_elements == batches * n_cell and cell.num_elements == batches * n_cell, op,
            "state tensors must hold batches x cells values")
    require(len(op.intermediates) == 5, op, "the converter's five intermediate tensors are missing")
    in_scale, in_zp = _scale(inp, op), _zp(inp)
    h_scale, h_zp = _scale(hidden, op), _zp(hidden)
    require(out.quant is not None and _scale(out, op) == h_scale and _zp(out) == h_zp, op,
            "the output must be quantized like the hidden state")
    cell_power = _power_of_two(_scale(cell, op), op, "cell state")
    tflm = ctx.rounding == "tflm"
    multiplier = _tflm_multiplier if tflm else _tf_multiplier

    constants: list[ConstArray | ConstStruct] = []
    gates = []
    for g, name in enumerate(GATES):
        w_in, wi = _weights(graph, op, IN_WEIGHTS[g], (n_cell, n_input))
        w_rec, wr = _weights(graph, op, REC_WEIGHTS[g], (n_cell, n_cell))
        bias = _bias(graph, op, BIASES[g], n_cell)
        names = {k: cname(op, f"{name}_{k}") for k in ("wi", "wr", "bi", "br")}
        constants += [ConstArray(names["wi"], "int8_t", wi.reshape(-1)),
                      ConstArray(names["wr"], "int8_t", wr.reshape(-1)),
                      ConstArray(names["bi"], "int32_t", folded_bias(bias, wi, in_zp)),
                      ConstArray(names["br"], "int32_t", folded_bias(np.zeros(n_cell, np.int64), wr, h_zp))]
        mi, si = multiplier(_scale(w_in, op), in_scale)
        mr, sr = multiplier(_scale(w_rec, op), h_scale)
        gates.append(c_struct(in_weights=f"{{c:{names['wi']}}}", rec_weights=f"{{c:{names['wr']}}}",
                              in_bias=f"{{c:{names['bi']}}}", rec_bias=f"{{c:{names['br']}}}",
                              in_multiplier=mi, in_shift=si, rec_multiplier=mr, rec_shift=sr))

    cell_scale = _scale(cell, op)
    clip = float(op.options.get("cell_clip", 0.0) or 0.0)
    if tflm:
        fm, fs = quantize_multiplier(2.0 ** -15 * cell_scale / cell_scale)
        im, is_ = quantize_multiplier(2.0 ** -15 * 2.0 ** -15 / cell_scale)
        hm, hs = quantize_multiplier(2.0 ** -15 * 2.0 ** -15 / h_scale)
        hidden_zp = h_zp
        quantized_clip = int(min(max(clip / cell_scale, -32768.0), 32767.0))
        table = cname(op, "sigmoid")
        constants.append(ConstArray(table, "uint16_t", SIGMOID_TABLE))
        table_ref = f"{{c:{table}}}"
    else:
        fm = fs = im = is_ = 0
        effective = graph.tensors[op.intermediates[4]]
        s4 = np.float32(_scale(effective, op))
        hm, hs = quantize_multiplier(float(np.float32(2.0 ** -15) / s4 * np.float32(2.0 ** -15)))
        hidden_zp = _zp(effective)
        quantized_clip = int(np.float32(min(max(float(np.float32(clip) / np.float32(cell_scale)), -32768.0), 32767.0)))
        table_ref = "NULL"
    params = cname(op, "params")
    init = c_struct(form="EK_LSTM_TFLM" if tflm else "EK_LSTM_TF", batches=batches, steps=steps,
                    n_input=n_input, n_cell=n_cell, time_major=int(time_major),
                    gate="{" + ", ".join(gates) + "}", cell_scale_power=cell_power,
                    fc_multiplier=fm, fc_shift=fs, ig_multiplier=im, ig_shift=is_,
                    hidden_multiplier=hm, hidden_shift=hs, hidden_zero_point=hidden_zp,
                    cell_clip=quantized_clip if clip > 0 else 0, sigmoid_table=table_ref)
    constants.append(ConstStruct(params, "ek_lstm_params_t", init))
    return OpLowering(
        call=f"ek_lstm_s8(&{{c:{params}}}, {{in0}}, {{in1}}, (int16_t *)(void *){{in2}}, {{out0}}, {{scratch}});",
        headers=["ek_lstm.h"], constants=constants, scratch_bytes=lstm_scratch_bytes(n_cell))


def lstm_scratch_bytes(n_cell: int) -> int:
    """Mirror of ek_lstm_s8_get_buffer_size: five int16 vectors of n_cell."""
    return 5 * n_cell * 2
