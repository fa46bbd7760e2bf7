"""Tensors made from a value or from shapes: SHAPE, FILL, ZEROS_LIKE, BROADCAST_TO,
BROADCAST_ARGS, CAST (integer and bool types) and DYNAMIC_UPDATE_SLICE.

Shapes are static here, so SHAPE is a constant (passes/fold_constants.py folds it away
unless it is a model output, then the device copies it from flash), and BROADCAST_TO is a
strided copy with stride 0 along the broadcast axes. Nothing is requantized: CAST converts
integer values as C does (TFLite's static_cast), FILL and BROADCAST_TO copy bytes.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_ints, c_struct, cname, require
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.operands import element_bytes, index_operand, operand
from edgekit.kernels.shape import byte_index, strided_copy

HEADERS = ["ek_fill.h", "string.h"]
MAX_DIMS = 6  # EK_UPDATE_MAX_DIMS in ek_fill.h
# TFLite's TensorType numbers, as ek_type_t in ek_fill.h.
CAST_TYPES = {"int32": "EK_TYPE_INT32", "uint8": "EK_TYPE_UINT8", "int64": "EK_TYPE_INT64",
              "bool": "EK_TYPE_BOOL", "int16": "EK_TYPE_INT16", "int8": "EK_TYPE_INT8",
              "uint32": "EK_TYPE_UINT32", "uint16": "EK_TYPE_UINT16"}


def _shape(graph: Graph, index: int) -> list[int]:
    return [int(d) for d in graph.tensors[index].shape]


@register("SHAPE")
def lower_shape(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    y = graph.tensors[op.outputs[0]]
    require(y.dtype in ("int32", "int64"), op, f"output type {y.dtype}")
    values = np.asarray(_shape(graph, op.inputs[0]), dtype=y.dtype)
    raw = ConstArray(cname(op, "shape"), "uint8_t", values.astype(np.dtype(y.dtype).newbyteorder("<"))
                     .view(np.uint8))
    return OpLowering(call=f"memcpy({{out0}}, {{c:{raw.name}}}, {values.nbytes}u);",
                      headers=["string.h"], constants=[raw])


@register("FILL")
def lower_fill(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    value, y = graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    require(value.dtype == y.dtype and value.num_elements == 1, op,
            f"the value must be one {y.dtype} element")
    dims = graph.tensors[op.inputs[0]]
    require(dims.is_constant, op, "the dims must be a constant tensor")
    require([int(v) for v in np.asarray(dims.data).reshape(-1)] == _shape(graph, op.outputs[0]), op,
            "dims do not match the output shape")
    ref, consts = operand(graph, op, 1)
    return OpLowering(call=f"ek_fill({{out0}}, {ref}, {element_bytes(op, y)}, {y.num_elements});",
                      headers=HEADERS, constants=list(consts))


@register("ZEROS_LIKE")
def lower_zeros_like(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    y = graph.tensors[op.outputs[0]]
    require(y.dtype in ("int32", "int64", "float32"), op,
            f"{y.dtype}: TFLite's ZEROS_LIKE takes int32, int64 and float32")
    return OpLowering(call=f"memset({{out0}}, 0, {y.nbytes}u);", headers=["string.h"])


@register("BROADCAST_TO")
def lower_broadcast_to(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype == y.dtype, op, f"input is {x.dtype}, output {y.dtype}")
    shape = _shape(graph, op.outputs[0])
    try:
        index = np.broadcast_to(np.arange(x.num_elements, dtype=np.int64).reshape(_shape(graph, op.inputs[0])),
                                shape)
    except ValueError:
        require(False, op, f"{x.shape} does not broadcast to {y.shape}")
    src, consts = operand(graph, op, 0)
    call, structs = strided_copy(op, byte_index(index, element_bytes(op, x)), src=src)
    return OpLowering(call=call, headers=["ek_shape.h"], constants=[*consts, *structs])


@register("BROADCAST_ARGS")
def lower_broadcast_args(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    require(a.dtype == b.dtype == y.dtype and y.dtype in ("int32", "int64"), op,
            "shapes and output must all be int32 or all int64")
    ref_a, consts_a = operand(graph, op, 0)
    ref_b, consts_b = operand(graph, op, 1)
    return OpLowering(
        call=f"(void)ek_broadcast_args({ref_a}, {a.num_elements}, {ref_b}, {b.num_elements}, {{out0}}, "
             f"{element_bytes(op, y)});", headers=HEADERS, constants=[*consts_a, *consts_b])


@register("CAST")
def lower_cast(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    for t in (x, y):
        require(t.dtype in CAST_TYPES, op, f"{t.dtype} is not an integer or bool type "
                "(float casts run as float, not here)")
    ref, consts = operand(graph, op, 0)
    return OpLowering(call=f"ek_cast({ref}, {CAST_TYPES[x.dtype]}, {{out0}}, {CAST_TYPES[y.dtype]}, "
                           f"{y.num_elements});", headers=HEADERS, constants=list(consts))


@register("DYNAMIC_UPDATE_SLICE")
def lower_dynamic_update_slice(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, u, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]])
    require(x.dtype == u.dtype == y.dtype, op, "operand, update and output must have one type")
    dims, udims = _shape(graph, op.inputs[0]), _shape(graph, op.inputs[1])
    require(len(dims) == len(udims) and 1 <= len(dims) <= MAX_DIMS, op,
            f"update rank {len(udims)} and operand rank {len(dims)} (at most {MAX_DIMS})")
    require(all(0 <= v <= d for v, d in zip(udims, dims)), op, f"update {udims} larger than {dims}")
    require(graph.tensors[op.inputs[2]].num_elements == len(dims), op, "one start index per axis")
    ref_x, consts_x = operand(graph, op, 0)
    ref_u, consts_u = operand(graph, op, 1)
    ref_s, index_bytes, consts_s = index_operand(graph, op, 2, "start indices")
    pad = MAX_DIMS - len(dims)
    params = ConstStruct(cname(op, "update"), "ek_update_slice_t", c_struct(
        ndims=len(dims), operand_dims=c_ints(dims + [1] * pad), update_dims=c_ints(udims + [1] * pad),
        element_bytes=element_bytes(op, x), index_bytes=index_bytes))
    if math.prod(dims) == 0:
        return OpLowering(call="/* empty output */", headers=HEADERS)
    return OpLowering(
        call=f"ek_dynamic_update_slice(&{{c:{params.name}}}, {ref_x}, {ref_u}, {ref_s}, {{out0}});",
        headers=HEADERS, constants=[*consts_x, *consts_u, *consts_s, params])
