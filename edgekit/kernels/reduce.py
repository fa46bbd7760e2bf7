"""int8 reductions over any set of axes: MEAN, SUM, REDUCE_MAX, REDUCE_MIN, ARG_MAX, ARG_MIN.

The host turns the axes into two strided iteration spaces over the input (the kept
dimensions, in output order, and the reduced ones), after dropping size-1 dimensions and
merging neighbours of the same kind, so the device only walks strides. keep_dims does
not change the output's bytes, only its shape.

MEAN and SUM follow TF 2.21's integer QuantizedMeanOrSum (reference/reduce.h), which
TFLite Micro shares: per output MultiplyByQuantizedMultiplier(sum(x) - zp_in * n, M', s')
+ zp_out, saturated, with (M, s) = QuantizeMultiplier(double(in_scale) / double(out_scale)).
SUM uses (M, s) as is; MEAN folds the 1/n in with a truncating integer division:
k = min(floor(log2 n), 32, 31 + s), M' = (M << k) // n, s' = s - k (folding exactly, or
dividing after requantizing, differs in the last bit).
SUM's oracle is TFLite Micro, which TF's default (optimized) kernel agrees with: TF 2.21's
BUILTIN_REF int8 SUM returns -1 for every output (tests/kernels/test_reduce_any_axes.py
shows it). REDUCE_MAX/MIN compare raw values; TF requires the output to keep the input's
quantization. ARG_MAX/ARG_MIN return the first
index of the extreme value, as int32 or int64. With EK_ARM_DSP, MEAN/SUM whose outputs
are contiguous and whose reduced elements form one strided run (the spatial mean of NHWC)
sum four outputs per 32-bit load with SXTAB16 (ek_reduce.c); the integer sums are the
same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import c_ints, c_struct, cname, float_scale_zp, int8_per_tensor, require, require_int16
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import Real, multiply_by_quantized_multiplier, quantize_multiplier

REDUCE_MAX_DIMS = 6  # EK_REDUCE_MAX_DIMS in ek_reduce.h
_MODE = {"SUM": "EK_REDUCE_SUM", "MEAN": "EK_REDUCE_SUM", "REDUCE_MAX": "EK_REDUCE_MAX",
         "REDUCE_MIN": "EK_REDUCE_MIN"}


def mean_multiplier(in_scale: Real, out_scale: Real, count: int) -> tuple[int, int]:
    """The (multiplier, shift) TFLite applies to sum - zp_in * count."""
    m, s = quantize_multiplier(float(np.float32(in_scale)) / float(np.float32(out_scale)))
    k = min(count.bit_length() - 1, 32, 31 + s)
    return (m << k) // count, s - k


def mean_reference(x: np.ndarray, axes: tuple[int, ...], in_scale: float, in_zp: int,
                   out_scale: float, out_zp: int) -> np.ndarray:
    """NumPy mirror (keep_dims=False layout)."""
    n = int(np.prod([x.shape[a] for a in axes]))
    acc = np.asarray(x, dtype=np.int64).sum(axis=axes) - in_zp * n
    m, s = mean_multiplier(in_scale, out_scale, n)
    return np.clip(multiply_by_quantized_multiplier(acc, m, s) + out_zp, -128, 127).astype(np.int8)


@dataclass(frozen=True)
class ReduceSpace:
    """Kept and reduced dimensions of the input, outermost first, with element strides."""

    keep_dims: tuple[int, ...]
    keep_strides: tuple[int, ...]
    red_dims: tuple[int, ...]
    red_strides: tuple[int, ...]

    @property
    def count(self) -> int:
        return int(np.prod(self.red_dims, dtype=np.int64))


def reduce_space(shape: tuple[int, ...], axes: set[int]) -> ReduceSpace:
    """Size-1 dimensions dropped; adjacent dimensions of the same kind merged."""
    strides, step = [0] * len(shape), 1
    for d in range(len(shape) - 1, -1, -1):
        strides[d], step = step, step * shape[d]
    groups: dict[bool, tuple[list[int], list[int]]] = {True: ([], []), False: ([], [])}
    last_kind: bool | None = None
    for d, size in enumerate(shape):
        if size == 1:
            continue
        reduced = d in axes
        dims, st = groups[reduced]
        if last_kind == reduced and dims and st[-1] == strides[d] * size:
            dims[-1] *= size
            st[-1] = strides[d]
        else:
            dims.append(size)
            st.append(strides[d])
        last_kind = reduced
    (kd, ks), (rd, rs) = groups[False], groups[True]
    return ReduceSpace(tuple(kd) or (1,), tuple(ks) or (0,), tuple(rd) or (1,), tuple(rs) or (0,))


def space_initializer(space: ReduceSpace) -> str:
    def pad(values: tuple[int, ...], fill: int) -> str:
        return c_ints(list(values) + [fill] * (REDUCE_MAX_DIMS - len(values)))

    return c_struct(nkeep=len(space.keep_dims), keep_dims=pad(space.keep_dims, 1),
                    keep_strides=pad(space.keep_strides, 0), nred=len(space.red_dims),
                    red_dims=pad(space.red_dims, 1), red_strides=pad(space.red_strides, 0))


def constant_axes(graph: Graph, op: Op, rank: int) -> set[int]:
    t = graph.tensors[op.inputs[1]]
    require(t.is_constant, op, "the axes must be a constant tensor")
    require(t.dtype in ("int32", "int64"), op, f"axes of type {t.dtype} are not supported")
    values = [int(a) for a in np.asarray(t.data).reshape(-1)]
    bad = [a for a in values if not -rank <= a < rank]
    require(not bad, op, f"axis {bad[0] if bad else 0} is out of range for rank {rank}")
    return {a % rank for a in values}


def _space(graph: Graph, op: Op, x: Tensor, axes: set[int]) -> ReduceSpace:
    shape = tuple(int(d) for d in x.shape)
    require(x.num_elements > 0, op, "empty input")
    space = reduce_space(shape, axes)
    require(max(len(space.keep_dims), len(space.red_dims)) <= REDUCE_MAX_DIMS, op,
            f"more than {REDUCE_MAX_DIMS} alternating dimensions are not supported")
    return space


@register("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN")
def lower_reduce(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    return _reduce(graph, op, "int8")


@register("MEAN", "SUM", activations="int16")
def lower_reduce_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    """int16x8 MEAN and SUM over int16 elements (zero points 0; TFLite Micro has no int16
    REDUCE_MAX/MIN, so they stay int8 only)."""
    require_int16(op, graph.tensors[op.inputs[0]])
    require_int16(op, graph.tensors[op.outputs[0]])
    return _reduce(graph, op, "int16")


def _reduce(graph: Graph, op: Op, dtype: str) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    lo, hi = (-(1 << 15), (1 << 15) - 1) if dtype == "int16" else (-128, 127)
    space = _space(graph, op, x, constant_axes(graph, op, len(x.shape)))
    require(y.num_elements == int(np.prod(space.keep_dims)), op,
            f"output shape {y.shape} does not match the reduction of {x.shape}")
    (s_in, zp_in), (s_out, zp_out) = float_scale_zp(x), float_scale_zp(y)
    mode = _MODE[op.type]
    m, s, in_offset = 0, 0, 0
    if op.type in ("REDUCE_MAX", "REDUCE_MIN"):
        require(s_in == s_out and zp_in == zp_out, op,
                "the output must keep the input's scale and zero point (TFLite requires it)")
    else:
        n = space.count
        m, s = mean_multiplier(s_in, s_out, n) if op.type == "MEAN" else \
            quantize_multiplier(float(s_in) / float(s_out))
        in_offset = -zp_in * n
        require(-(1 << 31) <= in_offset + lo * n and in_offset + hi * n < (1 << 31), op,
                f"{n} elements per output overflow the int32 sum")
    shape = ConstStruct(cname(op, "shape"), "ek_reduce_shape_t", space_initializer(space))
    params = ConstStruct(cname(op, "params"), "ek_reduce_params_t", c_struct(
        mode=mode, in_offset=in_offset, multiplier=m, shift=s, out_zero_point=zp_out))
    call = f"ek_reduce_s16(&{{c:{shape.name}}}, &{{c:{params.name}}}, {{in0:int16_t}}, {{out0:int16_t}});" \
        if dtype == "int16" else f"ek_reduce_s8(&{{c:{shape.name}}}, &{{c:{params.name}}}, {{in0}}, {{out0}});"
    return OpLowering(call=call,
                      headers=["ek_reduce.h"], constants=[shape, params])


@register("ARG_MAX", "ARG_MIN")
def lower_arg_min_max(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype == "int8", op, f"input {x.name} is {x.dtype}; only int8 is supported")
    require(y.dtype in ("int32", "int64"), op, f"output type {y.dtype} is not supported")
    rank = len(x.shape)
    require(rank > 0, op, "the input is a scalar")
    axes = constant_axes(graph, op, rank)
    require(len(axes) == 1, op, "exactly one axis is needed")
    space = _space(graph, op, x, axes)
    require(y.num_elements == int(np.prod(space.keep_dims)), op,
            f"output shape {y.shape} does not match the reduction of {x.shape}")
    shape = ConstStruct(cname(op, "shape"), "ek_reduce_shape_t", space_initializer(space))
    fn = "ek_arg_max_s8" if op.type == "ARG_MAX" else "ek_arg_min_s8"
    return OpLowering(call=f"{fn}(&{{c:{shape.name}}}, {{in0}}, {{out0}}, {int(y.dtype == 'int64')});",
                      headers=["ek_reduce.h"], constants=[shape])
