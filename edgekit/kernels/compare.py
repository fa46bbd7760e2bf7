"""Comparisons, logical ops and SELECT_V2, with numpy broadcasting: bool outputs.

int8 comparisons take TFLite's ComparisonQuantized constants (comparisons.cc Eval, the
same in TFLite Micro): offset -zp, left shift 8, and QuantizeMultiplierSmallerThanOneExp
of each input's own scale, so two inputs with different scales compare as reals. TFLite
aborts on a scale >= 1; edgekit refuses it at lowering time. int32 inputs compare raw.
SELECT_V2 copies raw elements (TFLite does not requantize), of any width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.activation import elementwise_contract
from edgekit.kernels.cformat import c_ints, c_struct, cname, float_scale_zp, require
from edgekit.kernels.elementwise import binary_contract, broadcast_strides
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier_smaller_than_one

BCAST3_MAX_DIMS = 6  # EK_BCAST3_MAX_DIMS in ek_bcast3.h
COMPARE_LEFT_SHIFT = 8
_CMP = {"EQUAL": "EK_CMP_EQUAL", "NOT_EQUAL": "EK_CMP_NOT_EQUAL", "LESS": "EK_CMP_LESS",
        "LESS_EQUAL": "EK_CMP_LESS_EQUAL", "GREATER": "EK_CMP_GREATER",
        "GREATER_EQUAL": "EK_CMP_GREATER_EQUAL"}
_CTYPE = {"int8": "int8_t", "bool": "int8_t", "uint8": "uint8_t", "int16": "int16_t",
          "int32": "int32_t"}  # C types of constant operands


@dataclass(frozen=True)
class BroadcastN:
    dims: tuple[int, ...]
    strides: tuple[tuple[int, ...], ...]  # one per input


def plan_broadcast_n(shapes: list[tuple[int, ...]]) -> BroadcastN:
    """Numpy broadcasting of any number of inputs as element strides over the output,
    dimensions merged wherever every input continues contiguously (or stays broadcast)."""
    out = tuple(np.broadcast_shapes(*shapes))
    n = len(out)

    per_input = [broadcast_strides(s, n) for s in shapes]
    dims: list[int] = []
    merged: list[list[int]] = [[] for _ in shapes]
    for d in range(n):
        if out[d] == 1:
            continue
        if dims and all(m[-1] == s[d] * out[d] for m, s in zip(merged, per_input)):
            dims[-1] *= out[d]
            for m, s in zip(merged, per_input):
                m[-1] = s[d]
        else:
            dims.append(out[d])
            for m, s in zip(merged, per_input):
                m.append(s[d])
    if not dims:
        return BroadcastN((1,), tuple((0,) for _ in shapes))
    return BroadcastN(tuple(dims), tuple(tuple(m) for m in merged))


def bcast3_constant(op: Op, shapes: list[tuple[int, ...]], y: Tensor) -> ConstStruct:
    require(tuple(np.broadcast_shapes(*shapes)) == tuple(y.shape), op,
            f"output shape {tuple(y.shape)} is not the broadcast of {', '.join(map(str, shapes))}")
    plan = plan_broadcast_n(shapes)
    require(len(plan.dims) <= BCAST3_MAX_DIMS, op,
            f"broadcast needs {len(plan.dims)} dimensions, at most {BCAST3_MAX_DIMS} are supported")
    pad = BCAST3_MAX_DIMS - len(plan.dims)
    rows = [list(s) + [0] * pad for s in plan.strides] + [[0] * BCAST3_MAX_DIMS] * (3 - len(shapes))
    init = c_struct(ndims=len(plan.dims), dims=c_ints(list(plan.dims) + [1] * pad),
                    stride="{" + ", ".join(c_ints(r) for r in rows) + "}")
    return ConstStruct(cname(op, "bcast"), "ek_bcast3_t", init)


def operand_refs(graph: Graph, op: Op) -> tuple[list[str], list[ConstArray]]:
    """C expressions of the op's inputs: {inK} activations, typed flash arrays for constants."""
    refs: list[str] = []
    consts: list[ConstArray] = []
    k = 0
    for position, index in enumerate(op.inputs):
        t = graph.tensors[index]
        if t.is_constant:
            require(t.dtype in _CTYPE, op, f"constant {t.name} of type {t.dtype} is not supported")
            c = ConstArray(cname(op, f"input{position}"), _CTYPE[t.dtype], np.asarray(t.data).reshape(-1))
            consts.append(c)
            refs.append(f"{{c:{c.name}}}")
        else:
            refs.append(f"{{in{k}}}")
            k += 1
    return refs, consts


def compare_params(s1: float, zp1: int, s2: float, zp2: int) -> dict[str, int]:
    m1, sh1 = quantize_multiplier_smaller_than_one(float(np.float32(s1)))
    m2, sh2 = quantize_multiplier_smaller_than_one(float(np.float32(s2)))
    return {"in1_offset": -zp1, "in1_multiplier": m1, "in1_shift": sh1, "in2_offset": -zp2,
            "in2_multiplier": m2, "in2_shift": sh2, "left_shift": COMPARE_LEFT_SHIFT}


def _shapes(graph: Graph, op: Op) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in graph.tensors[i].shape) for i in op.inputs]


@register(*_CMP, memory=binary_contract)
def lower_compare(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    require(y.dtype == "bool", op, f"output {y.name} is {y.dtype}, not bool")
    require(a.dtype == b.dtype and a.dtype in ("int8", "int32"), op,
            f"inputs of type {a.dtype} and {b.dtype}: only int8 or int32 pairs are supported")
    bcast = bcast3_constant(op, _shapes(graph, op), y)
    refs, consts = operand_refs(graph, op)
    if a.dtype == "int32":
        call = f"ek_compare_s32({_CMP[op.type]}, &{{c:{bcast.name}}}, (const int32_t *){refs[0]}, " \
               f"(const int32_t *){refs[1]}, {{out0}});"
        return OpLowering(call=call, headers=["ek_compare.h"], constants=[*consts, bcast])
    for t in (a, b):
        require(t.quant is not None and len(t.quant.scale) == 1, op,
                f"tensor {t.name} needs per-tensor quantization")
        require(0.0 < float(float_scale_zp(t)[0]) < 1.0, op,
                f"tensor {t.name} has scale {float(float_scale_zp(t)[0]):g}; TFLite compares int8 "
                "only with scales in (0, 1)")
    (s1, zp1), (s2, zp2) = float_scale_zp(a), float_scale_zp(b)
    params = ConstStruct(cname(op, "params"), "ek_compare_params_t",
                         c_struct(cmp=_CMP[op.type], **compare_params(s1, zp1, s2, zp2)))
    call = f"ek_compare_s8(&{{c:{params.name}}}, &{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}});"
    return OpLowering(call=call, headers=["ek_compare.h"], constants=[*consts, bcast, params])


@register("LOGICAL_AND", "LOGICAL_OR", memory=binary_contract)
def lower_logical(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    tensors = [graph.tensors[i] for i in (*op.inputs, *op.outputs)]
    require(all(t.dtype == "bool" for t in tensors), op, "inputs and output must be bool")
    bcast = bcast3_constant(op, _shapes(graph, op), tensors[-1])
    refs, consts = operand_refs(graph, op)
    call = f"ek_logical_b8({int(op.type == 'LOGICAL_OR')}, &{{c:{bcast.name}}}, {refs[0]}, {refs[1]}, {{out0}});"
    return OpLowering(call=call, headers=["ek_compare.h"], constants=[*consts, bcast])


@register("LOGICAL_NOT", memory=elementwise_contract)
def lower_logical_not(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype == "bool" and y.dtype == "bool", op, "input and output must be bool")
    refs, consts = operand_refs(graph, op)
    return OpLowering(call=f"ek_logical_not_b8({refs[0]}, {{out0}}, {y.num_elements});",
                      headers=["ek_compare.h"], constants=[*consts])


@register("SELECT_V2", "SELECT", memory=binary_contract)
def lower_select(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    cond, x, yv = (graph.tensors[i] for i in op.inputs)
    out = graph.tensors[op.outputs[0]]
    require(cond.dtype == "bool", op, f"condition {cond.name} is {cond.dtype}, not bool")
    require(x.dtype == yv.dtype == out.dtype and (out.dtype in _CTYPE or not (x.is_constant or yv.is_constant)), op,
            f"values of type {x.dtype}/{yv.dtype} -> {out.dtype} are not supported")
    shapes = _shapes(graph, op)
    if op.type == "SELECT" and len(shapes[0]) == 1 and len(shapes[1]) > 1:
        # SELECT (v1): a 1-D condition picks whole rows of x and y.
        shapes[0] = (shapes[0][0],) + (1,) * (len(shapes[1]) - 1)
    bcast = bcast3_constant(op, shapes, out)
    refs, consts = operand_refs(graph, op)
    width = int(np.dtype(out.dtype).itemsize)
    call = f"ek_select(&{{c:{bcast.name}}}, {width}, {refs[0]}, {refs[1]}, {refs[2]}, {{out0}});"
    return OpLowering(call=call, headers=["ek_compare.h"], constants=[*consts, bcast])
