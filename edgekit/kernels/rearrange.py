"""Ops that only move elements: SLICE, REVERSE_V2, SPACE_TO_DEPTH, DEPTH_TO_SPACE,
SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND (strided copies), MIRROR_PAD and TILE (per-axis
tables).

Each is planned on the host from an index array reshaped, transposed, flipped or sliced by
NumPy with the op's semantics; the device runs ek_strided_copy_s8 (shape.py) or
ek_axis_gather. Where a crop or a pad breaks the strides (the *_TO_*_ND ops), the op
runs in two steps through its scratch buffer. SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND
that surround a dilated convolution are still folded into it by
passes/fold_dilated_conv.py; these lowerings serve the others.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import c_ints, c_struct, cname, require
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.operands import element_bytes, operand
from edgekit.kernels.shape import byte_index, pad_call, strided_copy

MAX_AXES = 6  # EK_AXIS_GATHER_MAX_DIMS in ek_rearrange.h


def _ints(graph: Graph, op: Op, position: int, what: str) -> list[int]:
    require(len(op.inputs) > position and op.inputs[position] >= 0, op, f"missing {what}")
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant, op, f"the {what} must be a constant tensor")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


def _io(graph: Graph, op: Op) -> tuple[Tensor, Tensor, int]:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype == y.dtype, op, f"input is {x.dtype}, output {y.dtype}")
    return x, y, element_bytes(op, x)


def _index(shape: list[int]) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)


def _copy(graph: Graph, op: Op, index: np.ndarray) -> OpLowering:
    """The output is the input's elements at `index` (any shape, C order = output order)."""
    x, y, itemsize = _io(graph, op)
    require(index.size == y.num_elements, op,
            f"computed {index.size} output elements, the model says {y.num_elements}")
    src, consts = operand(graph, op, 0)
    call, structs = strided_copy(op, byte_index(index, itemsize), src=src)
    return OpLowering(call=call, headers=["ek_shape.h"], constants=[*consts, *structs])


def _shape(t: Tensor) -> list[int]:
    return [int(d) for d in t.shape]


@register("SLICE")
def lower_slice(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x = graph.tensors[op.inputs[0]]
    shape = _shape(x)
    begin, size = _ints(graph, op, 1, "begin"), _ints(graph, op, 2, "size")
    require(len(begin) == len(size) == len(shape), op, "begin and size need one entry per axis")
    spec = []
    for axis, (b, n, d) in enumerate(zip(begin, size, shape)):
        stop = d if n == -1 else b + n
        require(0 <= b <= stop <= d, op, f"axis {axis}: slice {b}..{stop} is outside 0..{d}")
        spec.append(slice(b, stop))
    return _copy(graph, op, _index(shape)[tuple(spec)])


@register("REVERSE_V2")
def lower_reverse(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape = _shape(graph.tensors[op.inputs[0]])
    axes = [a + len(shape) if a < 0 else a for a in _ints(graph, op, 1, "axes")]
    require(all(0 <= a < len(shape) for a in axes), op, f"axes {axes} out of range for rank {len(shape)}")
    return _copy(graph, op, np.flip(_index(shape), axis=tuple(axes)) if axes else _index(shape))


def _block_size(op: Op) -> int:
    bs = int(op.options.get("block_size", 0))
    require(bs >= 1, op, f"block size {bs}")
    return bs


@register("SPACE_TO_DEPTH")
def lower_space_to_depth(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape, bs = _shape(graph.tensors[op.inputs[0]]), _block_size(op)
    require(len(shape) == 4 and shape[1] % bs == 0 and shape[2] % bs == 0, op,
            f"input {shape} is not 4-D with H and W multiples of {bs}")
    n, h, w, c = shape
    # out[n, h, w, (by*bs + bx)*C + c] = in[n, h*bs + by, w*bs + bx, c]
    index = _index(shape).reshape(n, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5)
    return _copy(graph, op, index)


@register("DEPTH_TO_SPACE")
def lower_depth_to_space(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape, bs = _shape(graph.tensors[op.inputs[0]]), _block_size(op)
    require(len(shape) == 4 and shape[3] % (bs * bs) == 0, op,
            f"input {shape} is not 4-D with a depth multiple of {bs * bs}")
    n, h, w, c = shape
    # out[n, h*bs + by, w*bs + bx, c] = in[n, h, w, (by*bs + bx)*C + c]
    index = _index(shape).reshape(n, h, w, bs, bs, c // (bs * bs)).transpose(0, 1, 3, 2, 4, 5)
    return _copy(graph, op, index)


def _block_geometry(graph: Graph, op: Op, what: str) -> tuple[list[int], list[int], list[list[int]]]:
    x, y, itemsize = _io(graph, op)
    require(itemsize == 1, op, f"tensor {x.name} is {x.dtype}; only 1-byte elements are supported")
    shape = _shape(x)
    block = _ints(graph, op, 1, "block shape")
    m = len(block)
    require(m >= 1 and len(shape) >= m + 1 and all(b >= 1 for b in block), op,
            f"block {block} does not fit input {shape}")
    pairs = np.asarray(_ints(graph, op, 2, what)).reshape(m, 2).tolist()
    require(all(a >= 0 and b >= 0 for a, b in pairs), op, f"negative {what}")
    return shape, block, pairs


def _interleave(a: list[int], b: list[int]) -> list[int]:
    return [v for pair in zip(a, b) for v in pair]


@register("SPACE_TO_BATCH_ND")
def lower_space_to_batch(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape, block, pads = _block_geometry(graph, op, "paddings")
    y = graph.tensors[op.outputs[0]]
    m = len(block)
    n, spatial, rest = shape[0], shape[1:m + 1], math.prod(shape[m + 1:])
    padded = [s + a + b for s, (a, b) in zip(spatial, pads)]
    require(all(p % b == 0 for p, b in zip(padded, block)), op,
            f"padded spatial shape {padded} is not a multiple of the block {block}")
    # out[(i_0, ..., i_{m-1}, n), s_0, ..., r] = padded[n, s_0*b_0 + i_0, ..., r]
    grid = [n, *_interleave([p // b for p, b in zip(padded, block)], block), rest]
    perm = [2 + 2 * k for k in range(m)] + [0] + [1 + 2 * k for k in range(m)] + [2 * m + 1]
    index = _index([n, *padded, rest]).reshape(grid).transpose(perm)
    require(index.size == y.num_elements, op, f"output {y.shape} does not hold {index.size} elements")
    if not any(a or b for a, b in pads):
        return _copy(graph, op, index)
    # TFLite pads with the output's zero point (real 0). TFLite Micro leaves the padding
    # unwritten (whatever its arena held): no value matches it, so both modes pad as TFLite.
    value = int(y.quant.zero_point[0]) if y.quant is not None else 0
    src, consts = operand(graph, op, 0)
    pad, pad_consts = pad_call(op, [n, *spatial, rest], [0, *[a for a, _ in pads], 0],
                               [n, *padded, rest], value, src=f"(const int8_t *){src}", dst="{scratch}")
    copy, copy_consts = strided_copy(op, index, src="{scratch}")
    return OpLowering(call=f"{pad}\n{copy}", headers=["ek_shape.h"], scratch_bytes=index.size,
                      constants=[*consts, *pad_consts, *copy_consts])


@register("BATCH_TO_SPACE_ND")
def lower_batch_to_space(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape, block, crops = _block_geometry(graph, op, "crops")
    y = graph.tensors[op.outputs[0]]
    m = len(block)
    blocks = math.prod(block)
    require(shape[0] % blocks == 0, op, f"batch {shape[0]} is not a multiple of {blocks}")
    n, spatial, rest = shape[0] // blocks, shape[1:m + 1], math.prod(shape[m + 1:])
    # whole[n, s_0*b_0 + i_0, ..., r] = in[(i_0, ..., i_{m-1}, n), s_0, ..., r]
    perm = [m] + _interleave([m + 1 + k for k in range(m)], list(range(m))) + [2 * m + 1]
    index = _index([*block, n, *spatial, rest]).transpose(perm)
    whole = [n, *[s * b for s, b in zip(spatial, block)], rest]
    crop = (slice(None), *[slice(a, w - b) for w, (a, b) in zip(whole[1:-1], crops)], slice(None))
    require(all(a + b <= w for w, (a, b) in zip(whole[1:-1], crops)), op, "crops larger than the output")
    kept = _index(whole)[crop]
    require(kept.size == y.num_elements, op, f"output {y.shape} does not hold {kept.size} elements")
    if not any(a or b for a, b in crops):
        return _copy(graph, op, index)
    src, consts = operand(graph, op, 0)
    first, first_consts = strided_copy(op, index, "whole", src=src, dst="{scratch}")
    second, second_consts = strided_copy(op, kept, "crop", src="{scratch}")
    return OpLowering(call=f"{first}\n{second}", headers=["ek_shape.h"], scratch_bytes=index.size,
                      constants=[*consts, *first_consts, *second_consts])


# --- per-axis tables: MIRROR_PAD, TILE -------------------------------------------------------


def _axis_gather(graph: Graph, op: Op, maps: list[np.ndarray]) -> OpLowering:
    """out[o_0, ..., o_n] = in[maps[0][o_0], ..., maps[n][o_n]]."""
    x, y, itemsize = _io(graph, op)
    shape = _shape(x) or [1]
    maps = maps or [np.zeros(1, dtype=np.int64)]
    require([len(m) for m in maps] == (_shape(y) or [1]), op,
            f"computed output {[len(m) for m in maps]}, the model says {y.shape}")
    if y.num_elements == 0:
        return OpLowering(call="/* empty output */", headers=["ek_rearrange.h"])
    strides = [math.prod(shape[d + 1:]) * itemsize for d in range(len(shape))]
    inner = itemsize
    dims = [len(m) for m in maps]
    offsets = [np.asarray(m, dtype=np.int64) * s for m, s in zip(maps, strides)]
    # Trailing axes copied whole are one contiguous block per element.
    while len(dims) > 1 and dims[-1] == shape[len(dims) - 1] and np.array_equal(maps[len(dims) - 1],
                                                                                 np.arange(dims[-1])):
        inner *= dims.pop()
        offsets.pop()
    # Axes of size 1 add a constant: fold it into the next axis (or the previous one).
    kept_dims: list[int] = []
    kept: list[np.ndarray] = []
    carry = 0
    for d, o in zip(dims, offsets):
        if d == 1:
            carry += int(o[0])
        else:
            kept_dims.append(d)
            kept.append(o + carry)
            carry = 0
    if not kept:
        kept_dims, kept = [1], [np.asarray([carry])]
    elif carry:
        kept[-1] = kept[-1] + carry
    require(len(kept_dims) <= MAX_AXES, op, f"needs {len(kept_dims)} axes, at most {MAX_AXES}")
    table = ConstArray(cname(op, "offsets"), "int32_t", np.concatenate(kept))
    pad = MAX_AXES - len(kept_dims)
    params = ConstStruct(cname(op, "axes"), "ek_axis_gather_t", c_struct(
        ndims=len(kept_dims), dims=c_ints(kept_dims + [1] * pad), offsets=f"{{c:{table.name}}}",
        inner_bytes=inner))
    src, consts = operand(graph, op, 0)
    return OpLowering(call=f"ek_axis_gather(&{{c:{params.name}}}, {src}, {{out0}});",
                      headers=["ek_rearrange.h"], constants=[*consts, table, params])


MIRROR_MODES = {0: "REFLECT", 1: "SYMMETRIC", "REFLECT": "REFLECT", "SYMMETRIC": "SYMMETRIC"}


def mirror_map(n: int, before: int, after: int, mode: str) -> np.ndarray:
    i = np.arange(-before, n + after)
    edge = 0 if mode == "REFLECT" else 1  # SYMMETRIC repeats the edge element
    i = np.where(i < 0, -i - edge, i)
    return np.where(i >= n, 2 * n - 2 + edge - i, i)


@register("MIRROR_PAD")
def lower_mirror_pad(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape = _shape(graph.tensors[op.inputs[0]])
    pads = np.asarray(_ints(graph, op, 1, "paddings")).reshape(len(shape), 2).tolist()
    mode = MIRROR_MODES.get(op.options.get("mode", 0))
    require(mode is not None, op, f"mirror mode {op.options.get('mode')!r}")
    limit = 0 if mode == "REFLECT" else 1  # at most n-1 (REFLECT) or n (SYMMETRIC) per side
    for axis, (n, (a, b)) in enumerate(zip(shape, pads)):
        require(0 <= a <= n - 1 + limit and 0 <= b <= n - 1 + limit, op,
                f"axis {axis}: padding {a, b} too large for size {n} in {mode} mode")
    return _axis_gather(graph, op, [mirror_map(n, a, b, str(mode)) for n, (a, b) in zip(shape, pads)])


@register("TILE")
def lower_tile(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    shape = _shape(graph.tensors[op.inputs[0]])
    multiples = _ints(graph, op, 1, "multiples")
    require(len(multiples) == len(shape) and all(k >= 0 for k in multiples), op,
            f"multiples {multiples} do not fit shape {shape}")
    return _axis_gather(graph, op, [np.arange(n * k) % max(n, 1) for n, k in zip(shape, multiples)])
