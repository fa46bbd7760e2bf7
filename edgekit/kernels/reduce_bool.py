"""REDUCE_ALL over any set of axes, on bool tensors (TFLite Micro: bool only).

A bool is one byte holding 0 or 1, so "all" is the minimum of the reduced bytes: the
lowering reuses ek_reduce_s8's REDUCE_MIN walk (edgekit/kernels/reduce.py resolves the
axes, negative ones included; keep_dims changes only the output's shape). An empty
reduction is refused (TFLite would answer true).
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.reduce import REDUCE_MAX_DIMS, constant_axes, reduce_space, space_initializer


@register("REDUCE_ALL")
def lower_reduce_all(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype == "bool" and y.dtype == "bool", op, "input and output must be bool")
    require(x.num_elements > 0, op, "empty input")
    space = reduce_space(tuple(int(d) for d in x.shape), constant_axes(graph, op, len(x.shape)))
    require(max(len(space.keep_dims), len(space.red_dims)) <= REDUCE_MAX_DIMS, op,
            f"more than {REDUCE_MAX_DIMS} alternating dimensions are not supported")
    require(y.num_elements == int(np.prod(space.keep_dims)), op,
            f"output shape {y.shape} does not match the reduction of {x.shape}")
    shape = ConstStruct(cname(op, "shape"), "ek_reduce_shape_t", space_initializer(space))
    params = ConstStruct(cname(op, "params"), "ek_reduce_params_t", c_struct(
        mode="EK_REDUCE_MIN", in_offset=0, multiplier=0, shift=0, out_zero_point=0))
    return OpLowering(call=f"ek_reduce_s8(&{{c:{shape.name}}}, &{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_reduce.h"], constants=[shape, params])
