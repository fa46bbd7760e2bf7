"""CONV_2D for MVE (firmware/kernels/ek_mve_conv.c): im2col column per output pixel, then the
FULLY_CONNECTED row kernel over the output channels (edgekit/kernels/mve.py packs them).

A 1x1 filter without padding reads its column in place (no scratch). Otherwise padded taps
hold the input zero point, so the bias that folds the zero point in cancels them exactly.
Grouped convolutions are not handled here yet (the caller keeps its DSP path for them).
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv_common import (
    bias_values,
    conv_geometry,
    dims,
    filter_scales,
    nhwc,
    per_channel_multipliers,
    weighted_operands,
)
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering
from edgekit.kernels.mve import dot_rows_parts


def lower_mve_conv(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = weighted_operands(graph, op)
    cout, kh, kw, k_c = nhwc(o.weights, op)
    geo = conv_geometry(graph, op)
    n, _, _, in_c = geo.input
    require(k_c == in_c and geo.output[3] == cout and geo.output[0] == n, op,
            "the MVE convolution takes ungrouped layers only")
    mult, shift = per_channel_multipliers(o.in_scale, filter_scales(o.weights, cout, 0, op), o.out_scale, cout)
    k = kh * kw * in_c
    constants, rows = dot_rows_parts(op, np.asarray(o.w).reshape(cout, k), bias_values(graph, op, 2, cout),
                                     o.in_zp, mult, shift, False, o.out_zp, o.act)
    win = geo.win
    direct = (kh, kw) == (1, 1) and win.pad_top == 0 and win.pad_left == 0
    params = cname(op, "mconv")
    init = c_struct(input=dims(geo.input), output=dims(geo.output), filter_h=kh, filter_w=kw,
                    win=win.c_init(), input_zero_point=o.in_zp, direct=int(direct), rows=rows)
    constants.append(ConstStruct(params, "ek_mve_conv_params_t", init))
    return OpLowering(call=f"ek_mve_conv_s8(&{{c:{params}}}, {{in0}}, {{out0}}, {{scratch}});",
                      headers=["ek_mve_conv.h"], constants=constants, scratch_bytes=0 if direct else k)
