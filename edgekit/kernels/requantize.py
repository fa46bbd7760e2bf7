"""QUANTIZE between integer types with an int16 side: int8 -> int16, int16 -> int8 and
int16 -> int16 (TFLite's Requantize: the int32 MultiplyByQuantizedMultiplier of
in - in_zp by double(in_scale) / double(out_scale), plus the output zero point, clamped).
int8 -> int8 stays a 256-entry table (activation.py). Also int16 LEAKY_RELU, the same
requantization with one multiplier per sign (reference_ops::QuantizeLeakyRelu)."""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require, require_int16, scale_zp
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import Real, int8_activation_range, quantize_multiplier
from edgekit.memory.contract import MemoryContract

_SUFFIX = {"int8": "s8", "int16": "s16"}


def lower_requantize(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    """QUANTIZE with an int16 side, and int16 RELU (TFLite's QuantizedReluX: the same
    requantization, clamped to the activation's range)."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype in _SUFFIX and y.dtype in _SUFFIX and "int16" in (x.dtype, y.dtype), op,
            f"{op.type} {x.dtype} -> {y.dtype}; with int16 only int8/int16 -> int8/int16 is supported")
    if op.type != "QUANTIZE":
        require(x.dtype == y.dtype == "int16", op, f"{op.type} {x.dtype} -> {y.dtype}; int16 -> int16 expected")
    for t in (x, y):
        require(t.quant is not None and len(t.quant.scale) == 1, op, f"tensor {t.name} needs per-tensor quantization")
    (s_in, zp_in), (s_out, zp_out) = scale_zp(x), scale_zp(y)
    mult, shift = quantize_multiplier(float(s_in) / float(s_out))
    bits = 16 if y.dtype == "int16" else 8
    activation = {"QUANTIZE": "NONE", "RELU": "RELU"}[op.type]
    lo, hi = int8_activation_range(activation, s_out, zp_out, bits=bits)
    params = ConstStruct(cname(op, "params"), "ek_requantize_params_t",
                         c_struct(count=y.num_elements, input_offset=-zp_in, multiplier=mult, shift=shift,
                                  output_offset=zp_out, lo=lo, hi=hi))
    kernel = f"ek_requantize_{_SUFFIX[x.dtype]}_{_SUFFIX[y.dtype]}"
    ctype = {"int8": "int8_t", "int16": "int16_t"}
    return OpLowering(call=f"{kernel}(&{{c:{params.name}}}, {{in0:{ctype[x.dtype]}}}, {{out0:{ctype[y.dtype]}}});",
                      headers=["ek_requantize.h"], constants=[params])


def leaky_relu_multipliers(in_scale: Real, out_scale: Real, alpha: Real) -> tuple[tuple[int, int], tuple[int, int]]:
    """LeakyReluPrepare: (identity, alpha) multipliers from float32 scale products."""
    f32 = np.float32
    s_in, s_out, a = f32(in_scale), f32(out_scale), f32(alpha)
    return quantize_multiplier(float(f32(s_in / s_out))), quantize_multiplier(float(f32(f32(s_in * a) / s_out)))


def lower_leaky_relu_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    (s_in, _), (s_out, _) = require_int16(op, x), require_int16(op, y)
    (m_id, sh_id), (m_a, sh_a) = leaky_relu_multipliers(s_in, s_out, float(op.options.get("alpha", 0.2)))
    params = ConstStruct(cname(op, "params"), "ek_leaky_relu_s16_params_t",
                         c_struct(count=y.num_elements, identity_multiplier=m_id, identity_shift=sh_id,
                                  alpha_multiplier=m_a, alpha_shift=sh_a))
    return OpLowering(call=f"ek_leaky_relu_s16(&{{c:{params.name}}}, {{in0:int16_t}}, {{out0:int16_t}});",
                      headers=["ek_requantize.h"], constants=[params])


def requantize_contract(graph: Graph, op: Op) -> MemoryContract:
    """Element i is read before it is written: in place when the element sizes match."""
    return MemoryContract(in_place=(0,))


# (int16 RELU6 is left out: TFLite Micro clamps it in the input's scale, TF requantizes.)
register("QUANTIZE", "RELU", memory=requantize_contract, activations="int16")(lower_requantize)
register("LEAKY_RELU", memory=requantize_contract, activations="int16")(lower_leaky_relu_s16)
