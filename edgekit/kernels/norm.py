"""int8 L2_NORMALIZATION and LOG_SOFTMAX over the last dimension (ek_norm.h).

- L2_NORMALIZATION (reference_integer_ops::L2Normalization, TF and TFLite Micro alike):
  per row the int32 sum of (x - zp)^2, GetInvSqrtQuantizedMultiplierExp of it, and
  MultiplyByQuantizedMultiplier(x - zp, inv, shift + 7) saturated; the output is scale
  1/128, zero point 0 (TF's Prepare requires it; edgekit does too). No fused activation.
- LOG_SOFTMAX (reference_ops::LogSoftmax, int8): PreprocessLogSoftmaxScalingExp(beta 1,
  input scale, 5 integer bits) and diff_min = -CalculateInputRadius(5, left shift), as
  both Prepare functions compute them. The host tabulates, for each of the 256 possible
  diffs max - x, Rescale<12>(exp_on_negative_values(diff in Q5.26)) (0 below diff_min);
  the device sums the row's entries, takes gemmlowp's log_x_for_x_greater_than_or_equal_to_1
  and writes (diff_q5 - log_sum) >> 22 + 127 above the adjusted diff_min, -128 below. The
  output is scale 16/256, zero point 127 (required by both).
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels import gemmlowp
from edgekit.kernels.activation import elementwise_contract
from edgekit.kernels.cformat import c_struct, cname, float_scale_zp, int8_per_tensor, require
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier, quantize_multiplier_smaller_than_one

F32 = np.float32
SCALED_DIFF_INTEGER_BITS = 5


def _rows(graph: Graph, op: Op, out_scale: float, out_zp: int) -> tuple[int, int, float, int]:
    """(rows, row length, input scale, input zero point); the output quantization fixed."""
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    require(len(x.shape) >= 1 and tuple(x.shape) == tuple(y.shape), op, "input and output shapes differ")
    s_out, zp_out = float_scale_zp(y)
    require(F32(s_out) == F32(out_scale) and zp_out == out_zp, op,
            f"int8 {op.type} needs output scale {out_scale:g} and zero point {out_zp} (as TFLite)")
    depth = int(x.shape[-1])
    require(depth > 0, op, "empty last dimension")
    s_in, zp_in = float_scale_zp(x)
    return x.num_elements // depth, depth, s_in, zp_in


@register("L2_NORMALIZATION", memory=elementwise_contract)
def lower_l2_normalization(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    outer, depth, _, zp_in = _rows(graph, op, 1 / 128, 0)
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    require(act == "NONE", op, f"fused activation {act} is not supported (TFLite has none either)")
    require(depth <= 1 << 15, op, "rows above 32768 elements overflow the int32 sum of squares")
    return OpLowering(call=f"ek_l2norm_s8({outer}, {depth}, {zp_in}, {{in0}}, {{out0}});",
                      headers=["ek_norm.h"])


def log_softmax_scaling(input_scale: float) -> dict[str, int]:
    """PreprocessLogSoftmaxScalingExp (beta 1) and the diff_min of both Prepare functions."""
    real = min(float(F32(input_scale)) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    reverse, reverse_shift = quantize_multiplier_smaller_than_one((1 << (31 - left_shift)) / multiplier)
    radius = math.floor(((1 << SCALED_DIFF_INTEGER_BITS) - 1) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS))
                        / float(1 << left_shift))
    return {"input_multiplier": multiplier, "input_left_shift": left_shift, "reverse_multiplier": reverse,
            "reverse_shift": reverse_shift, "diff_min": -radius}


def exp_table(scaling: dict[str, int]) -> np.ndarray:
    values = []
    for k in range(256):
        if -k < scaling["diff_min"]:
            values.append(0)
            continue
        q5 = gemmlowp.mbqm(-k, scaling["input_multiplier"], scaling["input_left_shift"])
        values.append(gemmlowp.rdbpot(gemmlowp.exp_on_negative_values(q5, SCALED_DIFF_INTEGER_BITS), 12))
    return np.array(values, dtype=np.int64)


@register("LOG_SOFTMAX", memory=elementwise_contract)
def lower_log_softmax(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    outer, depth, s_in, _ = _rows(graph, op, 16 / 256, 127)
    require(depth <= 1 << 12, op, "rows above 4096 elements overflow the Q12 sum of exponentials")
    scaling = log_softmax_scaling(s_in)
    table = ConstArray(cname(op, "exp"), "int32_t", exp_table(scaling))
    params = ConstStruct(cname(op, "params"), "ek_log_softmax_params_t", c_struct(
        outer=outer, depth=depth, **scaling, exp_q12=f"{{c:{table.name}}}"))
    return OpLowering(call=f"ek_log_softmax_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_norm.h"], constants=[table, params])
