"""int16 LOGISTIC, TANH, SOFTMAX and RELU6 (int16x8 models: int16 activations, zero point 0).

LOGISTIC and TANH are TF's reference_integer_ops::Logistic / Tanh (TF Lite and TFLite Micro
run the same code): the input is rescaled to 1/(3*4096) per unit (or shifted, for a
power-of-two scale), and a 256-entry table of sigmoid(i/24) in 0.16 fixed point is
interpolated with the low 9 (LOGISTIC) or 8 (TANH, tanh(x) = 2 sigmoid(2x) - 1) bits. The
prepare step (multiplier and shift) is TFLite Micro's CalculateArithmeticOpData, computed
here; the table is computed here from its formula and emitted as data.

SOFTMAX is reference_ops::SoftmaxInt16: input differences from the row maximum are scaled so
that [-65535, 0] means [-10, 0], then two 513-entry int16 tables (exp on [-10, 0] and
1/(1+x) on [0, 1]) are interpolated; the tables are LUTPopulate<int16_t>'s, computed here:
TFLite Micro builds them in float32 with the C library's expf, TF Lite in double (measured:
two entries of the 1/(1+x) table differ, and so do some outputs).

RELU6: TF's QuantizedReluX<int16_t> requantizes from the input scale to the output scale and
clamps to [0, 6] there (--rounding tflite); TFLite Micro's Relu6Quantized clamps the input to
[0, round(6 / input scale)] and copies it without rescaling (--rounding tflm).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.activation import elementwise_contract
from edgekit.kernels.cformat import c_struct, cname, require, require_int16
from edgekit.kernels.libm import float_function
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.lstm_table import SIGMOID_TABLE
from edgekit.kernels.quant import Real, int8_activation_range, quantize_f32, quantize_multiplier, tflite_round

F32 = np.float32
INT16_MIN, INT16_MAX = -32768, 32767


# --- LOGISTIC, TANH -----------------------------------------------------------------------


# TF's sigmoid_table_uint16 (sigmoid(i / 24) in Q0.16, data rather than a formula) lives in
# lstm_table.py, shared with the LSTM's TFLite Micro form.


def sigmoid_table() -> np.ndarray:
    """The 256-entry sigmoid table the int16 LOGISTIC/TANH kernels interpolate."""
    return SIGMOID_TABLE.copy()


def checked_log2(x: Real) -> tuple[bool, int]:
    """quantization_util.cc CheckedLog2: logf(x) / logf(2) in float32, rounded; a power of two
    when the fraction is below 1e-3."""
    logf = float_function("logf")
    x_log2 = F32(F32(logf(float(F32(x)))) * F32(F32(1.0) / F32(logf(2.0))))
    rounded = F32(tflite_round(x_log2))
    return abs(float(F32(x_log2 - rounded))) < 1e-3, int(rounded)


def sigmoid_multiplier(op: Op, in_scale: Real, out_scale: Real) -> tuple[int, int]:
    """(input multiplier, input left shift) of the int16 LOGISTIC/TANH prepare step, already in
    the form the kernel uses (a power-of-two scale becomes multiplier 3 << shift, shift 0)."""
    pot, log2 = checked_log2(in_scale)
    shift = (15 - 3) + log2
    pot = pot and (shift == 0 if op.type == "LOGISTIC" else shift in (0, 1))
    if pot:
        mult = 3 << shift
        shift = 0
    else:
        multiplier = float(F32(in_scale)) * 4096.0 * 3.0
        shift = 0
        while multiplier <= 32767.0 / 2.0 and shift <= 30:
            shift += 1
            multiplier *= 2.0
        mult = int(multiplier)
    require(mult <= 32767, op, f"input scale {float(in_scale)} is too large for the int16 {op.type} table")
    out_pot, out_log2 = checked_log2(out_scale)
    require(out_pot and out_log2 == -15, op, f"int16 {op.type} needs output scale 2^-15 (as TFLite), "
            f"not {float(out_scale)}")
    return mult, shift


def lower_sigmoid_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    (s_in, _), (s_out, _) = require_int16(op, x), require_int16(op, y)
    mult, shift = sigmoid_multiplier(op, s_in, s_out)
    table = ConstArray(cname(op, "sigmoid"), "uint16_t", sigmoid_table())
    params = ConstStruct(cname(op, "params"), "ek_sigmoid_s16_params_t",
                         c_struct(count=y.num_elements, input_multiplier=mult, input_left_shift=shift,
                                  table=f"{{c:{table.name}}}"))
    kernel = {"LOGISTIC": "ek_logistic_s16", "TANH": "ek_tanh_s16"}[op.type]
    return OpLowering(call=f"{kernel}(&{{c:{params.name}}}, {{in0:int16_t}}, {{out0:int16_t}});",
                      headers=["ek_activation_s16.h"], constants=[table, params])


# --- SOFTMAX ------------------------------------------------------------------------------


def lut_populate_int16(in_scale: Real, in_zp: int, out_scale: Real, out_zp: int, fn: str,
                       double: bool = False) -> np.ndarray:
    """common.h LUTPopulateInt16: 512 samples and one end point, each corrected by half the
    interpolation error at the step's midpoint; every operation in float32 with expf
    (TFLite Micro), or in double with exp (`double`: TF Lite's SoftmaxPrepare)."""
    f: Callable[[Any], Any] = float if double else F32
    exp: Callable[[float], float] = math.exp if double else float_function("expf")

    def transform(v: Any) -> Any:
        if fn == "exp":
            return f(exp(float(v)))
        return f(f(1.0) / f(f(1.0) + v))

    s_in, s_out = f(in_scale), f(out_scale)
    input_min, input_max = f(s_in * f(INT16_MIN - in_zp)), f(s_in * f(INT16_MAX - in_zp))
    output_min, output_max = f(s_out * f(INT16_MIN - out_zp)), f(s_out * f(INT16_MAX - out_zp))
    steps = 512
    step = f(f(input_max - input_min) / f(steps))
    half_step = f(step / f(2))
    scaling_inv = f(f(65536) / f(output_max - output_min))

    def rnd(v: Any) -> Any:
        return f(tflite_round(v))

    def clamp(v: Any) -> int:
        return int(min(max(float(v), INT16_MIN), INT16_MAX))

    lut = []
    for i in range(steps):
        at = f(input_min + f(f(i) * step))
        val = transform(at)
        mid = transform(f(at + half_step))
        nxt = transform(f(input_min + f(f(i + 1) * step)))
        sample = rnd(f(val * scaling_inv))
        interp = rnd(f(f(f(nxt * scaling_inv) + sample) / f(2)))
        midpoint = rnd(f(mid * scaling_inv))
        bias = rnd(f(f(interp - midpoint) / f(2)))
        lut.append(clamp(f(sample - bias)))
    lut.append(clamp(rnd(f(transform(input_max) * scaling_inv))))
    return np.array(lut, dtype=np.int16)


def softmax_tables(double: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The exp and 1/(1+x) tables of the int16 SOFTMAX prepare step: TFLite Micro's in
    float32; TF Lite's in double (`double`), whose 1/(1+x) table differs in two entries."""
    f: Callable[[Any], Any] = float if double else F32
    span = f(INT16_MAX - INT16_MIN)
    exp_lut = lut_populate_int16(f(f(10.0) / span), INT16_MAX, f(f(2.0) / span), 0, "exp", double)
    inv_lut = lut_populate_int16(f(f(1.0) / span), INT16_MIN, f(f(2.0) / span), 0, "one_over_one_plus_x", double)
    return exp_lut, inv_lut


@register("SOFTMAX", activations="int16")
def lower_softmax_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    (s_in, _), (s_out, _) = require_int16(op, x), require_int16(op, y)
    require(abs(float(s_out) - 1.0 / 32768) <= 0.001 / 32768, op,
            f"int16 SOFTMAX needs output scale 1/32768 (as TFLite), not {float(s_out)}")
    require(len(x.shape) >= 1 and x.shape == y.shape, op, "input and output shapes differ")
    beta = float(F32(op.options.get("beta", 1.0)))
    mult, shift = quantize_multiplier(float(s_in) * beta / (10.0 / 65535.0))
    depth = int(x.shape[-1])
    exp_lut, inv_lut = softmax_tables(double=ctx.rounding != "tflm")
    exp_c = ConstArray(cname(op, "exp_lut"), "int16_t", exp_lut)
    inv_c = ConstArray(cname(op, "inv_lut"), "int16_t", inv_lut)
    params = ConstStruct(cname(op, "params"), "ek_softmax_s16_params_t", c_struct(
        outer=x.num_elements // depth if depth else 0, depth=depth, input_multiplier=mult,
        input_shift=shift, exp_lut=f"{{c:{exp_c.name}}}", one_over_one_plus_x_lut=f"{{c:{inv_c.name}}}"))
    return OpLowering(call=f"ek_softmax_s16(&{{c:{params.name}}}, {{in0:int16_t}}, {{out0:int16_t}});",
                      headers=["ek_activation_s16.h"], constants=[exp_c, inv_c, params])


# --- RELU6 --------------------------------------------------------------------------------


def lower_relu6_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    (s_in, _), (s_out, _) = require_int16(op, x), require_int16(op, y)
    if ctx.rounding == "tflm":  # Relu6Quantized: clamp in the input's scale, no rescaling
        mult, shift = (1 << 30), 1  # the identity
        lo, hi = 0, max(INT16_MIN, min(INT16_MAX, quantize_f32(6.0, s_in, 0)))
    else:
        mult, shift = quantize_multiplier(float(s_in) / float(s_out))
        lo, hi = int8_activation_range("RELU6", s_out, 0, bits=16)
    params = ConstStruct(cname(op, "params"), "ek_requantize_params_t",
                         c_struct(count=y.num_elements, input_offset=0, multiplier=mult, shift=shift,
                                  output_offset=0, lo=lo, hi=hi))
    return OpLowering(call=f"ek_requantize_s16_s16(&{{c:{params.name}}}, {{in0:int16_t}}, {{out0:int16_t}});",
                      headers=["ek_requantize.h"], constants=[params])


register("LOGISTIC", "TANH", memory=elementwise_contract, activations="int16")(lower_sigmoid_s16)
register("RELU6", memory=elementwise_contract, activations="int16")(lower_relu6_s16)
