"""GATHER (axis, batch_dims), EMBEDDING_LOOKUP and GATHER_ND: copies of whole slices.

The host reduces each op to slice counts and byte sizes; the device reads one index
(int32 or int64, activation or constant) per slice and copies it. Nothing is requantized:
TFLite copies the elements verbatim, whatever their type. Indices are checked on the
device too: an index outside the table (TFLite fails the invoke) gives a zero slice,
never a read outside the tensor.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_ints, c_struct, cname, require
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.operands import element_bytes, index_operand, operand

MAX_INDEX_DEPTH = 6  # EK_GATHER_ND_MAX_DEPTH in ek_gather.h


def _prod(values: list[int]) -> int:
    return math.prod(values) if values else 1


def _gather_call(op: Op, params_ref: str, index_ref: str, consts: list, batches: int,
                 outer: int, axis_size: int, inner_bytes: int, coords: int,
                 index_bytes: int) -> OpLowering:
    params = ConstStruct(cname(op, "gather"), "ek_gather_t", c_struct(
        batches=batches, outer=outer, axis_size=axis_size, inner_bytes=inner_bytes,
        coords=coords, index_bytes=index_bytes))
    return OpLowering(call=f"(void)ek_gather(&{{c:{params.name}}}, {params_ref}, {index_ref}, {{out0}});",
                      headers=["ek_gather.h"], constants=[*consts, params])


@register("GATHER")
def lower_gather(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    p, idx, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]],
                 graph.tensors[op.outputs[0]])
    pshape, ishape = [int(d) for d in p.shape], [int(d) for d in idx.shape]
    require(p.dtype == y.dtype, op, f"params are {p.dtype} but the output is {y.dtype}")
    batch_dims = int(op.options.get("batch_dims", 0))
    batch_dims += len(ishape) if batch_dims < 0 else 0
    axis = int(op.options.get("axis", 0))
    axis += len(pshape) if axis < 0 else 0
    require(0 <= batch_dims <= len(ishape) and batch_dims <= axis < len(pshape), op,
            f"axis {axis} and batch_dims {batch_dims} do not fit params {pshape}, indices {ishape}")
    require(pshape[:batch_dims] == ishape[:batch_dims], op,
            f"batch dimensions of params {pshape} and indices {ishape} differ")
    expected = pshape[:axis] + ishape[batch_dims:] + pshape[axis + 1:]
    require(expected == [int(d) for d in y.shape], op, f"output shape {y.shape}, expected {expected}")
    params_ref, consts = operand(graph, op, 0)
    index_ref, index_bytes, index_consts = index_operand(graph, op, 1, "indices", pshape[axis])
    return _gather_call(op, params_ref, index_ref, consts + index_consts,
                        batches=_prod(pshape[:batch_dims]), outer=_prod(pshape[batch_dims:axis]),
                        axis_size=pshape[axis], inner_bytes=_prod(pshape[axis + 1:]) * element_bytes(op, p),
                        coords=_prod(ishape[batch_dims:]), index_bytes=index_bytes)


@register("EMBEDDING_LOOKUP")
def lower_embedding_lookup(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    ids, table, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]],
                     graph.tensors[op.outputs[0]])
    require(table.dtype == y.dtype, op,
            f"the table is {table.dtype} but the output is {y.dtype} (hybrid lookups are not supported)")
    require(len(ids.shape) == 1 and len(table.shape) >= 1, op, "ids must be 1-D")
    tshape = [int(d) for d in table.shape]
    require([int(d) for d in y.shape] == [int(ids.shape[0])] + tshape[1:], op,
            f"output shape {y.shape} does not match ids {ids.shape} and table {table.shape}")
    require(ids.dtype == "int32", op, f"ids are {ids.dtype}; TFLite takes int32 only")
    table_ref, consts = operand(graph, op, 1)
    index_ref, index_bytes, index_consts = index_operand(graph, op, 0, "ids", tshape[0])
    return _gather_call(op, table_ref, index_ref, consts + index_consts, batches=1, outer=1,
                        axis_size=tshape[0], inner_bytes=_prod(tshape[1:]) * element_bytes(op, table),
                        coords=int(ids.shape[0]), index_bytes=index_bytes)


@register("GATHER_ND")
def lower_gather_nd(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    p, idx, y = (graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]],
                 graph.tensors[op.outputs[0]])
    pshape, ishape = [int(d) for d in p.shape], [int(d) for d in idx.shape]
    require(p.dtype == y.dtype, op, f"params are {p.dtype} but the output is {y.dtype}")
    require(len(ishape) >= 1 and 1 <= ishape[-1] <= min(len(pshape), MAX_INDEX_DEPTH), op,
            f"index depth {ishape[-1:]} must be 1..{min(len(pshape), MAX_INDEX_DEPTH)}")
    depth = ishape[-1]
    expected = ishape[:-1] + pshape[depth:]
    require(expected == [int(d) for d in y.shape], op, f"output shape {y.shape}, expected {expected}")
    slice_bytes = _prod(pshape[depth:]) * element_bytes(op, p)
    strides = [_prod(pshape[d + 1:depth]) for d in range(depth)]  # in slices
    params_ref, consts = operand(graph, op, 0)
    index_ref, index_bytes, index_consts = index_operand(graph, op, 1, "indices")
    if idx.is_constant:  # each coordinate against its own dimension
        values = np.asarray(idx.data, dtype=np.int64).reshape(-1, depth)
        require(bool(((values >= 0) & (values < np.asarray(pshape[:depth]))).all()), op,
                f"an index is out of range of params {pshape}")
    pad = MAX_INDEX_DEPTH - depth
    params = ConstStruct(cname(op, "gather_nd"), "ek_gather_nd_t", c_struct(
        count=_prod(ishape[:-1]), depth=depth, dims=c_ints(pshape[:depth] + [1] * pad),
        strides=c_ints(strides + [0] * pad), slice_bytes=slice_bytes, index_bytes=index_bytes))
    return OpLowering(
        call=f"(void)ek_gather_nd(&{{c:{params.name}}}, {params_ref}, {index_ref}, {{out0}});",
        headers=["ek_gather.h"], constants=[*consts, *index_consts, params])
