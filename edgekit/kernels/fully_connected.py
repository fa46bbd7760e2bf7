"""FULLY_CONNECTED lowering (int8, per-tensor or per-channel weights, any batch).

Rounding: TF's reference int8 FC requantizes with single rounding; TFLite Micro (and
`--rounding tflm`) with double rounding. Multipliers: double(input_scale) *
double(filter_scale) / double(output_scale), per tensor and per channel alike — measured
against TF 2.21 and tflite-micro on scales where the float32 product would round
differently (tests/kernels/test_fully_connected.py::test_multiplier_uses_double_product).
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require, scale_zp
from edgekit.kernels.conv_common import (
    activation_range,
    bias_values,
    filter_scales,
    gemm_cols_bytes,
    gemm_parts,
    packed_variant,
    per_channel_multipliers,
)
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register


def fc_multipliers(in_scale: float, scales: np.ndarray, out_scale: float,
                   channels: int) -> tuple[np.ndarray, np.ndarray]:
    return per_channel_multipliers(in_scale, scales, out_scale, channels)


def single_rounding(ctx: LoweringContext) -> bool:
    """TF's reference FC rounds once; TFLite Micro rounds twice."""
    return ctx.rounding != "tflm"


def scratch_bytes_packed(k_padded: int, out_c: int) -> int:
    """Mirror of ek_fully_connected_s8_packed_get_buffer_size."""
    return gemm_cols_bytes(k_padded, out_c)


@register("FULLY_CONNECTED")
def lower_fully_connected(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    inp, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    out = graph.tensors[op.outputs[0]]
    for t in (inp, weights, out):
        require(t.dtype == "int8", op, f"tensor {t.name} is {t.dtype}; only int8 is supported")
    require(weights.is_constant and len(weights.shape) == 2, op, "weights must be a constant 2-D tensor")
    require(op.options.get("weights_format", 0) in (0, "DEFAULT"), op, "shuffled weights are not supported")
    n_out, k = (int(v) for v in weights.shape)
    require(k > 0 and inp.num_elements % k == 0, op, f"input of {inp.num_elements} values is not rows of {k}")
    batches = inp.num_elements // k
    require(out.num_elements == batches * n_out, op, "output size does not match batch x outputs")
    in_scale, in_zp = scale_zp(inp)
    out_scale, out_zp = scale_zp(out)
    mult, shift = fc_multipliers(in_scale, filter_scales(weights, n_out, 0, op), out_scale, n_out)
    act = activation_range(op.options.get("fused_activation_function", "NONE"), out_scale, out_zp, op)
    bias = bias_values(graph, op, 2, n_out)
    assert weights.data is not None
    w = np.asarray(weights.data, dtype=np.int64)
    single = single_rounding(ctx)
    params = cname(op, "params")
    if packed_variant(ctx.variant):
        # Batch 1 reads every weight once: keep int8 (flash); batches reuse them: policy.
        constants, gemm, k_padded = gemm_parts(op, w, bias, in_zp, mult, shift, single, out_zp, act,
                                               int16=False if batches == 1 else None)
        constants.append(ConstStruct(params, "ek_fc_packed_params_t",
                                     c_struct(batches=batches, in_features=k, gemm=gemm)))
        return OpLowering(
            call=f"ek_fully_connected_s8_packed(&{{c:{params}}}, {{in0}}, {{out0}}, {{scratch}});",
            headers=["ek_fully_connected.h"], constants=constants,
            scratch_bytes=scratch_bytes_packed(k_padded, n_out))
    names = {key: cname(op, key) for key in ("w", "bias", "mult", "shift")}
    per_channel = bool(np.any(mult != mult[0]) or np.any(shift != shift[0]))
    if not per_channel:
        mult, shift = mult[:1], shift[:1]
    constants = [ConstArray(names["w"], "int8_t", w.reshape(-1).astype(np.int8)),
                 ConstArray(names["bias"], "int32_t", bias),
                 ConstArray(names["mult"], "int32_t", mult),
                 ConstArray(names["shift"], "int32_t", shift)]
    init = c_struct(batches=batches, in_features=k, out_features=n_out, input_offset=-in_zp,
                    output_offset=out_zp, act=c_struct(min=act[0], max=act[1]),
                    rounding="EK_ROUND_SINGLE" if single else "EK_ROUND_DOUBLE",
                    weights=f"{{c:{names['w']}}}", bias=f"{{c:{names['bias']}}}",
                    multiplier=f"{{c:{names['mult']}}}", shift=f"{{c:{names['shift']}}}",
                    per_channel=int(per_channel))
    constants.append(ConstStruct(params, "ek_fc_params_t", init))
    return OpLowering(call=f"ek_fully_connected_s8(&{{c:{params}}}, {{in0}}, {{out0}});",
                      headers=["ek_fully_connected.h"], constants=constants)
