"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR, int8, with TFLite's reference arithmetic.

Everything that depends only on the shapes is done here, once: the nearest source row and
column of every output row and column (TFLite computes them in float32, so does NumPy
below), and bilinear's integer sample positions and 10-bit weights (ResizeBilinearInteger).
The device only reads tables and multiplies bytes. Neither op requantizes: TFLite writes
the interpolated int8 values as they are, whatever the output's quantization says.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register

F32 = np.float32
ONE_10 = 1 << 10  # bilinear positions are fixed point with 10 fractional bits


def _c_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def nearest_indices(in_size: int, out_size: int, align_corners: bool, half_pixel: bool) -> list[int]:
    """GetNearestNeighbor for every output position, in float32 as TFLite does."""
    if align_corners and out_size > 1:
        scale = F32(in_size - 1) / F32(out_size - 1)
    else:
        scale = F32(in_size) / F32(out_size)
    offset = F32(0.5) if half_pixel else F32(0.0)
    result = []
    for i in range(out_size):
        v = float(F32(F32(i) + offset) * scale)  # exact in double from here on
        # std::round (half away from zero) with align_corners, floor without.
        k = int(math.copysign(math.floor(abs(v) + 0.5), v)) if align_corners else math.floor(v)
        k = min(k, in_size - 1)
        if half_pixel:
            k = max(0, k)
        result.append(k)
    return result


def bilinear_table(in_size: int, out_size: int, align_corners: bool,
                   half_pixel: bool) -> list[tuple[int, int, int]]:
    """(lower, upper, weight of upper) per output position: ComputeInterpolationValuesInteger.
    The weight of `lower` is 1024 - weight (both may fall outside 0..1024 at the edges)."""
    scale = (ONE_10 * in_size + out_size // 2) // out_size
    if align_corners and out_size > 1:
        scale = (ONE_10 * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    table = []
    for i in range(out_size):
        pos = i * scale + scale // 2 - (1 << 9) if half_pixel else i * scale
        lower = max(_c_div(pos, ONE_10), 0)
        upper = min(_c_div(pos + ONE_10 - 1, ONE_10), in_size - 1)
        table.append((lower, upper, pos - ONE_10 * lower))
    return table


def _geometry(graph: Graph, op: Op) -> tuple[list[int], list[int], bool, bool]:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    for t in (x, y):
        require(t.dtype == "int8", op, f"tensor {t.name} is {t.dtype}; only int8 is supported")
    require(len(x.shape) == 4 and len(y.shape) == 4, op, "input and output must be 4-D (NHWC)")
    size_t = graph.tensors[op.inputs[1]]
    require(size_t.is_constant, op, "the output size must be a constant tensor")
    size = [int(v) for v in np.asarray(size_t.data).reshape(-1)]
    require(size == [int(d) for d in y.shape[1:3]], op,
            f"size {size} does not match the output shape {y.shape}")
    require(x.shape[0] == y.shape[0] and x.shape[3] == y.shape[3], op,
            "batch and channels must be kept")
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    require(not (align and half), op, "align_corners and half_pixel_centers cannot both be set")
    return [int(d) for d in x.shape], [int(d) for d in y.shape], align, half


def _params(x: list[int], y: list[int]) -> dict[str, object]:
    return dict(batches=x[0], in_h=x[1], in_w=x[2], channels=x[3], out_h=y[1], out_w=y[2])


@register("RESIZE_NEAREST_NEIGHBOR")
def lower_resize_nearest(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y, align, half = _geometry(graph, op)
    rows = ConstArray(cname(op, "rows"), "int32_t", np.asarray(nearest_indices(x[1], y[1], align, half)))
    cols = ConstArray(cname(op, "cols"), "int32_t", np.asarray(nearest_indices(x[2], y[2], align, half)))
    params = ConstStruct(cname(op, "resize"), "ek_resize_nearest_t", c_struct(
        **_params(x, y), rows=f"{{c:{rows.name}}}", cols=f"{{c:{cols.name}}}"))
    return OpLowering(call=f"ek_resize_nearest_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_resize.h"], constants=[rows, cols, params])


@register("RESIZE_BILINEAR")
def lower_resize_bilinear(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y, align, half = _geometry(graph, op)
    rows = ConstArray(cname(op, "rows"), "int32_t",
                      np.asarray(bilinear_table(x[1], y[1], align, half)).reshape(-1))
    cols = ConstArray(cname(op, "cols"), "int32_t",
                      np.asarray(bilinear_table(x[2], y[2], align, half)).reshape(-1))
    params = ConstStruct(cname(op, "resize"), "ek_resize_bilinear_t", c_struct(
        **_params(x, y), rows=f"{{c:{rows.name}}}", cols=f"{{c:{cols.name}}}"))
    return OpLowering(call=f"ek_resize_bilinear_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_resize.h"], constants=[rows, cols, params])
