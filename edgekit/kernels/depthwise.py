"""DEPTHWISE_CONV_2D lowering: TFLite DepthwiseConvPerChannel (double rounding everywhere).

A layer on one input channel with a multiplier is a CONV_2D (edgekit/kernels/conv.py).
Portable boards, and DSP layers with channels not a multiple of 4, call
ek_depthwise_s8_blocked (depthwise_blocked.py) when the multiplier is 1; other
multipliers call ek_depthwise_s8 on the original weights. DSP boards otherwise call
ek_depthwise_s8_packed: int16 weights in SXTB16 lane order, zero point folded in the bias.
3x3 layers with C % 4 == 0, horizontal stride 1 or 2, bounded requantization and the full
int8 output range call ek_depthwise_s8_3x3 with one constant block per 4 channels (blk:
doubled weights and biases, multipliers, exponents and rounding constants with the output
offset folded in); other 3x3 layers with wide rows take its channel-major variant.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv import conv_lowering
from edgekit.kernels.conv_common import (
    Window,
    bias_values,
    bounded_bias,
    bounded_rq,
    conv_geometry,
    filter_scales,
    nhwc,
    packed_variant,
    per_channel_multipliers,
    rows_contract,
    weighted_operands,
    wrap_int32,
)
from edgekit.kernels.depthwise_blocked import blocked_depthwise_lowering
from edgekit.kernels.mve_depthwise import mve_depthwise_lowering
from edgekit.kernels.variants import kernel_variant

MAX_KH = 16  # EK_DW_MAX_KH
# ek_depthwise_s8_3x3 without blk (tap pairs, channel-major ring; layers the group-major path
# does not take, e.g. C % 4 != 0) pays per channel and output row and
# transposes every input row: measured faster than ek_depthwise_s8_packed only on wide
# rows at stride 1 (VWW 48x48x8: 0.23 vs 0.20 MAC/instr; KWS 25x5: 0.17 vs 0.21).
SMLAD_3X3_MIN_WIDTH = 16


def scratch_bytes_packed(win: Window, kh: int, kw: int, out_w: int, channels: int) -> int:
    """Mirror of ek_depthwise_s8_packed_get_buffer_size: ring of zero-point padded rows."""
    rows = (kh - 1) * win.dilation_h + 1
    width = (out_w - 1) * win.stride_w + (kw - 1) * win.dilation_w + 1
    return 4 * rows + (rows + 1) * width * channels
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register


def scratch_bytes_3x3(win: Window, out_w: int, channels: int) -> int:
    """Mirror of ek_depthwise_s8_3x3_get_buffer_size: int16 channel-major ring + zero-point
    row + one row of accumulators."""
    rows = 2 * win.dilation_h + 1
    width = (out_w - 1) * win.stride_w + 4
    return 4 * rows + (rows + 1) * width * channels * 2 + 4 * out_w


def pack_3x3_weights(w: np.ndarray) -> np.ndarray:
    """[9, C] → int16 [C][3 rows][k0, k1, k2, 0]: SMLAD pairs (k0,k1) and (k2,0) per row."""
    c = w.shape[1]
    packed = np.zeros((c, 3, 4), dtype=np.int64)
    packed[:, :, :3] = w.reshape(3, 3, c).transpose(2, 0, 1)
    return packed.reshape(-1).astype(np.int16)


def scratch_bytes_3x3_groups(win: Window, out_w: int, channels: int) -> int:
    """Mirror of ek_depthwise_s8_3x3_get_buffer_size with blk: group-major int8 ring of
    2*dilation_h+1 rows plus a zero-point row."""
    rows = 2 * win.dilation_h + 1
    return 4 * rows + (rows + 1) * ((out_w - 1) * win.stride_w + 3) * channels


BLK_MAX_E = 22  # output offset folded into 2^(e-1): |t| + |r| stays below 2^31 up to here


def group_block_3x3(w: np.ndarray, folded: np.ndarray, mult: np.ndarray, shift: np.ndarray,
                    out_zp: int, act: tuple[int, int]) -> np.ndarray | None:
    """ek_dw_packed_params_t.blk (EK_DW3G_WORDS int32 per 4 channels) for a 3x3 layer with
    bounded requantization, or None when the group-major kernel cannot take it (C % 4,
    a clamped output range, or an exponent too large to fold the output offset)."""
    c = w.shape[1]
    rq = bounded_rq(shift, mult).reshape(c, 2)
    if c % 4 or act != (-128, 127) or np.any(rq[:, 0] > BLK_MAX_E):
        return None
    # The kernel takes the rounding's sign from the accumulator: exact for multipliers that
    # are 0 or normalized (>= 2^30), which is all quantize_multiplier gives.
    if np.any((np.asarray(mult) != 0) & (np.asarray(mult) < (1 << 30))):
        return None
    # Weights and biases doubled: the accumulator is then the 2*acc that SMMULR needs
    # (|acc| < 2^30 when bounded, so 2*acc fits; |2w| <= 256 fits int16).
    taps = (2 * pack_depthwise_weights(w)).astype(np.uint16).astype(np.uint32).reshape(c // 4, 9, 2, 2)
    words = (taps[..., 0] | (taps[..., 1] << 16)).view(np.int32).astype(np.int64).reshape(c // 4, 18)
    rq[:, 1] += out_zp * (1 << rq[:, 0])
    return np.concatenate([words, 2 * np.asarray(folded, dtype=np.int64).reshape(-1, 4),
                           np.asarray(mult, dtype=np.int64).reshape(-1, 4), rq.reshape(-1, 8)],
                          axis=1).reshape(-1).astype(np.int32)  # every value fits (checked above)


def pack_depthwise_weights(w: np.ndarray) -> np.ndarray:
    """[kh*kw, C] → int16 [C/4][kh*kw][4], each group of 4 channels in lane order c0, c2, c1, c3
    (the kernel reads one group's taps sequentially)."""
    taps, c = w.shape
    groups = w.reshape(taps, c // 4, 4)[..., [0, 2, 1, 3]].transpose(1, 0, 2)
    return groups.reshape(-1).astype(np.int16)


def group_params(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """ek_dw_packed_params_t.qp: per 4 channels {b0..b3, m0..m3, e0, 2^(e0-1), .., e3, 2^(e3-1)}."""
    return np.concatenate([np.asarray(bias).reshape(-1, 4), np.asarray(mult).reshape(-1, 4),
                           bounded_rq(shift, mult).reshape(-1, 8)], axis=1).reshape(-1)


@register("DEPTHWISE_CONV_2D", memory=rows_contract)
def lower_depthwise(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = weighted_operands(graph, op)
    in_zp, out_zp, act = o.in_zp, o.out_zp, o.act
    one, kh, kw, cout = nhwc(o.weights, op)
    geo = conv_geometry(graph, op)
    in_c = geo.input[3]
    _, _, out_w, out_c = geo.output
    win = geo.win
    require(one == 1 and out_c == cout, op, "weights must be [1, kh, kw, output channels]")
    dm = cout // in_c if in_c else 0
    require(dm >= 1 and dm * in_c == cout, op, f"{cout} outputs is not a multiple of {in_c} inputs")
    mult, shift = per_channel_multipliers(o.in_scale, filter_scales(o.weights, cout, 3, op), o.out_scale, cout)
    bias = bias_values(graph, op, 2, cout)
    w = o.w.reshape(kh * kw, cout)
    geometry = geo.c_fields((1, kh, kw, cout))
    names = {key: cname(op, key) for key in ("w", "bias", "mult", "shift", "params")}
    common = [ConstArray(names["mult"], "int32_t", mult), ConstArray(names["shift"], "int32_t", shift)]
    refs = {"weights": f"{{c:{names['w']}}}", "bias": f"{{c:{names['bias']}}}",
                "multiplier": f"{{c:{names['mult']}}}", "shift": f"{{c:{names['shift']}}}"}
    act_init = c_struct(min=act[0], max=act[1])
    if in_c == 1 and dm > 1:
        # One input channel: output channel c is a convolution of that channel with filter c,
        # the same sums and the same requantization as CONV_2D with OHWI weights [cout, kh, kw, 1]
        # (packed on DSP boards, register-blocked elsewhere: both beat the depthwise loops).
        return conv_lowering(op, ctx, geo, w.T.reshape(cout, kh, kw, 1), bias, mult, shift, in_zp, out_zp, act)
    # MVE boards: the DSP 3x3 kernel (below) only where it measured faster on qemu-cortex-m55
    # (stride 1, rows of 12+ pixels, under 128 channels: VWW's 48x48x8, 24x24x32, 12x12x64).
    dsp_3x3 = (kh, kw) == (3, 3) and win.stride_w == 1 and out_w >= 12 and cout < 128
    if dm == 1 and kernel_variant(ctx.variant).has_mve and not dsp_3x3:
        return mve_depthwise_lowering(op, geo, w, bias, mult, shift, in_zp, out_zp, act)
    if (packed_variant(ctx.variant) and dm == 1 and (kh, kw) == (3, 3) and win.dilation_w == 1
            and win.stride_w in (1, 2)):
        new_bias = bounded_bias(w.T, bias, mult, shift, out_zp, act, single_rounding=False)
        blk = None if new_bias is None else group_block_3x3(w, wrap_int32(new_bias - in_zp * w.sum(axis=0)),
                                                            mult, shift, out_zp, act)
        if blk is not None:
            constants: list[ConstArray | ConstStruct] = [ConstArray(cname(op, "blk"), "int32_t", blk, 8)]
            refs = {"weights": "NULL", "bias": "NULL", "multiplier": "NULL", "shift": "NULL",
                    "blk": f"{{c:{cname(op, 'blk')}}}"}
            init = c_struct(**geometry, input_zero_point=in_zp, output_offset=out_zp, act=act_init,
                            qp="NULL", **refs)
            constants.append(ConstStruct(names["params"], "ek_dw_packed_params_t", init))
            return OpLowering(
                call=f"ek_depthwise_s8_3x3(&{{c:{names['params']}}}, {{in0}}, {{out0}}, {{scratch}});",
                headers=["ek_depthwise.h"], constants=constants,
                scratch_bytes=scratch_bytes_3x3_groups(win, out_w, cout))
        if new_bias is not None and (win.stride_w == 1 or SMLAD_3X3_MIN_WIDTH == 0) \
                and out_w >= SMLAD_3X3_MIN_WIDTH:
            folded = wrap_int32(new_bias - in_zp * w.sum(axis=0))
            rq = bounded_rq(shift, mult).reshape(-1, 2)
            qp = np.concatenate([folded.reshape(-1, 1), mult.reshape(-1, 1), rq], axis=1).reshape(-1)
            constants = [ConstArray(names["w"], "int16_t", pack_3x3_weights(w), 8),
                         ConstArray(cname(op, "qp"), "int32_t", qp)]
            refs.update(bias="NULL", multiplier="NULL", shift="NULL")
            init = c_struct(**geometry, input_zero_point=in_zp, output_offset=out_zp, act=act_init,
                            qp=f"{{c:{cname(op, 'qp')}}}", **refs)
            constants.append(ConstStruct(names["params"], "ek_dw_packed_params_t", init))
            return OpLowering(
                call=f"ek_depthwise_s8_3x3(&{{c:{names['params']}}}, {{in0}}, {{out0}}, {{scratch}});",
                headers=["ek_depthwise.h"], constants=constants,
                scratch_bytes=scratch_bytes_3x3(win, out_w, cout))
    if dm == 1 and kernel_variant(ctx.variant).has_mve:
        return mve_depthwise_lowering(op, geo, w, bias, mult, shift, in_zp, out_zp, act)
    if packed_variant(ctx.variant) and dm == 1 and cout % 4 == 0 and kh <= MAX_KH:
        new_bias = bounded_bias(w.T, bias, mult, shift, out_zp, act, single_rounding=False)
        bounded = new_bias is not None
        folded = wrap_int32((new_bias if bounded else bias) - in_zp * w.sum(axis=0))
        constants = [ConstArray(names["w"], "int16_t", pack_depthwise_weights(w), 8)]
        if bounded:
            # The kernel then reads bias, multiplier and shift from qp only.
            constants.append(ConstArray(cname(op, "qp"), "int32_t", group_params(folded, mult, shift)))
            refs.update(bias="NULL", multiplier="NULL", shift="NULL")
        else:
            constants += [ConstArray(names["bias"], "int32_t", folded), *common]
        init = c_struct(**geometry, input_zero_point=in_zp, output_offset=out_zp, act=act_init,
                        qp=f"{{c:{cname(op, 'qp')}}}" if bounded else "NULL", **refs)
        constants.append(ConstStruct(names["params"], "ek_dw_packed_params_t", init))
        return OpLowering(
            call=f"ek_depthwise_s8_packed(&{{c:{names['params']}}}, {{in0}}, {{out0}}, {{scratch}});",
            headers=["ek_depthwise.h"], constants=constants,
            scratch_bytes=scratch_bytes_packed(win, kh, kw, out_w, cout))
    if dm == 1:
        # Cores without SIMD (and DSP layers none of the paths above takes): 4-channel groups.
        return blocked_depthwise_lowering(op, geo, w, bias, mult, shift, in_zp, out_zp, act)
    constants = [ConstArray(names["w"], "int8_t", w.reshape(-1).astype(np.int8)),
                 ConstArray(names["bias"], "int32_t", bias), *common]
    init = c_struct(**geometry, depth_multiplier=dm, input_offset=-in_zp, output_offset=out_zp,
                    act=act_init, **refs)
    constants.append(ConstStruct(names["params"], "ek_dw_params_t", init))
    return OpLowering(call=f"ek_depthwise_s8(&{{c:{names['params']}}}, {{in0}}, {{out0}});",
                      headers=["ek_depthwise.h"], constants=constants)
