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
The cell variants of TF's integer kernel (lstm_eval.cc, EvalInteger8x8_16) run in the "tflite"
form: peephole connections (int16 cell-to-gate weights at 2^cell_power * w_scale / 2^-12),
a projection of the int8 hidden vector (its zero point folded into the projection bias, at
w_scale * hidden_scale / state_scale, clipped by proj_clip) and CIFG (input gate = 1 - forget).
Layer normalisation (TF's ApplyLayerNorm) puts each gate's pre-activation at its intermediate
tensor's scale instead of 2^-12, normalises it in integer arithmetic and applies the gate bias
there, so the bias is not folded into the FCs. TFLite Micro refuses all these cells in Prepare,
so under "tflm" they stop with one line, as do float or hybrid cells.
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
PEEPHOLES = (9, 10, None, 11)  # cell-to-gate weights of the input, forget and output gates
PROJECTION_WEIGHTS, PROJECTION_BIAS = 16, 17
LAYER_NORM = (20, 21, 22, 23)


def _present(op: Op, position: int) -> bool:
    return len(op.inputs) > position and op.inputs[position] >= 0


def cell_variants(op: Op) -> list[str]:
    """The variants of TF's integer cell this op uses, beyond the standard Keras cell."""
    found = []
    if not _present(op, 1):
        found.append("CIFG")
    if any(k is not None and _present(op, k) for k in PEEPHOLES):
        found.append("peephole")
    if _present(op, PROJECTION_WEIGHTS):
        found.append("projection")
    if any(_present(op, k) for k in LAYER_NORM):
        found.append("layer normalisation")
    return found


def lstm_variant(graph: Graph, op: Op, rounding: str = "tflite") -> str | None:
    """What edgekit cannot run about this LSTM (None: a cell it runs)."""
    inp = graph.tensors[op.inputs[INPUT]]
    weights = graph.tensors[op.inputs[2]]
    if inp.dtype == "float32":
        return ("hybrid cell (int8 weights, float activations)" if weights.dtype == "int8"
                else "float cell (float32 weights and activations)")
    if inp.dtype != "int8":
        return f"{inp.dtype} activations (only int8 activations with an int16 cell state)"
    cell = graph.tensors[op.inputs[CELL_STATE]]
    if cell.dtype != "int16":
        return f"{cell.dtype} cell state (only int16)"
    variants = cell_variants(op)
    if variants and rounding == "tflm":
        return (f"{' + '.join(variants)} cell under --rounding tflm (TFLite Micro runs only the standard "
                "cell; --rounding tflite runs it as TF's reference kernel does)")
    return None


def check_cell(graph: Graph, op: Op, rounding: str = "tflite") -> None:
    """The one-line error naming the op, its index and the variant edgekit cannot run."""
    variant = lstm_variant(graph, op, rounding)
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


def _tf_scale_ratio(numerator: float, weight_scale: float, denominator: float) -> tuple[int, int]:
    """TF's other effective scales, a float32 product over a float32 scale, decomposed in double."""
    value = np.float32(numerator) * np.float32(weight_scale) / np.float32(denominator)
    return quantize_multiplier(float(value))


def _tflm_multiplier(w_scale: float, x_scale: float) -> tuple[int, int]:
    """TFLite Micro: double(input_scale) * double(weight_scale) / 2^-12."""
    return quantize_multiplier(float(x_scale) * float(w_scale) / 2.0 ** -12)


def _peephole(graph: Graph, op: Op, gate: int, n_cell: int, cell_power: int,
              gate_scale: float) -> tuple[ConstArray | None, dict[str, object]]:
    """The gate's int16 cell-to-gate weights and their C initialiser fields (NULL: none)."""
    position = PEEPHOLES[gate]
    if position is None or not _present(op, position):
        return None, {"peephole": "NULL", "peephole_multiplier": 0, "peephole_shift": 0}
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant and t.dtype == "int16" and t.num_elements == n_cell, op,
            f"input {position} must be constant int16 peephole weights of {n_cell} values")
    assert t.data is not None
    name = cname(op, f"{GATES[gate]}_peephole")
    m, shift = _tf_scale_ratio(2.0 ** cell_power, _scale(t, op), gate_scale)
    return (ConstArray(name, "int16_t", np.asarray(t.data, dtype=np.int64).reshape(-1)),
            {"peephole": f"{{c:{name}}}", "peephole_multiplier": m, "peephole_shift": shift})


def _layer_norm(graph: Graph, op: Op, gate: int, n_cell: int) -> tuple[list[ConstArray], dict[str, object]]:
    """The gate's int16 layer-norm weights, its own bias (applied after normalising) and
    TF's multiplier for the weights' scale; the variance guard as TF's Prepare sets it."""
    position = LAYER_NORM[gate]
    if not _present(op, position):
        return [], {"layer_norm_weights": "NULL", "layer_norm_bias": "NULL", "layer_norm_multiplier": 0,
                    "layer_norm_shift": 0, "variance_guard": 0}
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant and t.dtype == "int16" and t.num_elements == n_cell, op,
            f"input {position} must be constant int16 layer-norm weights of {n_cell} values")
    assert t.data is not None
    bias = _bias(graph, op, BIASES[gate], n_cell)
    names = cname(op, f"{GATES[gate]}_ln_weights"), cname(op, f"{GATES[gate]}_ln_bias")
    scale = _scale(t, op)
    m, shift = quantize_multiplier(float(np.float32(scale)))
    return ([ConstArray(names[0], "int16_t", np.asarray(t.data, dtype=np.int64).reshape(-1)),
             ConstArray(names[1], "int32_t", bias)],
            {"layer_norm_weights": f"{{c:{names[0]}}}", "layer_norm_bias": f"{{c:{names[1]}}}",
             "layer_norm_multiplier": m, "layer_norm_shift": shift,
             "variance_guard": max(1, int(np.float32(10000) * np.float32(scale)))})


def _gate_scales(graph: Graph, op: Op) -> list[float]:
    """Each gate's pre-activation scale: 2^-12 (Q3.12), or with layer normalisation the
    scale of the gate's intermediate tensor, as TF's Prepare reads them."""
    if not any(_present(op, k) for k in LAYER_NORM):
        return [2.0 ** -12] * 4
    scales = []
    for g in range(4):
        t = graph.tensors[op.intermediates[g]]
        # TF reads all four, the unused input gate's of a CIFG cell too (its kernel goes wrong
        # without it), so all four must be there.
        require(t.quant is not None and len(t.quant.scale) == 1, op,
                f"a layer-normalised cell needs the scale of intermediate tensor {t.name} ({GATES[g]} gate)")
        scales.append(_scale(t, op))
    return scales


def _projection(graph: Graph, op: Op, n_cell: int, n_output: int, hidden: Tensor,
                effective: Tensor, hidden_zp: int) -> tuple[list[ConstArray], str]:
    """Projection weights and the bias with the hidden vector's zero point folded in (TF's
    projection_effective_bias), at proj_scale * hidden_scale / state_scale."""
    if not _present(op, PROJECTION_WEIGHTS):
        return [], c_struct(weights="NULL", bias="NULL", multiplier=0, shift=0, output_zero_point=0, clip=0)
    w_t, w = _weights(graph, op, PROJECTION_WEIGHTS, (n_output, n_cell))
    bias = _bias(graph, op, PROJECTION_BIAS, n_output) if _present(op, PROJECTION_BIAS) else np.zeros(n_output, np.int64)
    names = cname(op, "proj_weights"), cname(op, "proj_bias")
    m, shift = _tf_scale_ratio(_scale(w_t, op), _scale(effective, op), _scale(hidden, op))
    proj_clip = float(op.options.get("proj_clip", 0.0) or 0.0)
    clip = int(np.float32(min(max(float(np.float32(proj_clip) / np.float32(_scale(hidden, op))), -128.0), 127.0))) \
        if proj_clip > 0 else 0
    return ([ConstArray(names[0], "int8_t", w.reshape(-1)),
             ConstArray(names[1], "int32_t", folded_bias(bias, w, hidden_zp))],
            c_struct(weights=f"{{c:{names[0]}}}", bias=f"{{c:{names[1]}}}", multiplier=m, shift=shift,
                     output_zero_point=_zp(hidden), clip=clip))


@register("UNIDIRECTIONAL_SEQUENCE_LSTM")
def lower_lstm(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    check_cell(graph, op, ctx.rounding)
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
    rec_shape = graph.tensors[op.inputs[REC_WEIGHTS[3]]].shape
    n_output = int(rec_shape[1]) if len(rec_shape) == 2 else 0
    projected = _present(op, PROJECTION_WEIGHTS)
    require(n_cell > 0 and (projected or n_output == n_cell), op,
            "without a projection the recurrent weights must be cells x cells")
    require(tuple(out.shape[:2]) == tuple(inp.shape[:2]) and out.shape[2] == n_output, op,
            "output shape does not match the input's steps and batches and the output size")
    require(hidden.num_elements == batches * n_output and cell.num_elements == batches * n_cell, op,
            "state tensors must hold batches x outputs and batches x cells values")
    # TF's integer kernel walks the peephole weights over n_output values, not n_cell.
    require(not (projected and "peephole" in cell_variants(op) and n_output != n_cell), op,
            "a peephole cell with a projection to a different size is not supported (TF's integer kernel "
            "applies the peephole weights to n_output values there)")
    require(len(op.intermediates) == 5, op, "the converter's five intermediate tensors are missing")
    in_scale, in_zp = _scale(inp, op), _zp(inp)
    h_scale, h_zp = _scale(hidden, op), _zp(hidden)
    require(out.quant is not None and _scale(out, op) == h_scale and _zp(out) == h_zp, op,
            "the output must be quantized like the hidden state")
    cell_power = _power_of_two(_scale(cell, op), op, "cell state")
    tflm = ctx.rounding == "tflm"

    constants: list[ConstArray | ConstStruct] = []
    gates = []
    gate_scales = _gate_scales(graph, op)
    for g, name in enumerate(GATES):
        peephole, extra = _peephole(graph, op, g, n_cell, cell_power, gate_scales[g])
        constants += [peephole] if peephole is not None else []
        layer_norm_constants, layer_norm_fields = _layer_norm(graph, op, g, n_cell)
        constants += layer_norm_constants
        extra.update(layer_norm_fields)
        if not _present(op, IN_WEIGHTS[g]):  # CIFG: the input gate is 1 - forget
            gates.append(c_struct(in_weights="NULL", rec_weights="NULL", in_bias="NULL", rec_bias="NULL",
                                  in_multiplier=0, in_shift=0, rec_multiplier=0, rec_shift=0, **extra))
            continue
        w_in, wi = _weights(graph, op, IN_WEIGHTS[g], (n_cell, n_input))
        w_rec, wr = _weights(graph, op, REC_WEIGHTS[g], (n_cell, n_output))
        # With layer normalisation the gate bias is added after normalising, not in the FC.
        bias = np.zeros(n_cell, np.int64) if layer_norm_constants else _bias(graph, op, BIASES[g], n_cell)
        names = {k: cname(op, f"{name}_{k}") for k in ("wi", "wr", "bi", "br")}
        constants += [ConstArray(names["wi"], "int8_t", wi.reshape(-1)),
                      ConstArray(names["wr"], "int8_t", wr.reshape(-1)),
                      ConstArray(names["bi"], "int32_t", folded_bias(bias, wi, in_zp)),
                      ConstArray(names["br"], "int32_t", folded_bias(np.zeros(n_cell, np.int64), wr, h_zp))]
        if tflm:
            mi, si = _tflm_multiplier(_scale(w_in, op), in_scale)
            mr, sr = _tflm_multiplier(_scale(w_rec, op), h_scale)
        else:
            mi, si = _tf_scale_ratio(_scale(w_in, op), in_scale, gate_scales[g])
            mr, sr = _tf_scale_ratio(_scale(w_rec, op), h_scale, gate_scales[g])
        gates.append(c_struct(in_weights=f"{{c:{names['wi']}}}", rec_weights=f"{{c:{names['wr']}}}",
                              in_bias=f"{{c:{names['bi']}}}", rec_bias=f"{{c:{names['br']}}}",
                              in_multiplier=mi, in_shift=si, rec_multiplier=mr, rec_shift=sr, **extra))

    cell_scale = _scale(cell, op)
    clip = float(op.options.get("cell_clip", 0.0) or 0.0)
    effective = graph.tensors[op.intermediates[4]]
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
        s4 = np.float32(_scale(effective, op))
        hm, hs = quantize_multiplier(float(np.float32(2.0 ** -15) / s4 * np.float32(2.0 ** -15)))
        # With a projection, TF's kernel forms the int8 hidden vector with the intermediate's
        # zero point subtracted (CwiseMul) and folds the same value into the projection bias:
        # the pair cancels except where the hidden vector saturates, which TF's outputs show.
        hidden_zp = -_zp(effective) if projected else _zp(effective)
        quantized_clip = int(np.float32(min(max(float(np.float32(clip) / np.float32(cell_scale)), -32768.0), 32767.0)))
        table_ref = "NULL"
    projection_constants, projection = _projection(graph, op, n_cell, n_output, hidden, effective, hidden_zp)
    constants += projection_constants
    params = cname(op, "params")
    init = c_struct(form="EK_LSTM_TFLM" if tflm else "EK_LSTM_TF", batches=batches, steps=steps,
                    n_input=n_input, n_cell=n_cell, n_output=n_output, time_major=int(time_major),
                    gate="{" + ", ".join(gates) + "}", projection=projection, cell_scale_power=cell_power,
                    fc_multiplier=fm, fc_shift=fs, ig_multiplier=im, ig_shift=is_,
                    hidden_multiplier=hm, hidden_shift=hs, hidden_zero_point=hidden_zp,
                    cell_clip=quantized_clip if clip > 0 else 0, sigmoid_table=table_ref)
    constants.append(ConstStruct(params, "ek_lstm_params_t", init))
    return OpLowering(
        call=f"ek_lstm_s8(&{{c:{params}}}, {{in0}}, {{in1}}, (int16_t *)(void *){{in2}}, {{out0}}, {{scratch}});",
        headers=["ek_lstm.h", "ek_norm.h"], constants=constants,
        scratch_bytes=lstm_scratch_bytes(n_cell, projected, n_input, n_output))


def lstm_scratch_bytes(n_cell: int, projected: bool = False, n_input: int = 0, n_output: int = 0) -> int:
    """Mirror of ek_lstm_s8_get_buffer_size: five int16 vectors of n_cell, the int8 hidden
    vector that a projection reads, then (word-aligned) the step's input and hidden vectors
    widened once for SMLAD (two words per four values)."""
    vectors = 5 * n_cell * 2 + (n_cell if projected else 0)
    return (vectors + 3) // 4 * 4 + 8 * (n_input // 4 + n_output // 4)
