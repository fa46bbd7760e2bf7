"""TRANSPOSE_CONV lowering: TFLite's reference_integer_ops::TransposeConv (int8 input and
output, int8 OHWI per-channel weights, optional int32 bias, double rounding in TF and
TFLite Micro alike).

Inputs: 0 the output shape (constant), 1 the weights, 2 the input, 3 the bias. Padding is
TFLite's: ComputePaddingHeightWidth over the *output* size (stride, filter, no dilation).
Both clamp to the fused activation (older TFLite Micro releases computed the clamp for
kTfLiteActNone; the one edgekit tests against applies it, as TF does). TFLite Micro's int8
kernel is TF's reference kernel with its int32 scratch of the output (int64 only for 16x8):
the two agree byte for byte, so both rounding modes lower the same way (tested).

Portable boards run a gather loop over the original weights; DSP boards split the output
into stride_h x stride_w phases, each a packed GEMM (ek_gemm.h) over its own taps (see
firmware/kernels/ek_transpose_conv.h). Neither needs TFLite's int32 scratch of the output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import (
    activation_range,
    c_struct,
    cname,
    int16_act_range,
    require,
    require_int8,
    require_int16,
    scale_zp,
)
from edgekit.kernels.conv_common import (
    Window,
    bias_values,
    dims,
    filter_scales,
    gemm_cols_bytes,
    gemm_parts,
    nhwc,
    packed_variant,
    per_channel_multipliers,
    reference_parts,
)
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.weighted16 import Weighted16, weighted16_arrays

MAX_PHASES = 16  # EK_TCONV_MAX_PHASES


def tflite_padding(padding: str, out_size: int, filter_size: int, stride: int) -> int:
    """ComputePaddingHeightWidth(stride, 1, out_size, filter) as TFLite's transpose_conv.cc
    calls it: the windowed size of the output, then the padding before the first element."""
    windowed = (out_size + stride - 1) // stride if padding == "SAME" else (out_size - filter_size + stride) // stride
    return max((windowed - 1) * stride + filter_size - out_size, 0) // 2


def phase_taps(phase: int, kernel: int, stride: int) -> list[int]:
    """The filter taps that reach every output pixel of a phase: phase, phase + stride, ..."""
    return list(range(phase, kernel, stride))


def scratch_bytes_packed(k_padded_max: int, out_c: int) -> int:
    """Mirror of ek_transpose_conv_s8_packed_get_buffer_size."""
    return gemm_cols_bytes(k_padded_max, out_c) + k_padded_max


@dataclass
class TconvShape:
    shapes: dict[str, str]  # input, filter, output, win: the ek_conv params' geometry fields
    cout: int
    kh: int
    kw: int
    sh: int
    sw: int


def tconv_shape(graph: Graph, op: Op) -> TconvShape:
    """The shapes, strides and paddings of a TRANSPOSE_CONV (any activation type)."""
    weights, inp = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
    out = graph.tensors[op.outputs[0]]
    require(weights.is_constant and weights.data is not None, op, "weights must be constant")
    n, in_h, in_w, in_c = nhwc(inp, op)
    cout, kh, kw, k_c = nhwc(weights, op)
    on, out_h, out_w, out_c = nhwc(out, op)
    require(k_c == in_c and out_c == cout and on == n, op, "input, weights and output shapes do not match")
    o = op.options
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    padding = o.get("padding", "VALID")
    require(padding in ("SAME", "VALID"), op, f"padding {padding} is not supported")
    require(sh >= 1 and sw >= 1, op, "strides must be >= 1")
    pad_top, pad_left = tflite_padding(padding, out_h, kh, sh), tflite_padding(padding, out_w, kw, sw)
    shapes = {"input": dims((n, in_h, in_w, in_c)), "filter": dims((cout, kh, kw, in_c)),
              "output": dims((n, out_h, out_w, out_c)), "win": Window(sh, sw, 1, 1, pad_top, pad_left).c_init()}
    return TconvShape(shapes, cout, kh, kw, sh, sw)


@register("TRANSPOSE_CONV")
def lower_transpose_conv(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    weights, inp = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
    out = graph.tensors[op.outputs[0]]
    require_int8(op, inp, weights, out)
    g = tconv_shape(graph, op)
    cout, kh, kw, sh, sw, shapes = g.cout, g.kh, g.kw, g.sh, g.sw, g.shapes
    in_scale, in_zp = scale_zp(inp)
    out_scale, out_zp = scale_zp(out)
    activation = op.options.get("fused_activation_function", "NONE")
    act = activation_range(activation, out_scale, out_zp, op)
    mult, shift = per_channel_multipliers(in_scale, filter_scales(weights, cout, 0, op), out_scale, cout)
    bias = bias_values(graph, op, 3, cout)
    w = np.asarray(weights.data, dtype=np.int64)
    params = cname(op, "params")
    if packed_variant(ctx.variant) and sh * sw <= MAX_PHASES:
        constants: list[ConstArray | ConstStruct] = []
        phases, k_max = [], 8
        for py in range(sh):
            for px in range(sw):
                taps = w[:, phase_taps(py, kh, sh)][:, :, phase_taps(px, kw, sw)]
                tag = f"ph{py * sw + px}_"
                parts, gemm, k_padded = gemm_parts(op, taps.reshape(cout, -1), bias, in_zp, mult, shift,
                                                   False, out_zp, act, tag=tag)
                constants += parts
                constants.append(ConstStruct(cname(op, tag + "gemm"), "ek_gemm_t", gemm))
                phases.append(f"&{{c:{cname(op, tag + 'gemm')}}}")
                k_max = max(k_max, k_padded)
        init = c_struct(**shapes, input_zero_point=in_zp, k_padded_max=k_max,
                        phase="{ " + ", ".join(phases) + " }")
        constants.append(ConstStruct(params, "ek_transpose_conv_packed_params_t", init))
        return OpLowering(call=f"ek_transpose_conv_s8_packed(&{{c:{params}}}, {{in0}}, {{out0}}, {{scratch}});",
                          headers=["ek_transpose_conv.h"], constants=constants,
                          scratch_bytes=scratch_bytes_packed(k_max, cout))
    arrays, fields = reference_parts(op, w, bias, mult, shift, in_zp, out_zp, act)
    init = c_struct(**shapes, **fields)
    return OpLowering(call=f"ek_transpose_conv_s8(&{{c:{params}}}, {{in0}}, {{out0}});",
                      headers=["ek_transpose_conv.h"],
                      constants=[*arrays, ConstStruct(params, "ek_conv_params_t", init)])


@register("TRANSPOSE_CONV", activations="int16")
def lower_transpose_conv_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    """int16x8 TRANSPOSE_CONV: TFLite's TransposeConv<int64_t> (int64 accumulator and bias,
    the int64 MultiplyByQuantizedMultiplier), TF and TFLite Micro alike. TFLite Micro also
    takes an int16 bias (widened to int64, as it does)."""
    weights, inp = graph.tensors[op.inputs[1]], graph.tensors[op.inputs[2]]
    out = graph.tensors[op.outputs[0]]
    g = tconv_shape(graph, op)
    in_scale, _ = require_int16(op, inp)
    out_scale, _ = require_int16(op, out)
    require(weights.dtype == "int8", op, f"weights {weights.name} are {weights.dtype}; int8 expected")
    mult, shift = per_channel_multipliers(in_scale, filter_scales(weights, g.cout, 0, op), out_scale, g.cout)
    has_bias = len(op.inputs) > 3 and op.inputs[3] >= 0
    bias = np.zeros(g.cout, dtype=np.int64)
    if has_bias:
        b = graph.tensors[op.inputs[3]]
        require(b.is_constant and b.dtype in ("int64", "int32", "int16") and b.num_elements == g.cout, op,
                f"bias {b.name} must be a constant int64 tensor of {g.cout} values (int16x8)")
        bias = np.asarray(b.data, dtype=np.int64).reshape(-1)
    w = np.asarray(weights.data, dtype=np.int64)
    o = Weighted16(w, mult, shift, bias, has_bias, int16_act_range(op, out_scale))
    constants, refs = weighted16_arrays(op, o, w)
    params = cname(op, "params")
    constants.append(ConstStruct(params, "ek_conv_s16_params_t", c_struct(**g.shapes, **refs)))
    return OpLowering(call=f"ek_transpose_conv_s16(&{{c:{params}}}, {{in0:int16_t}}, {{out0:int16_t}});",
                      headers=["ek_transpose_conv.h"], constants=constants)
