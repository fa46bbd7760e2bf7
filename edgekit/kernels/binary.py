"""int8 PRELU and SQUARED_DIFFERENCE with numpy broadcasting (ek_binary.h).

Constants follow the Prepare code of TF's prelu.cc and squared_difference.cc (TFLite
Micro computes the same):
- PRELU: QuantizeMultiplier of in_scale / out_scale and of in_scale * alpha_scale /
  out_scale, both in float32 as TFLite writes them; the alpha (usually a per-channel
  constant, broadcast over the spatial dimensions) stays in flash.
- SQUARED_DIFFERENCE: left shift 7, each input rescaled to twice the larger scale and the
  squared difference to the output, all QuantizeMultiplierSmallerThanOneExp in double.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, float_scale_zp, int8_per_tensor, require
from edgekit.kernels.compare import bcast3_constant, operand_refs
from edgekit.kernels.elementwise import binary_contract
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier, quantize_multiplier_smaller_than_one

F32 = np.float32
SQDIFF_LEFT_SHIFT = 7


def prelu_params(s_in: float, zp_in: int, s_alpha: float, zp_alpha: int, s_out: float,
                 zp_out: int) -> dict[str, int]:
    m1, sh1 = quantize_multiplier(float(F32(F32(s_in) / F32(s_out))))
    m2, sh2 = quantize_multiplier(float(F32(F32(F32(s_in) * F32(s_alpha)) / F32(s_out))))
    return {"input_offset": -zp_in, "alpha_offset": -zp_alpha, "multiplier1": m1, "shift1": sh1,
            "multiplier2": m2, "shift2": sh2, "output_offset": zp_out}


def squared_difference_output_real(s1: float, s2: float, s_out: float) -> float:
    twice_max = 2.0 * float(max(F32(s1), F32(s2)))
    return twice_max * twice_max / ((1 << (2 * SQDIFF_LEFT_SHIFT)) * float(F32(s_out)))


def squared_difference_params(s1: float, zp1: int, s2: float, zp2: int, s_out: float,
                              zp_out: int) -> dict[str, int]:
    twice_max = 2.0 * float(max(F32(s1), F32(s2)))
    m1, sh1 = quantize_multiplier_smaller_than_one(float(F32(s1)) / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one(float(F32(s2)) / twice_max)
    mo, sho = quantize_multiplier_smaller_than_one(squared_difference_output_real(s1, s2, s_out))
    return {"in1_offset": -zp1, "in1_multiplier": m1, "in1_shift": sh1, "in2_offset": -zp2,
            "in2_multiplier": m2, "in2_shift": sh2, "left_shift": SQDIFF_LEFT_SHIFT,
            "out_multiplier": mo, "out_shift": sho, "out_offset": zp_out}


def _shapes(graph: Graph, op: Op) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in graph.tensors[i].shape) for i in op.inputs]


@register("PRELU", "SQUARED_DIFFERENCE", memory=binary_contract)
def lower_binary_extra(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [a, b, y])
    (s1, zp1), (s2, zp2), (so, zpo) = float_scale_zp(a), float_scale_zp(b), float_scale_zp(y)
    bcast = bcast3_constant(op, _shapes(graph, op), y)
    refs, consts = operand_refs(graph, op)
    if op.type == "PRELU":
        fields, ctype, fn = prelu_params(s1, zp1, s2, zp2, so, zpo), "ek_prelu_params_t", "ek_prelu_s8"
    else:
        require(squared_difference_output_real(s1, s2, so) < 1.0, op,
                "output scale is below 4 max(input scale)^2 / 2^14 (TFLite rejects it too)")
        fields = squared_difference_params(s1, zp1, s2, zp2, so, zpo)
        ctype, fn = "ek_squared_difference_params_t", "ek_squared_difference_s8"
    params = ConstStruct(cname(op, "params"), ctype, c_struct(**fields))
    call = f"{fn}(&{{c:{params.name}}}, &{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}});"
    return OpLowering(call=call, headers=["ek_binary.h"], constants=[*consts, bcast, params])
