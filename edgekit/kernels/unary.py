"""More single-input int8 ops as 256-entry lookup tables (ek_lut_s8): ABS, NEG, ELU, GELU,
RSQRT.

Same scheme as activation.py: the host mirrors the reference kernel's arithmetic for
each of the 256 inputs.
- ABS (elementwise.cc AbsPrepare/AbsEvalQuantized, TFLite Micro alike): |x - zp_in|,
  requantized by QuantizeMultiplier(float32 in_scale / out_scale) only when the scales
  differ, plus zp_out, saturated.
- NEG: TF 2.21's BUILTIN_REF negates the raw int8 value and ignores both quantizations
  (-(-128) wraps to -128); edgekit mirrors that. TFLite Micro has no int8 NEG.
- ELU (TFLite Micro elu.cc, a float32 table with exp(x) - 1 below zero). TF 2.21's
  BUILTIN_REF resolver has no int8 ELU, so TFLite Micro is the oracle in both modes.
- GELU (gelu.cc, a float32 table): 0.5 x erfc(-x / sqrt 2), or with `approximate` the
  tanh form, every step in float32 with libm's erfcf/tanhf. TFLite Micro has no GELU.
- RSQRT (elementwise.cc RsqrtEvalQuantized, TFLite Micro alike): GetInvSqrtQuantized-
  MultiplierExp of x - zp_in, applied to 1 << 20, then QuantizeMultiplier(1 /
  (sqrt(in_scale) * out_scale)) with the 20 taken back; x == zp_in gives 127. TFLite
  fails at run time on x < zp_in (negative reals); the table holds 127 there.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels import gemmlowp
from edgekit.kernels.activation import F32, INT8_VALUES, elementwise_contract, float_lut, lut_order
from edgekit.kernels.cformat import cname, float_scale_zp, int8_per_tensor
from edgekit.kernels.libm import float_function
from edgekit.kernels.lowering import ConstArray, LoweringContext, OpLowering, register
from edgekit.kernels.quant import multiply_by_quantized_multiplier, quantize_multiplier
from edgekit.passes.float_math import gelu_f32, gelu_tanh_f32


def abs_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    v = np.abs(INT8_VALUES - in_zp)
    if F32(in_scale) != F32(out_scale):
        q, shift = quantize_multiplier(float(F32(F32(in_scale) / F32(out_scale))))
        v = multiply_by_quantized_multiplier(v, q, shift)
    return lut_order(np.clip(v + out_zp, -128, 127))


def neg_lut() -> np.ndarray:
    return lut_order((-INT8_VALUES).astype(np.int8))


def _elu_f32(x: np.float32) -> np.float32:
    return F32(F32(float_function("expf")(float(x))) - F32(1.0)) if x < 0 else F32(x)


def gelu_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int,
             approximate: bool) -> np.ndarray:
    return float_lut(in_scale, in_zp, out_scale, out_zp, gelu_tanh_f32 if approximate else gelu_f32)


RSQRT_SHIFT = 20  # keeps 1/sqrt(v) an integer before the output rescale


def rsqrt_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    m, sh = quantize_multiplier(1.0 / (math.sqrt(float(F32(in_scale))) * float(F32(out_scale))))
    values = []
    for x in INT8_VALUES:
        v = int(x) - in_zp
        if v <= 0:
            values.append(127)
            continue
        inv, inv_shift = gemmlowp.inv_sqrt_quantized_multiplier_exp(v, -1)
        data = gemmlowp.mbqm(1, inv, inv_shift + RSQRT_SHIFT)
        values.append(max(-128, min(127, gemmlowp.mbqm(data, m, sh - RSQRT_SHIFT) + out_zp)))
    return lut_order(np.array(values))


def elu_lut(in_scale: float, in_zp: int, out_scale: float, out_zp: int) -> np.ndarray:
    return float_lut(in_scale, in_zp, out_scale, out_zp, _elu_f32)


@register("ABS", "NEG", "ELU", "GELU", "RSQRT", memory=elementwise_contract)
def lower_unary_lut(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    (s_in, zp_in), (s_out, zp_out) = float_scale_zp(x), float_scale_zp(y)
    if op.type == "ABS":
        values = abs_lut(s_in, zp_in, s_out, zp_out)
    elif op.type == "NEG":
        values = neg_lut()
    elif op.type == "RSQRT":
        values = rsqrt_lut(s_in, zp_in, s_out, zp_out)
    elif op.type == "GELU":
        values = gelu_lut(s_in, zp_in, s_out, zp_out, bool(op.options.get("approximate", False)))
    else:
        values = elu_lut(s_in, zp_in, s_out, zp_out)
    table = ConstArray(cname(op, "lut"), "int8_t", values)
    return OpLowering(call=f"ek_lut_s8({{in0}}, {{out0}}, {y.num_elements}, {{c:{table.name}}});",
                      headers=["ek_elementwise.h"], constants=[table])


@register("LOOKUP_TABLE", memory=elementwise_contract)
def lower_lookup_table(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    """A float island the host already turned into a table (edgekit/passes/float_islands.py)."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    table = ConstArray(cname(op, "lut"), "int8_t", lut_order(np.asarray(op.options["table"], dtype=np.int64)))
    return OpLowering(call=f"ek_lut_s8({{in0}}, {{out0}}, {y.num_elements}, {{c:{table.name}}});",
                      headers=["ek_elementwise.h"], constants=[table])
