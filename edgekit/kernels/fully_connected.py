"""FULLY_CONNECTED lowering (int8, per-tensor or per-channel weights, any batch).

Rounding: TF's reference int8 FC requantizes with single rounding; TFLite Micro (and
`--rounding tflm`) with double rounding. Multipliers: double(input_scale) *
double(filter_scale) / double(output_scale), per tensor and per channel alike — measured
against TF 2.21 and tflite-micro on scales where the float32 product would round
differently (tests/kernels/test_fully_connected.py::test_multiplier_uses_double_product).

DSP variants, batch 1: no scratch. The int8 weights are stored with even-k bytes XOR 0x80 so
that the raw weight word and one SXTB16 of it, against SXTB16(x) and REV16(x) ^ 0xFF80FF80,
give the dot product plus terms the bias (weights) and the kernel (inputs, once) remove; see
ek_fc_vec_t in firmware/kernels/ek_fully_connected.h. Batches > 1 use the packed GEMM.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv_common import (
    bias_values,
    bounded_bias,
    bounded_rq,
    filter_scales,
    folded_bias,
    gemm_cols_bytes,
    gemm_parts,
    packed_variant,
    per_channel_multipliers,
    weighted_operands,
    wrap_int32,
)
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.mve import mve_fc_lowering
from edgekit.kernels.quant import Real
from edgekit.kernels.variants import kernel_variant


def fc_multipliers(in_scale: Real, scales: np.ndarray, out_scale: Real,
                   channels: int) -> tuple[np.ndarray, np.ndarray]:
    return per_channel_multipliers(in_scale, scales, out_scale, channels)


def single_rounding(ctx: LoweringContext) -> bool:
    """TF's reference FC rounds once; TFLite Micro rounds twice."""
    return ctx.rounding != "tflm"


def scratch_bytes_packed(k_padded: int, out_c: int, batches: int) -> int:
    """Mirror of ek_fully_connected_s8_packed_get_buffer_size (batch 1 needs none)."""
    return 0 if batches == 1 else gemm_cols_bytes(k_padded, out_c)


def _pad_quads(values: np.ndarray) -> np.ndarray:
    """Per-channel values padded to a multiple of 4 by repeating the last one."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    return np.concatenate([v, np.repeat(v[-1:], -v.size % 4)])


def pack_vec_weights(w: np.ndarray) -> np.ndarray:
    """[cout, K] int8 -> ek_fc_vec_t.weights: channels in quads (a last group of 1-2 channels
    as a pair), K in chunks of 4 (both zero padded), per group and chunk the channels' words;
    even-k bytes XOR 0x80."""
    cout, k = w.shape
    k4 = -(-k // 4) * 4
    groups = [(c, min(4, cout - c)) for c in range(0, cout, 4)]
    parts = []
    for c, n in groups:
        width = 2 if n <= 2 else 4
        block = np.zeros((width, k4), dtype=np.int64)
        block[:n, :k] = w[c:c + n]
        block[:, 0::2] += 128  # w ^ 0x80 as an unsigned byte is w + 128
        parts.append(block.reshape(width, k4 // 4, 4).transpose(1, 0, 2).reshape(-1))
    return np.concatenate(parts).astype(np.uint8).view(np.int8)


def vec_bias(bias: np.ndarray, w: np.ndarray, input_zero_point: int) -> np.ndarray:
    """Folded bias plus 128 * the odd-k weight sum the encoding subtracts (int32 wrap)."""
    odd = np.asarray(w, dtype=np.int64)[:, 1::2].sum(axis=1)
    return wrap_int32(folded_bias(bias, w, input_zero_point) + 128 * odd)


def vec_parts(op: Op, w: np.ndarray, bias: np.ndarray, in_zp: int, mult: np.ndarray,
              shift: np.ndarray, single: bool, out_zp: int, act: tuple[int, int]) -> tuple[list, str]:
    """Constants and the ek_fc_vec_t initializer of batch-1 FULLY_CONNECTED (no scratch)."""
    names = {key: cname(op, key) for key in ("vw", "vbias", "vmult", "vshift", "vqp")}
    cout = w.shape[0]
    constants: list = [ConstArray(names["vw"], "int8_t", pack_vec_weights(w), 8)]
    new_bias = bounded_bias(w, bias, mult, shift, out_zp, act, single)
    if new_bias is not None:
        rq = bounded_rq(_pad_quads(shift), _pad_quads(mult)).reshape(-1, 2)
        qp = np.concatenate([_pad_quads(vec_bias(new_bias, w, in_zp)).reshape(-1, 4),
                             _pad_quads(mult).reshape(-1, 4), rq[:, 0].reshape(-1, 4),
                             rq[:, 1].reshape(-1, 4)], axis=1)
        constants.append(ConstArray(names["vqp"], "int32_t", qp.reshape(-1)))
        refs = {"qp": f"{{c:{names['vqp']}}}", "bias": "NULL", "multiplier": "NULL",
                "shift": "NULL", "per_channel": 1}
    else:
        per_channel = bool(np.any(mult != mult[0]) or np.any(shift != shift[0]))
        constants += [ConstArray(names["vbias"], "int32_t", _pad_quads(vec_bias(bias, w, in_zp))),
                      ConstArray(names["vmult"], "int32_t", _pad_quads(mult) if per_channel else mult[:1]),
                      ConstArray(names["vshift"], "int32_t", _pad_quads(shift) if per_channel else shift[:1])]
        refs = {"qp": "NULL", "bias": f"{{c:{names['vbias']}}}", "multiplier": f"{{c:{names['vmult']}}}",
                "shift": f"{{c:{names['vshift']}}}", "per_channel": int(per_channel)}
    init = c_struct(weights=f"{{c:{names['vw']}}}", **refs, out_c=cout,
                    rounding="EK_ROUND_SINGLE" if single else "EK_ROUND_DOUBLE",
                    output_offset=out_zp, act=c_struct(min=act[0], max=act[1]))
    return constants, init


def fc_shape(graph: Graph, op: Op) -> tuple[int, int, int]:
    """(batches, K, outputs) of a FULLY_CONNECTED, checked (int8 and int16x8 alike)."""
    inp, out, weights = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]], graph.tensors[op.inputs[1]]
    require(len(weights.shape) == 2, op, "weights must be a constant 2-D tensor")
    require(op.options.get("weights_format", 0) in (0, "DEFAULT"), op, "shuffled weights are not supported")
    n_out, k = (int(v) for v in weights.shape)
    require(k > 0 and inp.num_elements % k == 0, op, f"input of {inp.num_elements} values is not rows of {k}")
    batches = inp.num_elements // k
    require(out.num_elements == batches * n_out, op, "output size does not match batch x outputs")
    return batches, k, n_out


@register("FULLY_CONNECTED")
def lower_fully_connected(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = weighted_operands(graph, op)
    in_zp, out_zp, act, weights, w = o.in_zp, o.out_zp, o.act, o.weights, o.w
    batches, k, n_out = fc_shape(graph, op)
    mult, shift = fc_multipliers(o.in_scale, filter_scales(weights, n_out, 0, op), o.out_scale, n_out)
    bias = bias_values(graph, op, 2, n_out)
    single = single_rounding(ctx)
    if kernel_variant(ctx.variant).has_mve:
        return mve_fc_lowering(op, np.asarray(w).reshape(n_out, k), bias, in_zp, mult, shift, single, out_zp,
                               act, batches)
    params = cname(op, "params")
    if packed_variant(ctx.variant):
        if batches == 1:
            # Reads every weight once: int8 weights (flash), the input in place (no scratch).
            constants, vec = vec_parts(op, w, bias, in_zp, mult, shift, single, out_zp, act)
            fields = c_struct(batches=batches, in_features=k, vec=vec)
            k_padded = 0
        else:
            # Batches reuse the weights: the int8/int16 choice is a policy of gemm_parts.
            constants, gemm, k_padded = gemm_parts(op, w, bias, in_zp, mult, shift, single, out_zp, act)
            fields = c_struct(batches=batches, in_features=k, gemm=gemm)
        constants.append(ConstStruct(params, "ek_fc_packed_params_t", fields))
        return OpLowering(
            call=f"ek_fully_connected_s8_packed(&{{c:{params}}}, {{in0}}, {{out0}}, {{scratch}});",
            headers=["ek_fully_connected.h"], constants=constants,
            scratch_bytes=scratch_bytes_packed(k_padded, n_out, batches))
    names = {key: cname(op, key) for key in ("w", "bias", "mult", "shift")}
    per_channel = bool(np.any(mult != mult[0]) or np.any(shift != shift[0]))
    if not per_channel:
        mult, shift = mult[:1], shift[:1]
    # Cores without SIMD: groups of 4 outputs, weights interleaved, zero point in the bias.
    groups = (n_out + 3) // 4
    wq = np.zeros((groups * 4, k), dtype=np.int64)
    wq[:n_out] = w.reshape(n_out, k)
    bq = np.zeros(groups * 4, dtype=np.int64)
    bq[:n_out] = folded_bias(bias, w.reshape(n_out, k), in_zp)
    mq = np.concatenate([mult, np.repeat(mult[-1:], groups * 4 - n_out)]) if per_channel else mult
    sq = np.concatenate([shift, np.repeat(shift[-1:], groups * 4 - n_out)]) if per_channel else shift
    constants = [ConstArray(names["w"], "int8_t", wq.reshape(groups, 4, k).transpose(0, 2, 1).reshape(-1)
                            .astype(np.int8)),
                 ConstArray(names["bias"], "int32_t", bq),
                 ConstArray(names["mult"], "int32_t", mq),
                 ConstArray(names["shift"], "int32_t", sq)]
    init = c_struct(batches=batches, in_features=k, out_features=n_out, input_offset=-in_zp,
                    output_offset=out_zp, act=c_struct(min=act[0], max=act[1]),
                    rounding="EK_ROUND_SINGLE" if single else "EK_ROUND_DOUBLE",
                    weights=f"{{c:{names['w']}}}", bias=f"{{c:{names['bias']}}}",
                    multiplier=f"{{c:{names['mult']}}}", shift=f"{{c:{names['shift']}}}",
                    per_channel=int(per_channel))
    constants.append(ConstStruct(params, "ek_fc_params_t", init))
    return OpLowering(call=f"ek_fully_connected_s8_blocked(&{{c:{params}}}, {{in0}}, {{out0}});",
                      headers=["ek_fully_connected.h"], constants=constants)
