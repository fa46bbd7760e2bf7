"""Single-input int8 element-wise ops as a 256-entry lookup table built on the host.

An int8 op with one input has only 256 possible inputs, so the host runs the exact
integer (or float) algorithm of the reference kernel for each of them and the device
does `out[i] = lut[(uint8_t)in[i]]` (ek_lut_s8). That makes the device side bit-exact
by construction: correctness lives in the mirrors below, which the tests check byte for
byte against TF's BUILTIN_REF kernels (and TFLite Micro for --rounding tflm).

Each mirror follows the Prepare/Eval arithmetic of tflite/kernels/activations.cc,
quantize.cc and internal/reference/*.h, float32 steps included (e.g. RELU's multiplier
is the float32 quotient in_scale / out_scale, widened to double afterwards).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgekit.errors import ModelError
from edgekit.ir import Graph, Op
from edgekit.kernels import gemmlowp
from edgekit.kernels.cformat import c_float, cname, int8_per_tensor, require, require_int16, scale_zp
from edgekit.kernels.gemmlowp import rdbpot, srdhm, tdiv
from edgekit.kernels.libm import float_function
from edgekit.kernels.lowering import ConstArray, LoweringContext, OpLowering, register
from edgekit.kernels.quant import (
    Real,
    int8_activation_range,
    multiply_by_quantized_multiplier,
    quantize_f32,
    quantize_multiplier,
    tflite_round,
)
from edgekit.kernels.requantize import leaky_relu_multipliers, lower_requantize
from edgekit.memory.contract import MemoryContract

INT8_VALUES = np.arange(-128, 128, dtype=np.int64)  # every possible int8 input
F32 = np.float32


def lut_order(values_by_input: np.ndarray) -> np.ndarray:
    """Reorder 256 outputs given for inputs -128..127 into the device's index order
    (uint8_t)x, i.e. 0..127 then -128..-1."""
    table = np.empty(256, dtype=np.int8)
    table[INT8_VALUES.astype(np.uint8)] = np.asarray(values_by_input, dtype=np.int64).astype(np.int8)
    return table


def _clamp8(x: np.ndarray) -> np.ndarray:
    return np.clip(np.asarray(x, dtype=np.int64), -128, 127)


# --- RELU, RELU6, RELU_N1_TO_1 ---------------------------------------------------------

_RELU_OPS = ("RELU", "RELU6", "RELU_N1_TO_1")  # clamp ops named like the fused activations


def relu_lut(op_type: str, in_scale: Real, in_zp: int, out_scale: Real, out_zp: int,
             rounding: str = "tflite") -> np.ndarray:
    """activations.cc ReluPrepare + QuantizedReluX: requantize x - in_zp by
    in_scale/out_scale, add out_zp, clamp to the activation's range (TFLite Micro does
    the same except for RELU6)."""
    s_in, s_out = F32(in_scale), F32(out_scale)
    if rounding == "tflm" and op_type == "RELU6":
        # TFLM's Relu6 does not requantize: it clamps the raw input to
        # [in_zp, FloatToQuantizedType(6.0f, in_scale, in_zp)].
        six = max(-128, min(127, quantize_f32(6.0, s_in, in_zp)))
        return lut_order(np.clip(INT8_VALUES, in_zp, six))
    q, shift = quantize_multiplier(float(F32(s_in / s_out)))  # float32 quotient, as TF
    act_min, act_max = int8_activation_range(op_type, s_out, out_zp)
    y = out_zp + multiply_by_quantized_multiplier(INT8_VALUES - in_zp, q, shift)
    return lut_order(np.clip(y, act_min, act_max))


# --- LEAKY_RELU -------------------------------------------------------------------------


def leaky_relu_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int,
                   alpha: Real) -> np.ndarray:
    """LeakyReluPrepare (float32 products) + reference_ops::QuantizeLeakyRelu."""
    (q_id, sh_id), (q_alpha, sh_alpha) = leaky_relu_multipliers(in_scale, out_scale, alpha)
    v = INT8_VALUES - in_zp
    pos = multiply_by_quantized_multiplier(v, q_id, sh_id)
    neg = multiply_by_quantized_multiplier(v, q_alpha, sh_alpha)
    return lut_order(_clamp8(out_zp + np.where(v >= 0, pos, neg)))


# --- HARD_SWISH ---------------------------------------------------------------------------


def _sdhm16(a: int, b: int) -> int:
    """SaturatingDoublingHighMul (rounds toward zero) on int16."""
    if a == b == -32768:
        return 32767
    return _wrap16(tdiv(a * b, 1 << 15))


def _wrap16(x: int) -> int:
    return ((x + 32768) % 65536) - 32768


def _sat_left_shift16(value: int, amount: int) -> int:
    return max(-32768, min(32767, value * (1 << amount)))


def _downscale_to_int16(multiplier: int) -> int:
    """activations.cc DownScaleInt32ToInt16Multiplier."""
    if multiplier >= (1 << 31) - 1 - (1 << 15):
        return 32767
    return (multiplier + (1 << 15)) >> 16


def hard_swish_params(in_scale: Real, out_scale: Real) -> tuple[int, int, int, int]:
    """HardSwishPrepare: (output mult int16, output exponent, reluish mult int16,
    reluish exponent), computed in float32 as TF does."""
    hires = F32(F32(1.0 / 128.0) * F32(in_scale))
    reluish_scale = F32(F32(3.0) / F32(32768.0))
    out_q, out_exp = quantize_multiplier(float(F32(hires / F32(out_scale))))
    rel_q, rel_exp = quantize_multiplier(float(F32(hires / reluish_scale)))
    return _downscale_to_int16(out_q), out_exp, _downscale_to_int16(rel_q), rel_exp


def hard_swish_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int) -> np.ndarray:
    """reference_ops::HardSwish<int8_t> with HardSwishParams from HardSwishPrepare."""
    out_m, out_exp, rel_m, rel_exp = hard_swish_params(in_scale, out_scale)
    if out_exp > 0:
        raise ModelError("HARD_SWISH: output scale below input_scale/128 is rejected by TFLite too")
    values = []
    for x in INT8_VALUES:
        v = _wrap16(int(x) - in_zp)
        hires = _wrap16(v * 128)
        preshift_out = srdhm(hires, out_m, bits=16)
        reluish = hires
        if rel_exp > 0:
            reluish = _sat_left_shift16(reluish, rel_exp - 1)
        reluish = srdhm(reluish, rel_m, bits=16)
        if rel_exp > 0:
            reluish = _sat_left_shift16(reluish, 1)
        if rel_exp < 0:
            reluish = rdbpot(reluish, -rel_exp)
        reluish = _wrap16((reluish + (1 << 15)) >> 1)
        pre = _sdhm16(reluish, preshift_out)
        out = _wrap16(rdbpot(pre, -out_exp) + out_zp)
        values.append(max(-128, min(127, out)))
    return lut_order(np.array(values))


# --- LOGISTIC, TANH (TF: float LUT built with libm, as PopulateLookupTable) ---------------


def _sigmoid_f32(x: np.float32) -> np.float32:
    e = F32(float_function("expf")(float(-x)))
    return F32(F32(1.0) / F32(F32(1.0) + e))


def _tanh_f32(x: np.float32) -> np.float32:
    return F32(float_function("tanhf")(float(x)))


def float_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int,
              transform: Callable[[np.float32], np.float32]) -> np.ndarray:
    """activations.cc PopulateLookupTable<int8_t>: every step in float32, libm's expf/
    tanhf (the same functions TFLite calls through std::exp/std::tanh)."""
    s_in = F32(in_scale)
    inverse = F32(F32(1.0) / F32(out_scale))
    values = []
    for x in INT8_VALUES:
        deq = F32(s_in * F32(int(x) - in_zp))
        rescaled = tflite_round(F32(transform(deq) * inverse))
        values.append(max(-128, min(127, int(F32(F32(rescaled) + F32(out_zp))))))
    return lut_order(np.array(values))


def logistic_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int) -> np.ndarray:
    return float_lut(in_scale, in_zp, out_scale, out_zp, _sigmoid_f32)


def tanh_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int) -> np.ndarray:
    return float_lut(in_scale, in_zp, out_scale, out_zp, _tanh_f32)


# --- QUANTIZE int8 -> int8 (requantize) ---------------------------------------------------


def requantize_lut(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int) -> np.ndarray:
    """quantize.cc: multiplier of double(in_scale) / double(out_scale), then
    reference_ops::Requantize (MultiplyByQuantizedMultiplier, clamp)."""
    q, shift = quantize_multiplier(float(F32(in_scale)) / float(F32(out_scale)))
    return lut_order(_clamp8(out_zp + multiply_by_quantized_multiplier(INT8_VALUES - in_zp, q, shift)))


# --- lowering -----------------------------------------------------------------------------


def lut_for(graph: Graph, op: Op, ctx: LoweringContext) -> np.ndarray:
    """The 256-entry table of a single-input int8 op (the device's only constant)."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    s_in, zp_in = scale_zp(x)
    s_out, zp_out = scale_zp(y)
    if op.type in _RELU_OPS:
        return relu_lut(op.type, s_in, zp_in, s_out, zp_out, ctx.rounding)
    if op.type == "LEAKY_RELU":
        return leaky_relu_lut(s_in, zp_in, s_out, zp_out, float(op.options.get("alpha", 0.2)))
    if op.type == "HARD_SWISH":
        return hard_swish_lut(s_in, zp_in, s_out, zp_out)
    if op.type == "LOGISTIC":
        require(float(s_out) == 1.0 / 256 and zp_out == -128, op,
                "int8 LOGISTIC needs output scale 1/256 and zero point -128 (as TFLite)")
        if ctx.rounding == "tflm":
            return lut_order(gemmlowp.logistic_int8(s_in, zp_in, INT8_VALUES))
        return logistic_lut(s_in, zp_in, s_out, zp_out)
    if op.type == "TANH":
        if ctx.rounding == "tflm":
            # gemmlowp fixed point; TFLite Micro also ignores TANH's output quantization
            # and always produces scale 1/128, zero point 0.
            return lut_order(gemmlowp.tanh_int8(s_in, zp_in, INT8_VALUES))
        return tanh_lut(s_in, zp_in, s_out, zp_out)
    if op.type == "QUANTIZE":
        return requantize_lut(s_in, zp_in, s_out, zp_out)
    raise AssertionError(op.type)


def elementwise_contract(graph: Graph, op: Op) -> MemoryContract:
    """out[i] is computed from in[i] alone, read before out[i] is written: in place is safe
    (the planner checks that sizes and element sizes match)."""
    return MemoryContract(in_place=(0,))


@register("RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "HARD_SWISH", "LOGISTIC", "TANH",
          memory=elementwise_contract)
def lower_lut(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    table = ConstArray(cname(op, "lut"), "int8_t", lut_for(graph, op, ctx))
    n = graph.tensors[op.outputs[0]].num_elements
    return OpLowering(call=f"ek_lut_s8({{in0}}, {{out0}}, {n}, {{c:{table.name}}});",
                      headers=["ek_elementwise.h"], constants=[table])


@register("QUANTIZE", memory=elementwise_contract)
def lower_quantize(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    n = y.num_elements
    if x.dtype == "int8" and y.dtype == "int16":
        return lower_requantize(graph, op, ctx)
    if x.dtype == "int8":
        return lower_lut(graph, op, ctx)
    require(x.dtype == "float32" and y.dtype in ("int8", "int16"), op,
            f"QUANTIZE {x.dtype} -> {y.dtype}; only int8 -> int8/int16 and float32 -> int8/int16 are supported")
    if y.dtype == "int16":
        scale, zp = require_int16(op, y)
        return OpLowering(call=f"ek_quantize_f32_s16((const float *){{in0}}, {{out0:int16_t}}, {n}, "
                               f"{c_float(scale)}, {zp});", headers=["ek_elementwise.h"])
    int8_per_tensor(graph, op, [y])
    scale, zp = scale_zp(y)
    return OpLowering(call=f"ek_quantize_f32_s8((const float *){{in0}}, {{out0}}, {n}, "
                           f"{c_float(scale)}, {zp});", headers=["ek_elementwise.h"])


@register("DEQUANTIZE")
def lower_dequantize(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype in ("int8", "int16") and y.dtype == "float32", op,
            f"DEQUANTIZE {x.dtype} -> {y.dtype}; only int8/int16 -> float32 is supported")
    if x.dtype == "int16":
        scale, zp = require_int16(op, x)
        return OpLowering(call=f"ek_dequantize_s16_f32({{in0:int16_t}}, (float *){{out0}}, {y.num_elements}, "
                               f"{c_float(scale)}, {zp});", headers=["ek_elementwise.h"])
    int8_per_tensor(graph, op, [x])
    scale, zp = scale_zp(x)
    return OpLowering(call=f"ek_dequantize_s8_f32({{in0}}, (float *){{out0}}, {y.num_elements}, "
                           f"{c_float(scale)}, {zp});", headers=["ek_elementwise.h"])

