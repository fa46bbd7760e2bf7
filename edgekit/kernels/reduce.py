"""int8 MEAN: constants of TFLite's integer QuantizedMeanOrSum (reference/reduce.h).

TF 2.21's BUILTIN_REF and TFLite Micro both compute, per output,
MultiplyByQuantizedMultiplier(sum(x) - zp_in * n, M', s') + zp_out where (M, s) is
QuantizeMultiplier(double(in_scale) / double(out_scale)) and the 1/n is folded in with a
truncating integer division: k = min(floor(log2 n), 32, 31 + s), M' = (M << k) // n,
s' = s - k. (Folding exactly, or dividing after requantizing, differs in the last bit.)
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, int8_per_tensor, require, scale_zp
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import multiply_by_quantized_multiplier, quantize_multiplier


def mean_multiplier(in_scale: float, out_scale: float, count: int) -> tuple[int, int]:
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


def _axes(graph: Graph, op: Op, rank: int) -> list[int]:
    t = graph.tensors[op.inputs[1]]
    require(t.is_constant, op, "the axes must be a constant tensor")
    axes = sorted({int(a) % rank for a in np.asarray(t.data).reshape(-1)})
    return axes


@register("MEAN")
def lower_mean(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    shape = tuple(int(d) for d in x.shape)
    axes = _axes(graph, op, len(shape))
    # Dimensions of size 1 move no data: drop them, then the reduced ones must be adjacent.
    kept = [d for d in range(len(shape)) if shape[d] != 1]
    dims = [shape[d] for d in kept]
    red = [i for i, d in enumerate(kept) if d in axes]
    require(red == list(range(red[0], red[-1] + 1)) if red else True, op,
            f"MEAN over non-adjacent axes {axes} of shape {shape} is not supported")
    first, last = (red[0], red[-1]) if red else (0, -1)
    outer = int(np.prod(dims[:first], dtype=np.int64))
    reduce = int(np.prod(dims[first:last + 1], dtype=np.int64))
    inner = int(np.prod(dims[last + 1:], dtype=np.int64))
    require(reduce > 0, op, "empty input")
    s_in, zp_in = scale_zp(x)
    s_out, zp_out = scale_zp(y)
    m, s = mean_multiplier(s_in, s_out, reduce)
    params = ConstStruct(cname(op, "params"), "ek_mean_params_t", c_struct(
        outer=outer, reduce=reduce, inner=inner, in_offset=-zp_in * reduce, multiplier=m,
        shift=s, out_zero_point=zp_out))
    return OpLowering(call=f"ek_mean_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_reduce.h"], constants=[params])
