"""CONV_2D lowering: TFLite ConvPerChannel semantics (double rounding in TF and TFLM alike),
grouped convolutions included (filter input channels = input channels / groups).

Portable boards call ek_conv_s8 on the original OHWI int8 weights; DSP boards call
ek_conv_s8_packed with host-packed weights (ek_gemm.h layout), the input zero point
folded into the bias, and an int16 im2col scratch of two columns; a grouped layer there is
one packed GEMM (and one call) per group. Cores without SIMD get ek_conv_s8_blocked
(conv_blocked.py) for ungrouped layers.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv_blocked import blocked_conv_lowering
from edgekit.kernels.conv_common import (
    ConvGeometry,
    bias_values,
    conv_geometry,
    dims,
    filter_scales,
    gemm_cols_bytes,
    gemm_parts,
    nhwc,
    packed_variant,
    per_channel_multipliers,
    reference_parts,
    rows_contract,
    weighted_operands,
)
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.mve_conv import lower_mve_conv
from edgekit.kernels.variants import kernel_variant
from edgekit.memory.contract import NO_CONTRACT, MemoryContract


def scratch_bytes_packed(k_padded: int, out_c: int, geo: ConvGeometry | None = None,
                         filter_hw: tuple[int, int] = (1, 1)) -> int:
    """Mirror of ek_conv_s8_packed_get_buffer_size: gemm columns and accumulators + an
    int8 gather row; with input channels not in whole words and no horizontal dilation
    (the narrow path), filter_h zero-point padded input rows of the window's width."""
    base = gemm_cols_bytes(k_padded, out_c) + k_padded
    if geo is None or geo.input[3] % 4 == 0 or geo.win.dilation_w != 1:
        return base
    kh, kw = filter_hw
    pad_w = (geo.output[2] - 1) * geo.win.stride_w + kw
    return base + 4 + kh * ((pad_w * geo.input[3] + 3) // 4 * 4) + 4


def conv_contract(graph: Graph, op: Op) -> MemoryContract:
    """The rows contract, except for grouped layers: on the packed path each group is a pass
    over the whole input, so a later group reads rows the earlier ones wrote over."""
    if len(op.inputs) >= 2 and op.inputs[0] >= 0 and op.inputs[1] >= 0:
        x, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
        if len(x.shape) == 4 and len(weights.shape) == 4 and weights.shape[3] != x.shape[3]:
            return NO_CONTRACT
    return rows_contract(graph, op)


@register("CONV_2D", memory=conv_contract)
def lower_conv(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = weighted_operands(graph, op)
    in_zp, out_zp, act, w = o.in_zp, o.out_zp, o.act, o.w
    cout, kh, kw, k_c = nhwc(o.weights, op)
    geo = conv_geometry(graph, op)
    n, _, _, in_c = geo.input
    on, _, _, out_c = geo.output
    require(k_c > 0 and in_c % k_c == 0 and cout % (in_c // k_c) == 0, op,
            f"{in_c} input channels do not split into groups of {k_c} for {cout} filters")
    require(out_c == cout and on == n, op, "output shape does not match the weights")
    groups = in_c // k_c  # Conv2D(groups=g): filters read in_c / g channels
    if groups == 1 and kernel_variant(ctx.variant).has_mve:
        return lower_mve_conv(graph, op, ctx)
    mult, shift = per_channel_multipliers(o.in_scale, filter_scales(o.weights, cout, 0, op), o.out_scale, cout)
    bias = bias_values(graph, op, 2, cout)
    return conv_lowering(op, ctx, geo, w.reshape(cout, kh, kw, k_c), bias, mult, shift, in_zp, out_zp, act,
                         groups=groups)


def conv_lowering(op: Op, ctx: LoweringContext, geo: ConvGeometry, w: np.ndarray, bias: np.ndarray,
                  mult: np.ndarray, shift: np.ndarray, in_zp: int, out_zp: int,
                  act: tuple[int, int], groups: int = 1) -> OpLowering:
    """The CONV_2D call for OHWI weights `w` [cout, kh, kw, in_c / groups] and per-channel
    requantization (also what a depthwise layer on one input channel lowers to: the same
    arithmetic)."""
    cout, kh, kw, k_c = w.shape
    geometry = geo.c_fields((cout, kh, kw, k_c))
    params = cname(op, "params")
    if packed_variant(ctx.variant):
        # One packed GEMM per group (one call each); ungrouped layers are the one group.
        per = cout // groups
        constants: list[ConstArray | ConstStruct] = []
        calls = []
        for g in range(groups):
            part = slice(g * per, (g + 1) * per)
            tag = f"g{g}_" if groups > 1 else ""
            parts, gemm, k_padded = gemm_parts(op, w[part].reshape(per, -1), bias[part], in_zp, mult[part],
                                               shift[part], False, out_zp, act, tag=tag)
            fields = dict(geometry, filter=dims((per, kh, kw, k_c))) if groups > 1 else geometry
            name = cname(op, tag + "params")
            init = c_struct(**fields, input_zero_point=in_zp, gemm=gemm)
            constants += [*parts, ConstStruct(name, "ek_conv_packed_params_t", init)]
            shifted = (f" + {g * k_c}", f" + {g * per}") if g else ("", "")
            kernel = "ek_conv_s8_packed_grouped" if groups > 1 else "ek_conv_s8_packed"
            calls.append(f"{kernel}(&{{c:{name}}}, {{in0}}{shifted[0]}, {{out0}}{shifted[1]}, {{scratch}});")
        # The narrow path (and its padded rows) is for ungrouped layers only.
        scratch = scratch_bytes_packed(k_padded, cout, geo if groups == 1 else None, (kh, kw))
        return OpLowering(call="\n".join(calls), headers=["ek_conv.h"], constants=constants,
                          scratch_bytes=scratch)
    if groups == 1 and cout >= 2:
        # Cores without SIMD: 4 pixels x 2 channels per block (one spare row for odd cout).
        return blocked_conv_lowering(op, geo, w, bias, mult, shift, in_zp, out_zp, act)
    arrays, fields = reference_parts(op, w, bias, mult, shift, in_zp, out_zp, act)
    constants = [*arrays, ConstStruct(params, "ek_conv_params_t", c_struct(**geometry, **fields))]
    kernel = "ek_conv_s8_grouped" if groups > 1 else "ek_conv_s8"
    return OpLowering(call=f"{kernel}(&{{c:{params}}}, {{in0}}, {{out0}});", headers=["ek_conv.h"],
                      constants=constants)
