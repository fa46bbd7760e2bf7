"""Binary int8 element-wise ops with broadcasting: ADD, SUB, MUL, MAXIMUM, MINIMUM.

Constants follow TFLite's Prepare code (add.cc, sub.cc, mul.cc): float32 where TFLite
computes in float32, then QuantizeMultiplier. The broadcast pattern is resolved on the
host into an iteration space of at most EK_BCAST_MAX_DIMS merged dimensions with
per-input strides (0 on broadcast dimensions), so the device only walks it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import (
    activation_range,
    c_ints,
    c_struct,
    cname,
    input_refs,
    int8_per_tensor,
    int16_act_range,
    require,
    require_int16,
    scale_zp,
)
from edgekit.kernels.int32_arith import lower_int32_binary
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import Real, quantize_multiplier
from edgekit.memory.contract import MemoryContract

BCAST_MAX_DIMS = 6  # EK_BCAST_MAX_DIMS in ek_elementwise.h
ADD_LEFT_SHIFT = 20  # add.cc / sub.cc for 8-bit inputs
INT16_ADD_LEFT_SHIFT = 15  # and for 16-bit ones (the general-scale path)
F32 = np.float32


@dataclass(frozen=True)
class Broadcast:
    dims: tuple[int, ...]
    stride1: tuple[int, ...]
    stride2: tuple[int, ...]


def broadcast_shape(shape1: tuple[int, ...], shape2: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(tuple(shape1), tuple(shape2)))


def broadcast_strides(shape: tuple[int, ...], rank: int) -> list[int]:
    """Element strides of an input of `shape` over an output of `rank` dimensions (0 where
    the input is broadcast), numpy's right-aligned broadcasting."""
    full = (1,) * (rank - len(shape)) + tuple(shape)
    result, step = [0] * rank, 1
    for d in range(rank - 1, -1, -1):
        result[d] = step if full[d] != 1 else 0
        step *= full[d]
    return result


def plan_broadcast(shape1: tuple[int, ...], shape2: tuple[int, ...]) -> Broadcast:
    """Numpy broadcasting as strides over the output, with dimensions merged wherever
    both inputs continue contiguously (or stay broadcast) across the boundary."""
    out = broadcast_shape(shape1, shape2)
    n = len(out)

    s1, s2 = broadcast_strides(shape1, n), broadcast_strides(shape2, n)
    dims: list[int] = []
    st1: list[int] = []
    st2: list[int] = []
    for d in range(n):
        if out[d] == 1:
            continue
        if dims and st1[-1] == s1[d] * out[d] and st2[-1] == s2[d] * out[d]:
            dims[-1] *= out[d]
            st1[-1], st2[-1] = s1[d], s2[d]
        else:
            dims.append(out[d])
            st1.append(s1[d])
            st2.append(s2[d])
    if not dims:
        dims, st1, st2 = [1], [0], [0]
    return Broadcast(tuple(dims), tuple(st1), tuple(st2))


def bcast_initializer(b: Broadcast) -> str:
    pad = BCAST_MAX_DIMS - len(b.dims)
    return c_struct(ndims=len(b.dims), dims=c_ints(list(b.dims) + [1] * pad),
                    stride1=c_ints(list(b.stride1) + [0] * pad),
                    stride2=c_ints(list(b.stride2) + [0] * pad))


def add_params(s1: Real, zp1: int, s2: Real, zp2: int, s_out: Real, zp_out: int,
               act_min: int, act_max: int, left_shift: int = ADD_LEFT_SHIFT) -> dict[str, int]:
    """add.cc / sub.cc Prepare for int8 (both ops share it); left_shift 15 for int16."""
    twice_max = float(F32(2) * max(F32(s1), F32(s2)))  # float32, exact
    real1 = float(F32(s1)) / twice_max
    real2 = float(F32(s2)) / twice_max
    real_out = twice_max / float(F32((1 << left_shift) * F32(s_out)))
    m1, sh1 = quantize_multiplier(real1)
    m2, sh2 = quantize_multiplier(real2)
    mo, sho = quantize_multiplier(real_out)
    return {"in1_offset": -zp1, "in1_multiplier": m1, "in1_shift": sh1,
            "in2_offset": -zp2, "in2_multiplier": m2, "in2_shift": sh2,
            "left_shift": left_shift, "out_offset": zp_out, "out_multiplier": mo,
            "out_shift": sho, "act_min": act_min, "act_max": act_max}


def mul_params(s1: Real, zp1: int, s2: Real, zp2: int, s_out: Real, zp_out: int,
               act_min: int, act_max: int) -> dict[str, int]:
    """mul.cc Prepare for int8: the scales' product and quotient in double."""
    real = float(F32(s1)) * float(F32(s2)) / float(F32(s_out))
    m, sh = quantize_multiplier(real)
    return {"in1_offset": -zp1, "in2_offset": -zp2, "out_offset": zp_out,
            "out_multiplier": m, "out_shift": sh, "act_min": act_min, "act_max": act_max}


_FUNCTIONS = {"ADD": "ek_add_s8", "SUB": "ek_sub_s8", "MUL": "ek_mul_s8",
              "MAXIMUM": "ek_maximum_s8", "MINIMUM": "ek_minimum_s8"}


def binary_contract(graph: Graph, op: Op) -> MemoryContract:
    """ek_bcast_walk reads element i of both inputs before it writes output element i, so
    the output may be written over either input of its own size."""
    return MemoryContract(in_place=tuple(range(len(op.inputs))))


@register("ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", memory=binary_contract)
def lower_binary(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    if graph.tensors[op.inputs[0]].dtype == "int32" and op.type in ("ADD", "SUB", "MUL"):
        return lower_int32_binary(graph, op)
    int8_per_tensor(graph, op, [graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]],
                                graph.tensors[op.outputs[0]]])
    return _binary(graph, op, "int8")


@register("ADD", "SUB", "MUL", memory=binary_contract, activations="int16")
def lower_binary_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    """int16x8 ADD/SUB/MUL: zero points 0, TFLite's general-scale path (left shift 15)."""
    for index in (op.inputs[0], op.inputs[1], op.outputs[0]):
        require_int16(op, graph.tensors[index])
    require(not op.options.get("pot_scale_int16", False) or op.type == "MUL", op,
            "power-of-two int16 scaling (pot_scale_int16) is not supported")
    return _binary(graph, op, "int16")


def _binary(graph: Graph, op: Op, dtype: str) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    int16 = dtype == "int16"
    require(broadcast_shape(a.shape, b.shape) == tuple(y.shape), op,
            f"output shape {y.shape} is not the broadcast of {a.shape} and {b.shape}")
    plan = plan_broadcast(tuple(a.shape), tuple(b.shape))
    require(len(plan.dims) <= BCAST_MAX_DIMS, op,
            f"broadcast needs {len(plan.dims)} dimensions, at most {BCAST_MAX_DIMS} are supported")
    refs, consts = input_refs(graph, op, "int16_t" if int16 else "int8_t")
    if int16:
        refs = [f"(const int16_t *)(const void *){r}" if r.startswith("{in") else r for r in refs]
    bcast = ConstStruct(cname(op, "bcast"), "ek_bcast_t", bcast_initializer(plan))
    constants: list = [*consts, bcast]
    args = f"&{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0:int16_t}}" if int16 else \
        f"&{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}}"
    if op.type in ("ADD", "SUB", "MUL"):
        (s1, zp1), (s2, zp2), (so, zpo) = scale_zp(a), scale_zp(b), scale_zp(y)
        lo, hi = int16_act_range(op, so) if int16 else \
            activation_range(op.options.get("fused_activation_function", "NONE"), so, zpo, op)
        if op.type == "MUL":
            fields, ctype = mul_params(s1, zp1, s2, zp2, so, zpo, lo, hi), "ek_mul_params_t"
        else:
            fields = add_params(s1, zp1, s2, zp2, so, zpo, lo, hi, *([INT16_ADD_LEFT_SHIFT] if int16 else []))
            ctype = "ek_add_params_t"
            # TFLite's QuantizeMultiplierSmallerThanOneExp aborts on these; so do we.
            require(fields["out_shift"] <= 0, op,
                    "output scale is below 2^-19 of the input scales (TFLite rejects it too)")
        params = ConstStruct(cname(op, "params"), ctype, c_struct(**fields))
        constants.append(params)
        args = f"&{{c:{params.name}}}, " + args
    function = _FUNCTIONS[op.type].replace("_s8", "_s16") if int16 else _FUNCTIONS[op.type]
    return OpLowering(call=f"{function}({args});", headers=["ek_elementwise.h"],
                      constants=constants)
