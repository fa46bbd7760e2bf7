"""DIV (int8 and int32, numpy broadcasting), ADD_N and CUMSUM (int8): ek_arith.h.

Constants as TFLite Micro's Prepare computes them (div.cc, add_n.cc, cumsum.cc):
- int8 DIV: QuantizeMultiplier(double(float32(s1 / (s2 * s_out)))), the fused activation's
  int8 range; reference_ops::Div takes the divisor's sign onto the dividend, divides by
  GetReciprocal(|v2|, 31) (a Newton-Raphson fixed-point reciprocal: the host tabulates
  it for |v2| = 1..255) and requantizes. TF 2.21's BUILTIN_REF runs the same code (it
  refuses a raw divisor byte of 0, which TFLite Micro accepts); a divisor equal to its
  zero point (real 0) has no defined result in either, edgekit writes the output zero
  point. Exponents of 32 and more are reproduced as TF's x86-64 build computes them
  (ek_arith.c ek_div_rdbpot).
- int32 DIV: C division, clamped to the fused activation's int32 range.
- ADD_N and CUMSUM: each input value minus the zero point is lifted by 2^20 and halved
  (QuantizeMultiplierSmallerThanOneExp(1/2)), summed in int32 starting, as TFLite does,
  from the rescaled input offset rather than 0, and the sum requantized by
  QuantizeMultiplierSmallerThanOneExp(2 s_in / (2^20 s_out)). TF 2.21's BUILTIN_REF has no
  int8 ADD_N or CUMSUM (its converter leaves them in float), so TFLite Micro is the
  oracle in both rounding modes. ADD_N needs every input to share one quantization.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels import gemmlowp
from edgekit.kernels.activation import elementwise_contract
from edgekit.kernels.cformat import (
    activation_range,
    c_struct,
    cname,
    float_scale_zp,
    input_refs,
    int8_per_tensor,
    require,
)
from edgekit.kernels.compare import bcast3_constant, operand_refs
from edgekit.kernels.elementwise import binary_contract
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier, quantize_multiplier_smaller_than_one

F32 = np.float32
SUM_LEFT_SHIFT = 20  # kAddNIntegerShift, kCumSumIntegerShift
DIV_MAX_SHIFT = 22  # the output shift above which reference_ops::Div's exponent turns negative
INT32_RANGES = {"NONE": (-(1 << 31), (1 << 31) - 1), "RELU": (0, (1 << 31) - 1), "RELU6": (0, 6),
                "RELU_N1_TO_1": (-1, 1)}


def reciprocal(value: int) -> int:
    """GetReciprocal(value, 31, &shift)'s raw Q0.31 result for value in 1..255."""
    headroom = 32 - value.bit_length()
    shifted = ((value << headroom) - (1 << 31)) & 0xFFFFFFFF
    return gemmlowp.one_over_one_plus_x(shifted - (1 << 32) if shifted >= 1 << 31 else shifted)


def reciprocal_table() -> np.ndarray:
    return np.array([0] + [reciprocal(v) for v in range(1, 256)], dtype=np.int64)


def div_multiplier(s1: float, s2: float, s_out: float) -> tuple[int, int]:
    return quantize_multiplier(float(F32(F32(s1) / F32(F32(s2) * F32(s_out)))))


def _shapes(graph: Graph, op: Op) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in graph.tensors[i].shape) for i in op.inputs]


@register("DIV", memory=binary_contract)
def lower_div(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    bcast = bcast3_constant(op, _shapes(graph, op), y)
    refs, consts = operand_refs(graph, op)
    if a.dtype == b.dtype == y.dtype == "int32":
        require(act in INT32_RANGES, op, f"fused activation {act} is not supported")
        lo, hi = INT32_RANGES[act]
        call = f"ek_div_s32({lo}, {hi}, &{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}});"
        return OpLowering(call=call, headers=["ek_arith.h"], constants=[*consts, bcast])
    int8_per_tensor(graph, op, [a, b, y])
    (s1, zp1), (s2, zp2), (so, zpo) = float_scale_zp(a), float_scale_zp(b), float_scale_zp(y)
    m, shift = div_multiplier(s1, s2, so)
    require(shift <= DIV_MAX_SHIFT, op, "input1 scale / (input2 scale * output scale) is above 2^22")
    lo, hi = activation_range(act, so, zpo, op)
    table = ConstArray(cname(op, "reciprocal"), "int32_t", reciprocal_table())
    params = ConstStruct(cname(op, "params"), "ek_div_params_t", c_struct(
        in1_offset=-zp1, in2_offset=-zp2, out_offset=zpo, multiplier=m, shift=shift,
        act_min=lo, act_max=hi, reciprocal=f"{{c:{table.name}}}"))
    call = f"ek_div_s8(&{{c:{params.name}}}, &{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}});"
    return OpLowering(call=call, headers=["ek_arith.h"], constants=[*consts, bcast, table, params])


def sum_rescale(s_in: float, zp_in: int, s_out: float, zp_out: int) -> dict[str, int]:
    twice = 2.0 * float(F32(s_in))
    mi, si = quantize_multiplier_smaller_than_one(float(F32(s_in)) / twice)
    mo, so = quantize_multiplier_smaller_than_one(twice / ((1 << SUM_LEFT_SHIFT) * float(F32(s_out))))
    return {"in_offset": -zp_in, "in_multiplier": mi, "in_shift": si, "left_shift": SUM_LEFT_SHIFT,
            "out_multiplier": mo, "out_shift": so, "out_offset": zp_out}


def _rescale(graph: Graph, op: Op, x_index: int) -> dict[str, int]:
    x, y = graph.tensors[x_index], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    (s_in, zp_in), (s_out, zp_out) = float_scale_zp(x), float_scale_zp(y)
    require(2.0 * float(F32(s_in)) < (1 << SUM_LEFT_SHIFT) * float(F32(s_out)), op,
            "the output scale is below 2 input scales / 2^20 (TFLite rejects it too)")
    return sum_rescale(s_in, zp_in, s_out, zp_out)


@register("ADD_N", memory=binary_contract)
def lower_add_n(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    first = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    tensors = [graph.tensors[i] for i in op.inputs]
    int8_per_tensor(graph, op, tensors)
    require(all(tuple(t.shape) == tuple(y.shape) for t in tensors), op, "every input needs the output's shape")
    require(all(float_scale_zp(t) == float_scale_zp(first) for t in tensors), op,
            "every input needs the same scale and zero point (as TFLite Micro)")
    rescale = ConstStruct(cname(op, "params"), "ek_sum_rescale_t", c_struct(**_rescale(graph, op, op.inputs[0])))
    refs, consts = input_refs(graph, op)
    call = (f"{{ const int8_t *const ins[] = {{{', '.join(refs)}}};\n"
            f"  ek_add_n_s8(&{{c:{rescale.name}}}, ins, {len(refs)}, {y.num_elements}, {{out0}}); }}")
    return OpLowering(call=call, headers=["ek_arith.h"], constants=[*consts, rescale])


def cumsum_fields(graph: Graph, op: Op) -> dict[str, int]:
    """CUMSUM's walk (int8 and float32): the axis as before x depth x after, and its options."""
    x, axis_t, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    require(axis_t.is_constant and axis_t.dtype == "int32" and np.asarray(axis_t.data).size == 1, op,
            "the axis must be one constant int32")
    require(tuple(x.shape) == tuple(y.shape) and len(x.shape) >= 1, op, "input and output shapes differ")
    rank = len(x.shape)
    axis = int(np.asarray(axis_t.data).reshape(-1)[0])
    require(-rank <= axis < rank, op, f"axis {axis} is out of range for rank {rank}")
    axis %= rank
    dims = [int(d) for d in x.shape]
    return {"before": int(np.prod(dims[:axis], dtype=np.int64)), "depth": dims[axis],
            "after": int(np.prod(dims[axis + 1:], dtype=np.int64)),
            "exclusive": int(bool(op.options.get("exclusive"))), "reverse": int(bool(op.options.get("reverse")))}


@register("CUMSUM", memory=elementwise_contract)
def lower_cumsum(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    fields = cumsum_fields(graph, op)
    rescale = c_struct(**_rescale(graph, op, op.inputs[0]))
    params = ConstStruct(cname(op, "params"), "ek_cumsum_params_t", c_struct(rescale=rescale, **fields))
    return OpLowering(call=f"ek_cumsum_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_arith.h"], constants=[params])
