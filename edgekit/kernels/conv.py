"""CONV_2D lowering: TFLite ConvPerChannel semantics (double rounding in TF and TFLM alike).

Portable boards call ek_conv_s8 on the original OHWI int8 weights; DSP boards call
ek_conv_s8_packed with host-packed weights (ek_gemm.h layout), the input zero point
folded into the bias, and an int16 im2col scratch of two columns.
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
    filter_scales,
    gemm_cols_bytes,
    gemm_parts,
    nhwc,
    packed_variant,
    per_channel_multipliers,
    rows_contract,
    weighted_operands,
)
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register


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


@register("CONV_2D", memory=rows_contract)
def lower_conv(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = weighted_operands(graph, op)
    in_zp, out_zp, act, w = o.in_zp, o.out_zp, o.act, o.w
    cout, kh, kw, k_c = nhwc(o.weights, op)
    geo = conv_geometry(graph, op)
    n, _, _, in_c = geo.input
    on, _, _, out_c = geo.output
    require(k_c == in_c, op, f"grouped convolution ({in_c} inputs, {k_c} per filter) is not supported")
    require(out_c == cout and on == n, op, "output shape does not match the weights")
    mult, shift = per_channel_multipliers(o.in_scale, filter_scales(o.weights, cout, 0, op), o.out_scale, cout)
    bias = bias_values(graph, op, 2, cout)
    return conv_lowering(op, ctx, geo, w.reshape(cout, kh, kw, k_c), bias, mult, shift, in_zp, out_zp, act)


def conv_lowering(op: Op, ctx: LoweringContext, geo: ConvGeometry, w: np.ndarray, bias: np.ndarray,
                  mult: np.ndarray, shift: np.ndarray, in_zp: int, out_zp: int,
                  act: tuple[int, int]) -> OpLowering:
    """The CONV_2D call for OHWI weights `w` [cout, kh, kw, in_c] and per-channel requantization
    (also what a depthwise layer on one input channel lowers to: the same arithmetic)."""
    cout, kh, kw, in_c = w.shape
    geometry = geo.c_fields((cout, kh, kw, in_c))
    params = cname(op, "params")
    if packed_variant(ctx.variant):
        constants, gemm, k_padded = gemm_parts(op, w.reshape(cout, -1), bias, in_zp, mult, shift, False,
                                               out_zp, act)
        init = c_struct(**geometry, input_zero_point=in_zp, gemm=gemm)
        constants.append(ConstStruct(params, "ek_conv_packed_params_t", init))
        return OpLowering(call=f"ek_conv_s8_packed(&{{c:{params}}}, {{in0}}, {{out0}}, {{scratch}});",
                          headers=["ek_conv.h"], constants=constants,
                          scratch_bytes=scratch_bytes_packed(k_padded, cout, geo, (kh, kw)))
    if cout >= 2:
        # Cores without SIMD: 4 pixels x 2 channels per block (one spare row for odd cout).
        return blocked_conv_lowering(op, geo, w, bias, mult, shift, in_zp, out_zp, act)
    names = {k: cname(op, k) for k in ("w", "bias", "mult", "shift")}
    constants = [ConstArray(names["w"], "int8_t", w.reshape(-1).astype(np.int8)),
                 ConstArray(names["bias"], "int32_t", bias),
                 ConstArray(names["mult"], "int32_t", mult),
                 ConstArray(names["shift"], "int32_t", shift)]
    init = c_struct(**geometry, input_offset=-in_zp, output_offset=out_zp,
                    act=c_struct(min=act[0], max=act[1]), weights=f"{{c:{names['w']}}}",
                    bias=f"{{c:{names['bias']}}}", multiplier=f"{{c:{names['mult']}}}",
                    shift=f"{{c:{names['shift']}}}")
    constants.append(ConstStruct(params, "ek_conv_params_t", init))
    return OpLowering(call=f"ek_conv_s8(&{{c:{params}}}, {{in0}}, {{out0}});", headers=["ek_conv.h"],
                      constants=constants)
