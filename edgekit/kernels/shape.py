"""Data-movement ops: RESHAPE/SQUEEZE/EXPAND_DIMS (aliases), TRANSPOSE, STRIDED_SLICE,
PAD/PADV2, CONCATENATION.

None of them changes a byte's value (TFLite copies int8 bytes verbatim; CONCATENATION
and PADV2 require matching quantization), so the host reduces each to plain counts and
strides: TRANSPOSE and STRIDED_SLICE become one strided copy whose strides are read off
an index array sliced/transposed by NumPy with the op's exact semantics.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import DTYPE_BYTES, Graph, Op, Tensor
from edgekit.kernels.cformat import c_ints, c_struct, cname, input_refs, require
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.memory.contract import NO_CONTRACT, MemoryContract

MAX_DIMS = 6  # EK_SHAPE_MAX_DIMS in ek_shape.h
_CONST_CTYPE = {"float32": "float", "int32": "int32_t", "int16": "int16_t"}  # constant inputs wider than a byte


def _one_byte(op: Op, *tensors: Tensor) -> None:
    for t in tensors:
        require(t.dtype in ("int8", "uint8", "bool"), op,
                f"tensor {t.name} is {t.dtype}; only 1-byte elements are supported")


def _element_bytes(op: Op, *tensors: Tensor) -> int:
    """The common element size of tensors that must share a type: 1-byte ones, int16
    (int16x8 models) or float32 (the float fallback), copied as bytes."""
    for t in tensors:
        require(t.dtype in ("int8", "uint8", "bool", "int16", "float32") and t.dtype == tensors[0].dtype, op,
                f"tensor {t.name} is {t.dtype}; only 1-byte, int16 and float32 elements of one type are supported")
    return DTYPE_BYTES[tensors[0].dtype]


def _const_ints(graph: Graph, op: Op, position: int, what: str) -> list[int]:
    require(len(op.inputs) > position and op.inputs[position] >= 0, op, f"missing {what}")
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant, op, f"the {what} must be a constant tensor")
    return [int(v) for v in np.asarray(t.data).reshape(-1)]


# --- RESHAPE, SQUEEZE, EXPAND_DIMS ---------------------------------------------------------


def view_contract(graph: Graph, op: Op) -> MemoryContract:
    """The output is its first input's bytes under another shape."""
    return MemoryContract(view_of=0) if op.inputs else NO_CONTRACT


@register("RESHAPE", "SQUEEZE", "EXPAND_DIMS", memory=view_contract)
def lower_alias(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.nbytes == y.nbytes and x.dtype == y.dtype, op,
            f"{x.shape} {x.dtype} -> {y.shape} {y.dtype} is not a pure reshape")
    return OpLowering(call="")  # codegen: no code when the plan shares the bytes, else a copy


# --- strided copy (TRANSPOSE, STRIDED_SLICE) -------------------------------------------------


def copy_plan(index: np.ndarray) -> tuple[list[int], list[int], int]:
    """(dims, strides, start) with index[i0, i1, ...] == start + sum(i_d * strides[d]),
    dimensions of size 1 dropped and mergeable neighbours merged."""
    shape = [int(d) for d in index.shape]
    if index.size == 0:
        return [0], [1], 0
    start = int(index.reshape(-1)[0])
    dims: list[int] = []
    strides: list[int] = []
    for d, n in enumerate(shape):
        if n == 1:
            continue
        step = int(np.take(index, 1, axis=d).reshape(-1)[0]) - start
        if dims and strides[-1] == step * n:
            dims[-1] *= n
            strides[-1] = step
        else:
            dims.append(n)
            strides.append(step)
    if not dims:
        dims, strides = [1], [1]
    grid = start + sum(np.arange(n).reshape([-1] + [1] * (len(dims) - 1 - k)) * s
                       for k, (n, s) in enumerate(zip(dims, strides)))
    if not np.array_equal(np.broadcast_to(grid, dims).reshape(-1), index.reshape(-1)):
        raise AssertionError("not a strided view")  # cannot happen for slices/transposes
    return dims, strides, start


def strided_copy(op: Op, index: np.ndarray, what: str = "copy", src: str = "{in0}",
                 dst: str = "{out0}") -> tuple[str, list[ConstStruct]]:
    """(C call, constants) copying src[index] (element offsets, any shape) to dst, contiguous."""
    if index.size == 0:
        return "/* empty output */", []
    dims, strides, start = copy_plan(index)
    require(len(dims) <= MAX_DIMS, op, f"needs {len(dims)} dimensions, at most {MAX_DIMS}")
    pad = MAX_DIMS - len(dims)
    params = ConstStruct(cname(op, what), "ek_strided_copy_t", c_struct(
        ndims=len(dims), dims=c_ints(dims + [1] * pad), in_strides=c_ints(strides + [0] * pad),
        start=start))
    return (f"ek_strided_copy_s8(&{{c:{params.name}}}, (const int8_t *){src}, (int8_t *){dst});",
            [params])


def byte_index(index: np.ndarray, itemsize: int) -> np.ndarray:
    """Element offsets -> byte offsets (a new innermost axis of `itemsize` bytes)."""
    if itemsize == 1:
        return index
    return index[..., None] * itemsize + np.arange(itemsize)


def _strided_copy(graph: Graph, op: Op, index: np.ndarray) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    itemsize = _element_bytes(op, x, y)
    require(index.size == y.num_elements, op,
            f"computed {index.size} output elements, the model says {y.num_elements}")
    call, consts = strided_copy(op, byte_index(index, itemsize))
    return OpLowering(call=call, headers=["ek_shape.h"], constants=list(consts))


def _input_index(x: Tensor) -> np.ndarray:
    return np.arange(x.num_elements, dtype=np.int64).reshape(tuple(x.shape))


@register("TRANSPOSE")
def lower_transpose(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x = graph.tensors[op.inputs[0]]
    perm = _const_ints(graph, op, 1, "permutation")
    require(sorted(p % max(len(x.shape), 1) for p in perm) == list(range(len(x.shape))), op,
            f"permutation {perm} does not fit shape {x.shape}")
    return _strided_copy(graph, op, np.transpose(_input_index(x), perm))


def strided_slice_spec(begin: list[int], end: list[int], strides: list[int],
                       options: dict) -> tuple:
    """A NumPy index equivalent to StridedSlice's begin/end/strides and masks."""
    spec: list = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if options.get("ellipsis_mask", 0) & bit:
            spec.append(Ellipsis)
        elif options.get("new_axis_mask", 0) & bit:
            spec.append(np.newaxis)
        elif options.get("shrink_axis_mask", 0) & bit:
            # As TFLite's StartForAxis: begin_mask wins, even on a shrunk axis.
            spec.append((0 if s > 0 else -1) if options.get("begin_mask", 0) & bit else b)
        else:
            spec.append(slice(None if options.get("begin_mask", 0) & bit else b,
                              None if options.get("end_mask", 0) & bit else e, s))
    return tuple(spec)


def offset_ends(op: Op, shape: list[int], begin: list[int], end: list[int], strides: list[int],
                options: dict) -> list[int]:
    """Absolute ends of an `offset` slice as TFLite computes them: `end` counts from the
    axis' start (begin_mask and negative begins resolved), end_mask plays no part. TFLite
    does not clamp that end (it reads past the tensor), so a slice leaving the tensor is refused."""
    require(not options.get("ellipsis_mask", 0) and not options.get("new_axis_mask", 0), op,
            "offset together with ellipsis_mask or new_axis_mask is not supported")
    ends = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        dim = shape[i]
        if options.get("begin_mask", 0) >> i & 1:
            start = 0 if s > 0 else dim - 1
        else:
            start = b + dim if b < 0 else b
            start = min(max(start, 0), dim) if s > 0 else min(max(start, -1), dim - 1)
        stop = start + e
        # A negative stride may not run down to index 0 either: TFLite then wraps the end
        # (-1 + dim) and reads outside the tensor.
        require((0 <= stop <= dim) if s > 0 else (0 <= stop < dim), op,
                f"offset slice of axis {i} ends at {stop}, outside 0..{dim}")
        ends.append(stop)
    return ends


@register("STRIDED_SLICE")
def lower_strided_slice(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x = graph.tensors[op.inputs[0]]
    begin = _const_ints(graph, op, 1, "begin")
    end = _const_ints(graph, op, 2, "end")
    strides = _const_ints(graph, op, 3, "strides")
    require(0 not in strides, op, "a stride of 0")
    options = dict(op.options)
    if options.pop("offset", False) and ctx.rounding == "tflite":
        end = offset_ends(op, [int(d) for d in x.shape], begin, end, strides, options)
        options["end_mask"] = 0
    # (TFLite Micro ignores `offset`: under --rounding tflm the ends stay absolute.)
    spec = strided_slice_spec(begin, end, strides, options)
    try:
        index = _input_index(x)[spec]
    except IndexError as exc:
        require(False, op, f"slice out of range ({exc})")
    return _strided_copy(graph, op, np.asarray(index))


# --- PAD, PADV2 ---------------------------------------------------------------------------


@register("PAD", "PADV2")
def lower_pad(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    itemsize = _element_bytes(op, x, y)
    rank = len(x.shape)
    paddings = _const_ints(graph, op, 1, "paddings")
    require(len(paddings) == 2 * rank, op, f"{len(paddings)} padding values for a {rank}-D input (2 per axis)")
    pads = np.asarray(paddings).reshape(rank, 2)
    require(bool((pads >= 0).all()), op, "negative padding")
    if op.type == "PADV2" and len(op.inputs) > 2 and op.inputs[2] >= 0:
        value = _const_ints(graph, op, 2, "constant value")[0]
    else:
        value = int(y.quant.zero_point[0]) if y.quant is not None else 0
    in_dims = [int(d) for d in x.shape] or [1]
    out_dims = [int(a + b + d) for (a, b), d in zip(pads, in_dims)] if rank else [1]
    before = [int(a) for a, _ in pads] if rank else [0]
    require(out_dims == ([int(d) for d in y.shape] or [1]), op,
            f"padded shape {out_dims} is not the output shape {y.shape}")
    if itemsize > 1:  # pad bytes: the value's bytes must all be equal (0 or -1)
        require(value in (0, -1), op, f"an int16 pad value of {value} (only 0 and -1 are supported)")
        in_dims, before, out_dims = in_dims + [itemsize], before + [0], out_dims + [itemsize]
    call, consts = pad_call(op, in_dims, before, out_dims, value)
    return OpLowering(call=call, headers=["ek_shape.h"], constants=list(consts))


def pad_call(op: Op, in_dims: list[int], before: list[int], out_dims: list[int], value: int,
             src: str = "{in0}", dst: str = "{out0}") -> tuple[str, list[ConstStruct]]:
    """(C call, constants) of a constant-value pad of the 1-byte tensor src into dst."""
    in_dims, before, out_dims = list(in_dims), list(before), list(out_dims)
    # Fold each unpadded innermost dimension into its outer neighbour (longer rows).
    while len(in_dims) > 1 and in_dims[-1] == out_dims[-1]:
        n = in_dims.pop()
        out_dims.pop()
        before.pop()
        in_dims[-1] *= n
        out_dims[-1] *= n
        before[-1] *= n
    require(len(in_dims) <= MAX_DIMS, op, f"{len(in_dims)} dimensions, at most {MAX_DIMS}")
    pad = MAX_DIMS - len(in_dims)
    params = ConstStruct(cname(op, "pad"), "ek_pad_params_t", c_struct(
        ndims=len(in_dims), out_dims=c_ints(out_dims + [1] * pad), in_dims=c_ints(in_dims + [1] * pad),
        pad_before=c_ints(before + [0] * pad), pad_value=value))
    return f"ek_pad_s8(&{{c:{params.name}}}, {src}, {dst});", [params]


# --- CONCATENATION --------------------------------------------------------------------------


def _same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (np.array_equal(a.quant.scale, b.quant.scale)
            and np.array_equal(a.quant.zero_point, b.quant.zero_point))


def concat_contract(graph: Graph, op: Op) -> MemoryContract:
    """Inputs laid end to end (every dimension before the axis is 1), no activation, no
    requantization: each producer may write straight into its slice of the output."""
    if len(op.outputs) != 1 or op.options.get("fused_activation_function", "NONE") != "NONE":
        return NO_CONTRACT
    out = graph.tensors[op.outputs[0]]
    rank = len(out.shape)
    axis = int(op.options.get("axis", 0))
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank or any(d != 1 for d in out.shape[:axis]) or any(i < 0 for i in op.inputs):
        return NO_CONTRACT
    parts, offset = [], 0
    for i in op.inputs:
        t = graph.tensors[i]
        if not _same_quant(t, out):
            return NO_CONTRACT
        parts.append(offset)
        offset += t.nbytes
    return MemoryContract(parts=tuple(parts))


@register("CONCATENATION", memory=concat_contract)
def lower_concatenation(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    y = graph.tensors[op.outputs[0]]
    inputs = [graph.tensors[i] for i in op.inputs]
    itemsize = _element_bytes(op, y, *inputs)
    require(op.options.get("fused_activation_function", "NONE") in ("NONE", None), op,
            "a fused activation on CONCATENATION is not supported")
    for t in inputs:
        same = (t.quant is None and y.quant is None) or (
            t.quant is not None and y.quant is not None
            and np.float32(t.quant.scale[0]) == np.float32(y.quant.scale[0])
            and int(t.quant.zero_point[0]) == int(y.quant.zero_point[0]))
        require(same, op, "inputs quantized differently from the output (TFLite rejects int8 too)")
    rank = len(y.shape)
    require(all(len(t.shape) == rank for t in inputs), op, "inputs and output differ in rank")
    axis = int(op.options.get("axis", 0)) % max(rank, 1)
    outer = int(np.prod(y.shape[:axis], dtype=np.int64))
    inner = int(np.prod(y.shape[axis + 1:], dtype=np.int64)) * itemsize
    out_stride = int(y.shape[axis]) * inner
    refs, consts = input_refs(graph, op, ctype=_CONST_CTYPE.get(y.dtype, "int8_t"))
    calls, offset = [], 0
    for ref, t in zip(refs, inputs):
        chunk = int(t.shape[axis]) * inner if rank else itemsize
        if chunk and outer:
            calls.append(f"ek_copy_blocks_s8((const int8_t *){ref}, {{out0}} + {offset}, {outer}, {chunk}, "
                         f"{out_stride});")
        offset += chunk
    require(offset == out_stride or rank == 0, op, "input sizes do not add up to the output")
    return OpLowering(call="\n".join(calls) or "/* empty output */", headers=["ek_shape.h"],
                      constants=list(consts))
