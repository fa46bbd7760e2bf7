"""PACK, UNPACK, SPLIT and SPLIT_V: one op, several tensors of the same bytes.

PACK stacks its inputs along a new axis: per input one block copy into its slot of the
output (as CONCATENATION). UNPACK and SPLIT/SPLIT_V write several outputs ({out0},
{out1}, ...), each one strided copy of its part of the input, planned on the host from an
index array cut with NumPy. Elements of any size are copied as bytes; nothing is
requantized (TFLite insists on equal quantization for int8 and copies the bytes).
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import require
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.operands import element_bytes, operand
from edgekit.kernels.shape import byte_index, strided_copy


def _axis(op: Op, value: int, rank: int) -> int:
    axis = value + rank if value < 0 else value
    require(0 <= axis < max(rank, 1), op, f"axis {value} is out of range for rank {rank}")
    return axis


def _same_types(op: Op, x: Tensor, outputs: list[Tensor]) -> int:
    for t in outputs:
        require(t.dtype == x.dtype, op, f"tensor {t.name} is {t.dtype}, the input {x.dtype}")
    return element_bytes(op, x)


@register("PACK")
def lower_pack(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    y = graph.tensors[op.outputs[0]]
    inputs = [graph.tensors[i] for i in op.inputs]
    itemsize = _same_types(op, y, inputs)
    shape = [int(d) for d in inputs[0].shape]
    require(all([int(d) for d in t.shape] == shape for t in inputs), op, "inputs differ in shape")
    axis = _axis(op, int(op.options.get("axis", 0)), len(shape) + 1)
    require([int(d) for d in y.shape] == shape[:axis] + [len(inputs)] + shape[axis:], op,
            f"output shape {y.shape} is not {len(inputs)} inputs of {shape} stacked on axis {axis}")
    outer = math.prod(shape[:axis])
    chunk = math.prod(shape[axis:]) * itemsize
    calls: list[str] = []
    consts: list[ConstArray | ConstStruct] = []
    for k in range(len(inputs)):
        ref, c = operand(graph, op, k)
        consts += c
        if chunk and outer:
            calls.append(f"ek_copy_blocks_s8((const int8_t *){ref}, (int8_t *){{out0}} + {k * chunk}, "
                         f"{outer}, {chunk}, {len(inputs) * chunk});")
    return OpLowering(call="\n".join(calls) or "/* empty output */", headers=["ek_shape.h"],
                      constants=consts)


def _parts(graph: Graph, op: Op, source: int, pieces: list[np.ndarray]) -> OpLowering:
    """Output k = the input's elements at pieces[k] (element offsets)."""
    x = graph.tensors[op.inputs[source]]
    outputs = [graph.tensors[i] for i in op.outputs]
    itemsize = _same_types(op, x, outputs)
    require(len(pieces) == len(outputs), op, f"{len(pieces)} parts but {len(outputs)} outputs")
    src, consts = operand(graph, op, source)
    calls: list[str] = []
    structs: list[ConstArray | ConstStruct] = list(consts)
    for k, (piece, t) in enumerate(zip(pieces, outputs)):
        require(piece.size == t.num_elements, op,
                f"part {k} has {piece.size} elements, output {t.name} {t.num_elements}")
        call, c = strided_copy(op, byte_index(piece, itemsize), f"part{k}", src, f"{{out{k}}}")
        calls.append(call)
        structs += c
    return OpLowering(call="\n".join(calls), headers=["ek_shape.h"], constants=structs)


def _index(x: Tensor) -> np.ndarray:
    return np.arange(x.num_elements, dtype=np.int64).reshape([int(d) for d in x.shape])


@register("UNPACK")
def lower_unpack(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x = graph.tensors[op.inputs[0]]
    axis = _axis(op, int(op.options.get("axis", 0)), len(x.shape))
    require(int(x.shape[axis]) == len(op.outputs), op,
            f"{len(op.outputs)} outputs but axis {axis} has {x.shape[axis]} entries")
    index = _index(x)
    return _parts(graph, op, 0, [np.take(index, k, axis=axis) for k in range(len(op.outputs))])


def _split_along(graph: Graph, op: Op, source: int, axis_position: int) -> OpLowering:
    x = graph.tensors[op.inputs[source]]
    axis_t = graph.tensors[op.inputs[axis_position]]
    require(axis_t.is_constant, op, "the axis must be a constant tensor")
    axis = _axis(op, int(np.asarray(axis_t.data).reshape(-1)[0]), len(x.shape))
    sizes = [int(graph.tensors[i].shape[axis]) if len(graph.tensors[i].shape) == len(x.shape) else -1
             for i in op.outputs]
    require(all(s >= 0 for s in sizes) and sum(sizes) == int(x.shape[axis]), op,
            f"output sizes {sizes} along axis {axis} do not add up to {x.shape[axis]}")
    cuts = np.cumsum(sizes)[:-1]
    return _parts(graph, op, source, np.split(_index(x), cuts, axis=axis))


@register("SPLIT")
def lower_split(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    return _split_along(graph, op, source=1, axis_position=0)


@register("SPLIT_V")
def lower_split_v(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    sizes_t = graph.tensors[op.inputs[1]]
    require(sizes_t.is_constant, op, "size_splits must be a constant tensor")
    return _split_along(graph, op, source=0, axis_position=2)
