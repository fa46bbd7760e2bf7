"""int16x8 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: int16 activations, int8 weights,
int64 bias (TF's EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8 mode).

TFLite's reference kernels (and TFLite Micro's, the same code) accumulate in int64, add the
int64 bias and requantize with the int64 MultiplyByQuantizedMultiplier: the multiplier
rounded to 15 bits and one rounding shift (ek_requant_s64 in firmware/kernels/ek_requant.h).
The C loops are the int8 kernels' own, instantiated for int16 (ek_weighted_ref.h).
Multipliers are the int8 ones: double(input) * double(filter[c]) / double(output).

FULLY_CONNECTED under TF's reference (measured, TF 2.21) differs from that: it rounds
once with the full 31-bit multiplier, never flushes a tiny multiplier to zero, and gives
INT32_MIN for a result outside int32 (ek_requant_s64_single); TFLite Micro requantizes it
like the convolutions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, int16_act_range, require, require_int16
from edgekit.kernels.conv_common import (
    ConvGeometry,
    conv_geometry,
    filter_scales,
    gemm_k_padded,
    nhwc,
    pack_gemm_weights,
    packed_variant,
    per_channel_multipliers,
    rows_contract,
)
from edgekit.kernels.fully_connected import fc_shape
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import Real, tflite_round

# ek_depthwise_s16_dsp's exact int32 sums: at most this many taps (EK_DW_S16_MAX_TAPS).
DW_S16_MAX_TAPS = 504


def unflushed_multipliers(in_scale: Real, filter_scales: np.ndarray, out_scale: Real,
                          channels: int) -> tuple[np.ndarray, np.ndarray]:
    """QuantizeMultiplier without its flush of shifts below -31 (TF's int16 FC keeps them)."""
    scales = np.asarray(filter_scales, dtype=np.float32)
    scales = np.repeat(scales, channels) if scales.size == 1 else scales
    mult, shift = np.zeros(channels, dtype=np.int64), np.zeros(channels, dtype=np.int64)
    for c in range(channels):
        real = float(np.float32(in_scale)) * float(scales[c]) / float(np.float32(out_scale))
        if real == 0.0:
            continue
        mantissa, exponent = math.frexp(real)
        q = tflite_round(mantissa * (1 << 31))
        if q == 1 << 31:
            q, exponent = q // 2, exponent + 1
        mult[c], shift[c] = q, exponent
    return mult, shift


@dataclass
class Weighted16:
    w: np.ndarray  # int8 weights as int64
    mult: np.ndarray
    shift: np.ndarray
    bias: np.ndarray  # int64, zeros when absent
    has_bias: bool
    act: tuple[int, int]


def weighted16(graph: Graph, op: Op, channels_axis: int, channels: int, unflushed: bool = False) -> Weighted16:
    inp, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    out = graph.tensors[op.outputs[0]]
    in_scale, _ = require_int16(op, inp)
    out_scale, _ = require_int16(op, out)
    require(weights.dtype == "int8" and weights.data is not None, op, "weights must be constant int8")
    multipliers = unflushed_multipliers if unflushed else per_channel_multipliers
    mult, shift = multipliers(in_scale, filter_scales(weights, channels, channels_axis, op), out_scale, channels)
    has_bias = len(op.inputs) > 2 and op.inputs[2] >= 0
    bias = np.zeros(channels, dtype=np.int64)
    if has_bias:
        b = graph.tensors[op.inputs[2]]
        require(b.is_constant and b.dtype == "int64" and b.num_elements == channels, op,
                f"bias {b.name} must be a constant int64 tensor of {channels} values (int16x8)")
        bias = np.asarray(b.data, dtype=np.int64).reshape(-1)
    return Weighted16(np.asarray(weights.data, dtype=np.int64), mult, shift, bias, has_bias,
                      int16_act_range(op, out_scale))


def weighted16_arrays(op: Op, o: Weighted16, weights: np.ndarray) -> tuple[list[ConstArray | ConstStruct], dict[str, object]]:
    """Weights, bias, multipliers and shifts in flash, and the struct members naming them."""
    names = {k: cname(op, k) for k in ("w", "bias", "mult", "shift")}
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["w"], "int8_t", weights.reshape(-1).astype(np.int8)),
        ConstArray(names["mult"], "int32_t", o.mult), ConstArray(names["shift"], "int32_t", o.shift)]
    if o.has_bias:
        constants.append(ConstArray(names["bias"], "int64_t", o.bias, 8))
    refs: dict[str, object] = dict(input_offset=0, output_offset=0, act=c_struct(min=o.act[0], max=o.act[1]),
                weights=f"{{c:{names['w']}}}", bias=f"{{c:{names['bias']}}}" if o.has_bias else "NULL",
                multiplier=f"{{c:{names['mult']}}}", shift=f"{{c:{names['shift']}}}")
    return constants, refs


def _lowering(op: Op, kernel: str, ctype: str, header: str, constants: list[ConstArray | ConstStruct],
              init: str, scratch_bytes: int = 0) -> OpLowering:
    """The kernel call (with the scratch pointer when the kernel takes `scratch_bytes`)."""
    params = cname(op, "params")
    constants.append(ConstStruct(params, ctype, init))
    scratch = ", {scratch}" if scratch_bytes else ""
    return OpLowering(call=f"{kernel}(&{{c:{params}}}, {{in0:int16_t}}, {{out0:int16_t}}{scratch});",
                      headers=[header], constants=constants, scratch_bytes=scratch_bytes)


@register("CONV_2D", memory=rows_contract, activations="int16")
def lower_conv_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    cout, kh, kw, k_c = nhwc(graph.tensors[op.inputs[1]], op)
    geo = conv_geometry(graph, op)
    require(k_c == geo.input[3], op, f"grouped convolution ({geo.input[3]} inputs, {k_c} per filter) "
            "is not supported")
    require(geo.output[3] == cout and geo.output[0] == geo.input[0], op, "output shape does not match the weights")
    o = weighted16(graph, op, 0, cout)
    if packed_variant(ctx.variant):
        return _conv_s16_dsp(op, geo, o, (cout, kh, kw, k_c))
    constants, refs = weighted16_arrays(op, o, o.w)
    init = c_struct(**geo.c_fields((cout, kh, kw, k_c)), **refs)
    return _lowering(op, "ek_conv_s16", "ek_conv_s16_params_t", "ek_conv.h", constants, init)


def folded_requant(o: Weighted16) -> np.ndarray:
    """Per channel {r', s, c' low word, c' high word} of ek_requant_s64_folded (see
    firmware/kernels/ek_requant.h): TFLite's reduced 15-bit multiplier r and total shift
    ts = 15 - shift, c = bias * r + 2^(ts-1) modulo 2^64 (TFLite's int64 arithmetic wraps
    there too, so folding the bias is exact); for 16 <= ts <= 32 r and c scaled by
    2^(32-ts) so that the result is the high word of the 64-bit sum."""
    words = []
    for m, sh, b in zip(o.mult.tolist(), o.shift.tolist(), o.bias.tolist()):
        r = (m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF
        ts = 15 - sh
        c = (b * r + (1 << (ts - 1))) % (1 << 64)
        if ts < 16:
            s = -ts
        elif ts <= 32:
            r, c, s = r << (32 - ts), (c << (32 - ts)) % (1 << 64), 0
        else:
            s = ts - 32
        words += [r, s % (1 << 32), c & 0xFFFFFFFF, c >> 32]
    return np.array(words, dtype=np.uint64).astype(np.uint32).view(np.int32).astype(np.int64)


def _dsp_constants(op: Op, o: Weighted16, packed: np.ndarray) -> tuple[list[ConstArray | ConstStruct], dict[str, str]]:
    """The int16-widened weights and the folded requantization constants of a DSP kernel."""
    names = {k: cname(op, k) for k in ("w", "rq")}
    constants: list[ConstArray | ConstStruct] = [ConstArray(names["w"], "int16_t", packed, 8),
                                                 ConstArray(names["rq"], "int32_t", folded_requant(o), 8)]
    return constants, {"weights": f"{{c:{names['w']}}}", "rq": f"{{c:{names['rq']}}}",
                       "act": c_struct(min=o.act[0], max=o.act[1])}


def _conv_s16_dsp(op: Op, geo: ConvGeometry, o: Weighted16, filter_shape: tuple[int, int, int, int]) -> OpLowering:
    """ek_conv_s16_dsp: the [cout, K] weights (K in OHWI order) widened to int16 once, here,
    in ek_gemm.h's channel-pair layout with natural lanes; two int16 im2col columns of scratch."""
    w2d = o.w.reshape(filter_shape[0], -1)
    constants, refs = _dsp_constants(op, o, pack_gemm_weights(w2d, True, sxtb16_lanes=False))
    k_padded = gemm_k_padded(w2d.shape[1])
    gemm = c_struct(out_c=filter_shape[0], k_padded=k_padded, **refs)
    init = c_struct(**geo.c_fields(filter_shape), gemm=gemm)
    return _lowering(op, "ek_conv_s16_dsp", "ek_conv_s16_packed_params_t", "ek_conv.h", constants, init,
                     scratch_bytes=4 * k_padded)  # EK_GEMM_S16_COLS_BYTES


@register("DEPTHWISE_CONV_2D", memory=rows_contract, activations="int16")
def lower_depthwise_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    one, kh, kw, cout = nhwc(graph.tensors[op.inputs[1]], op)
    geo = conv_geometry(graph, op)
    in_c = geo.input[3]
    require(one == 1 and geo.output[3] == cout, op, "weights must be [1, kh, kw, output channels]")
    dm = cout // in_c if in_c else 0
    require(dm >= 1 and dm * in_c == cout, op, f"{cout} outputs is not a multiple of {in_c} inputs")
    o = weighted16(graph, op, 3, cout)
    if packed_variant(ctx.variant) and dm == 1 and kh * kw <= DW_S16_MAX_TAPS:
        taps = kh * kw + kh * kw % 2
        dsp, fields = _dsp_constants(op, o, pack_depthwise_s16(o.w.reshape(kh * kw, cout)))
        init = c_struct(**geo.c_fields((1, kh, kw, cout)), act=fields["act"], taps_padded=taps,
                        weights=fields["weights"], rq=fields["rq"])
        return _lowering(op, "ek_depthwise_s16_dsp", "ek_dw_s16_packed_params_t", "ek_depthwise.h", dsp,
                         init, scratch_bytes=8 * taps + 2 * cout)  # EK_DW_S16_SCRATCH_BYTES
    constants, refs = weighted16_arrays(op, o, o.w)
    init = c_struct(**geo.c_fields((1, kh, kw, cout)), depth_multiplier=dm, **refs)
    return _lowering(op, "ek_depthwise_s16", "ek_dw_s16_params_t", "ek_depthwise.h", constants, init)


def pack_depthwise_s16(w: np.ndarray) -> np.ndarray:
    """[taps, C] int8 → int16 SMLAD operands of ek_depthwise_s16_dsp, zero padded: per pair
    of channels and pair of taps (w[t0,c], w[t1,c], w[t0,c+1], w[t1,c+1]); the pairs of each
    group of 4 channels interleaved per pair of taps ([taps/2][8]), the pair left over after
    the groups (and an odd channel, padded to a pair) as [taps/2][4]."""
    taps, c = w.shape
    padded = np.zeros((taps + taps % 2, c + c % 2), dtype=np.int64)
    padded[:taps, :c] = w
    tp, cp = padded.shape
    pairs = padded.reshape(tp // 2, 2, cp // 2, 2).transpose(2, 0, 3, 1).reshape(cp // 2, tp // 2, 4)
    quads = c // 4
    grouped = pairs[:2 * quads].reshape(quads, 2, tp // 2, 4).transpose(0, 2, 1, 3)
    return np.concatenate([grouped.reshape(-1), pairs[2 * quads:].reshape(-1)]).astype(np.int16)


@register("FULLY_CONNECTED", activations="int16")
def lower_fully_connected_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    batches, k, n_out = fc_shape(graph, op)
    single = ctx.rounding != "tflm"
    o = weighted16(graph, op, 0, n_out, unflushed=single)
    per_channel = bool(np.any(o.mult != o.mult[0]) or np.any(o.shift != o.shift[0]))
    if not per_channel:
        o.mult, o.shift = o.mult[:1], o.shift[:1]
    constants, refs = weighted16_arrays(op, o, o.w)
    init = c_struct(batches=batches, in_features=k, out_features=n_out, rounding="EK_ROUND_SINGLE" if single else "EK_ROUND_DOUBLE",
                    per_channel=int(per_channel), **refs)
    if packed_variant(ctx.variant):  # weights widened to int16 once, here: SMLALD pairs
        constants[0] = ConstArray(cname(op, "w"), "int16_t", o.w.reshape(-1).astype(np.int16), 8)
        return _lowering(op, "ek_fully_connected_s16_dsp", "ek_fc_s16w_params_t", "ek_fully_connected.h",
                         constants, init)
    return _lowering(op, "ek_fully_connected_s16", "ek_fc_s16_params_t", "ek_fully_connected.h", constants, init)
