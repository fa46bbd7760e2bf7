"""Host-side constants shared by CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and pools:
window geometry (also the geometry of their rows memory contract), per-channel
multipliers, and the packed GEMM layout that firmware/kernels/ek_gemm.h reads (one
description, tested bit-exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgekit.ir import DTYPE_BYTES, Graph, Op, Tensor
from edgekit.kernels.cformat import activation_range, c_struct, require, require_int8, scale_zp
from edgekit.kernels.quant import Real, multiply_by_quantized_multiplier, quantize_multiplier
from edgekit.kernels.variants import kernel_variant
from edgekit.memory.contract import NO_CONTRACT, MemoryContract, RowGeometry

F32 = np.float32
# Layers with at most this many int8 weight bytes get int16 weights (SMLAD loop ~1.4x faster,
# twice the flash). 8 KiB keeps the MLPerf models' extra flash small (KWS all layers, IC's
# first four 3x3 convs, VWW's early pointwise layers); raise it when the board has flash to spare.
INT16_WEIGHTS_MAX_BYTES = 8 * 1024


@dataclass(frozen=True)
class Window:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    pad_top: int
    pad_left: int

    def c_init(self) -> str:
        return c_struct(stride_h=self.stride_h, stride_w=self.stride_w,
                        dilation_h=self.dilation_h, dilation_w=self.dilation_w,
                        pad_top=self.pad_top, pad_left=self.pad_left)


def _padding(padding: str, in_size: int, filter_size: int, stride: int, dilation: int,
             out_size: int) -> int:
    """ComputePaddingWithOffset: the padding before the first element."""
    effective = (filter_size - 1) * dilation + 1
    total = (out_size - 1) * stride + effective - in_size
    return max(total, 0) // 2 if padding == "SAME" else 0


def window(op: Op, in_hw: tuple[int, int], k_hw: tuple[int, int], out_hw: tuple[int, int]) -> Window:
    o = op.options
    sh, sw = int(o.get("stride_h", 1)), int(o.get("stride_w", 1))
    dh, dw = int(o.get("dilation_h_factor", 1)), int(o.get("dilation_w_factor", 1))
    padding = o.get("padding", "VALID")
    require(padding in ("SAME", "VALID"), op, f"padding {padding} is not supported")
    require(sh >= 1 and sw >= 1 and dh >= 1 and dw >= 1, op, "strides and dilations must be >= 1")
    return Window(sh, sw, dh, dw,
                  _padding(padding, in_hw[0], k_hw[0], sh, dh, out_hw[0]),
                  _padding(padding, in_hw[1], k_hw[1], sw, dw, out_hw[1]))


def dims(shape: tuple[int, ...]) -> str:
    n, h, w, c = shape
    return c_struct(n=n, h=h, w=w, c=c)


def nhwc(t: Tensor, op: Op) -> tuple[int, int, int, int]:
    require(len(t.shape) == 4, op, f"tensor {t.name} has shape {list(t.shape)}; 4-D NHWC expected")
    return tuple(int(v) for v in t.shape)  # type: ignore[return-value]


@dataclass(frozen=True)
class ConvGeometry:
    """One windowed op (convolution, depthwise convolution, pool) over NHWC tensors."""

    input: tuple[int, int, int, int]
    output: tuple[int, int, int, int]
    kernel_hw: tuple[int, int]
    win: Window

    def c_fields(self, filter_shape: tuple[int, int, int, int]) -> dict[str, str]:
        """The params struct's input/filter/output/win members."""
        return {"input": dims(self.input), "filter": dims(filter_shape), "output": dims(self.output),
                "win": self.win.c_init()}

    def rows(self, in_elem: int, out_elem: int) -> RowGeometry:
        """The geometry of the rows overlap proof (edgekit.memory.overlap)."""
        n, ih, iw, ic = self.input
        _, oh, ow, oc = self.output
        return RowGeometry(batches=n, in_height=ih, in_row_bytes=iw * ic * in_elem, out_height=oh,
                           out_row_bytes=ow * oc * out_elem, stride_h=self.win.stride_h,
                           pad_top=self.win.pad_top, in_width=iw, out_width=ow,
                           stride_w=self.win.stride_w, pad_left=self.win.pad_left)


def kernel_hw(graph: Graph, op: Op) -> tuple[int, int]:
    """The window's height and width: the filter's (OHWI / 1HWO weights), or for an op
    without a filter tensor (a pool) its filter_height / filter_width options."""
    if len(op.inputs) < 2 or op.inputs[1] < 0:
        return int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    weights = graph.tensors[op.inputs[1]]
    require(len(weights.shape) == 4, op, f"weights {weights.name} have shape {list(weights.shape)}; 4-D expected")
    return int(weights.shape[1]), int(weights.shape[2])


def conv_geometry(graph: Graph, op: Op) -> ConvGeometry:
    """Shapes and window of a CONV_2D, DEPTHWISE_CONV_2D or pool (checked NHWC)."""
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    in_shape, out_shape = nhwc(inp, op), nhwc(out, op)
    k_hw = kernel_hw(graph, op)
    win = window(op, in_shape[1:3], k_hw, out_shape[1:3])
    return ConvGeometry(in_shape, out_shape, k_hw, win)


def rows_contract(graph: Graph, op: Op) -> MemoryContract:
    """Windowed kernels write output rows in order and never read input rows above the
    current window again: the output may overlap its dying input's tail (see overlap.py)."""
    if not op.inputs or not op.outputs or op.inputs[0] < 0:
        return NO_CONTRACT
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    if x.is_constant or len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != y.shape[0]:
        return NO_CONTRACT
    has_filter = len(op.inputs) >= 2 and op.inputs[1] >= 0 and len(graph.tensors[op.inputs[1]].shape) == 4
    if not has_filter and not ("filter_height" in op.options and "filter_width" in op.options):
        return NO_CONTRACT
    geometry = conv_geometry(graph, op)
    return MemoryContract(rows=geometry.rows(DTYPE_BYTES[x.dtype], DTYPE_BYTES[y.dtype]))


@dataclass(frozen=True)
class Weighted:
    """What every weighted op (convolution, depthwise, fully connected) starts from."""

    weights: Tensor
    w: np.ndarray  # the weights as stored, int64
    in_scale: np.float32
    in_zp: int
    out_scale: np.float32
    out_zp: int
    act: tuple[int, int]  # the fused activation's int8 clamp


def weighted_operands(graph: Graph, op: Op) -> Weighted:
    """int8 input, constant int8 weights and int8 output with their quantization."""
    inp, weights = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    out = graph.tensors[op.outputs[0]]
    require_int8(op, inp, weights, out)
    require(weights.is_constant and weights.data is not None, op, "weights must be constant")
    in_scale, in_zp = scale_zp(inp)
    out_scale, out_zp = scale_zp(out)
    act = activation_range(op.options.get("fused_activation_function", "NONE"), out_scale, out_zp, op)
    return Weighted(weights, np.asarray(weights.data, dtype=np.int64), in_scale, in_zp, out_scale, out_zp, act)


def per_channel_multipliers(in_scale: Real, filter_scales: np.ndarray, out_scale: Real,
                            channels: int) -> tuple[np.ndarray, np.ndarray]:
    """PopulateConvolutionQuantizationParams: double(input) * double(filter[c]) / double(output)."""
    scales = np.asarray(filter_scales, dtype=np.float32)
    if scales.size == 1:
        scales = np.repeat(scales, channels)
    mult = np.zeros(channels, dtype=np.int64)
    shift = np.zeros(channels, dtype=np.int64)
    for c in range(channels):
        real = float(F32(in_scale)) * float(scales[c]) / float(F32(out_scale))
        mult[c], shift[c] = quantize_multiplier(real)
    return mult, shift


def filter_scales(weights: Tensor, channels: int, axis: int, op: Op) -> np.ndarray:
    q = weights.quant
    require(q is not None and len(q.scale) in (1, channels), op,
            f"weights {weights.name} need per-tensor or per-channel ({channels}) scales")
    assert q is not None
    require(q.per_channel is False or q.axis == axis, op,
            f"weights {weights.name} are quantized along axis {q.axis}, expected {axis}")
    require(bool(np.all(q.zero_point == 0)), op, f"weights {weights.name} have a nonzero zero point")
    return np.asarray(q.scale, dtype=np.float32)


def bias_values(graph: Graph, op: Op, index: int, channels: int) -> np.ndarray:
    """The int32 bias (zeros when the optional input is absent)."""
    if len(op.inputs) <= index or op.inputs[index] < 0:
        return np.zeros(channels, dtype=np.int64)
    bias = graph.tensors[op.inputs[index]]
    require(bias.is_constant and bias.dtype == "int32", op, "bias must be a constant int32 tensor")
    assert bias.data is not None
    return np.asarray(bias.data, dtype=np.int64).reshape(-1)


def wrap_int32(x: np.ndarray) -> np.ndarray:
    """Two's-complement wrap, as the device's int32 arithmetic does."""
    return ((np.asarray(x, dtype=np.int64) + (1 << 31)) % (1 << 32) - (1 << 31)).astype(np.int64)


# --- The packed GEMM layout (ek_gemm.h) ---------------------------------------------------


def _round_up(x: int, m: int) -> int:
    return (x + m - 1) // m * m


def gemm_k_padded(k: int) -> int:
    return _round_up(max(k, 1), 8)


def pack_gemm_weights(w: np.ndarray, int16: bool, sxtb16_lanes: bool = True) -> np.ndarray:
    """[cout, K] int8 → output channels in pairs, K in chunks of 4 (zero padded to even cout
    and K to a multiple of 8). int8: per pair and chunk c(k0..k3) c+1(k0..k3); int16 the
    same with lanes in SXTB16 order k0,k2,k1,k3 (int8 columns), or in natural order when
    not `sxtb16_lanes` (the int16x8 kernels' columns are copied, not widened)."""
    cout, k = w.shape
    cp, kp = _round_up(cout, 2), gemm_k_padded(k)
    padded = np.zeros((cp, kp), dtype=np.int64)
    padded[:cout, :k] = w
    blocks = padded.reshape(cp // 2, 2, kp // 4, 4).transpose(0, 2, 1, 3)
    if int16:
        return (blocks[..., [0, 2, 1, 3]] if sxtb16_lanes else blocks).reshape(-1).astype(np.int16)
    return blocks.reshape(-1).astype(np.int8)


def gemm_cols_bytes(k_padded: int, out_c: int) -> int:
    """EK_GEMM_COLS_BYTES: two int16 columns + the accumulators of every channel, 2 pixels."""
    return 4 * k_padded + 8 * _round_up(out_c, 2)


def pad_even(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    return np.concatenate([v, v[-1:]]) if v.size % 2 else v


def folded_bias(bias: np.ndarray, w: np.ndarray, input_zero_point: int) -> np.ndarray:
    """bias + input_offset * sum_k w[c, k] with input_offset = -zero point (wrapped to int32)."""
    sums = np.asarray(w, dtype=np.int64).sum(axis=1)
    return wrap_int32(np.asarray(bias, dtype=np.int64) - input_zero_point * sums)


def use_int16_weights(weight_bytes: int) -> bool:
    """int16 weights make SMLAD loops ~1.4x faster but double the flash: small layers only."""
    return weight_bytes <= INT16_WEIGHTS_MAX_BYTES


def gemm_parts(op: Op, w2d: np.ndarray, bias: np.ndarray, input_zero_point: int,
               mult: np.ndarray, shift: np.ndarray, single_rounding: bool, output_zero_point: int,
               act: tuple[int, int], int16: bool | None = None,
               tag: str = "") -> tuple[list, str, int]:
    """Constants and the ek_gemm_t initializer of a packed layer; also returns k_padded.
    `w2d` is [cout, K] int8 in the kernel's K order; `tag` tells apart the constants of
    several GEMMs of one op."""
    from edgekit.kernels.cformat import cname
    from edgekit.kernels.lowering import ConstArray

    cout, k = w2d.shape
    if int16 is None:
        int16 = use_int16_weights(w2d.size)
    names = {n: cname(op, tag + n) for n in ("pw", "pbias", "pmult", "pshift", "prq")}
    new_bias = bounded_bias(w2d, bias, mult, shift, output_zero_point, act, single_rounding)
    bounded = new_bias is not None
    folded = pad_even(folded_bias(new_bias if new_bias is not None else bias, w2d, input_zero_point))
    constants = [ConstArray(names["pw"], "int16_t" if int16 else "int8_t", pack_gemm_weights(w2d, int16), 8)]
    if bounded:
        # The bounded kernels read only qp: no separate bias/multiplier/shift arrays in flash.
        constants.append(ConstArray(names["prq"], "int32_t",
                                    bounded_pair_params(folded, pad_even(mult), pad_even(shift))))
        refs = {"qp": f"{{c:{names['prq']}}}", "weights": f"{{c:{names['pw']}}}", "bias": "NULL",
                    "multiplier": "NULL", "shift": "NULL", "per_channel": 1}
    else:
        # One multiplier/shift when every channel shares it (per-tensor FC weights).
        per_channel = bool(np.any(mult != mult[0]) or np.any(shift != shift[0]))
        constants += [ConstArray(names["pbias"], "int32_t", folded),
                      ConstArray(names["pmult"], "int32_t", pad_even(mult) if per_channel else mult[:1]),
                      ConstArray(names["pshift"], "int32_t", pad_even(shift) if per_channel else shift[:1])]
        refs = {"qp": "NULL", "weights": f"{{c:{names['pw']}}}", "bias": f"{{c:{names['pbias']}}}",
                    "multiplier": f"{{c:{names['pmult']}}}", "shift": f"{{c:{names['pshift']}}}",
                    "per_channel": int(per_channel)}
    init = c_struct(out_c=cout, k_padded=gemm_k_padded(k), weights_int16=int(int16), **refs,
                    rounding="EK_ROUND_SINGLE" if single_rounding else "EK_ROUND_DOUBLE",
                    output_offset=output_zero_point, act=c_struct(min=act[0], max=act[1]))
    return constants, init, gemm_k_padded(k)


def reference_parts(op: Op, w: np.ndarray, bias: np.ndarray, mult: np.ndarray, shift: np.ndarray,
                    input_zero_point: int, output_zero_point: int,
                    act: tuple[int, int]) -> tuple[list, dict[str, str]]:
    """Constants and params fields of a reference-loop weighted kernel (ek_conv_params_t,
    ek_transpose_conv_params_t): the int8 weights as stored, bias, per-channel requantization."""
    from edgekit.kernels.cformat import cname
    from edgekit.kernels.lowering import ConstArray

    names = {k: cname(op, k) for k in ("w", "bias", "mult", "shift")}
    constants = [ConstArray(names["w"], "int8_t", np.asarray(w).reshape(-1).astype(np.int8)),
                 ConstArray(names["bias"], "int32_t", bias),
                 ConstArray(names["mult"], "int32_t", mult),
                 ConstArray(names["shift"], "int32_t", shift)]
    fields = {"input_offset": str(-input_zero_point), "output_offset": str(output_zero_point),
              "act": c_struct(min=act[0], max=act[1]), "weights": f"{{c:{names['w']}}}",
              "bias": f"{{c:{names['bias']}}}", "multiplier": f"{{c:{names['mult']}}}",
              "shift": f"{{c:{names['shift']}}}"}
    return constants, fields


def bounded_bias(w2d: np.ndarray, bias: np.ndarray, mult: np.ndarray, shift: np.ndarray,
                 output_zero_point: int, act: tuple[int, int], single_rounding: bool) -> np.ndarray | None:
    """The bias to use with ek_requant_double_bounded, or None when that form is not exact.

    Needs every live channel's shift <= -1 and every possible accumulator
    bias + sum((x - zp) * w), |x - zp| <= 255, inside (-2^30, 2^30). A channel beyond that
    (converters write biases of about 2^30 for nearly dead channels, often with all-zero
    weights) is still accepted when its output is the same for every possible accumulator:
    its bias is replaced by the largest in-bound value that gives that output too
    (requantization is monotonic in the accumulator, so the two ends of a range decide)."""
    if single_rounding:
        return None
    bias = np.asarray(bias, dtype=np.int64).copy()
    mult, shift = np.asarray(mult, dtype=np.int64), np.asarray(shift, dtype=np.int64)
    live = mult != 0
    if np.any(shift[live] > -1):
        return None
    span = 255 * np.abs(np.asarray(w2d, dtype=np.int64)).sum(axis=1)

    def out(acc: int, c: int) -> int:
        v = int(multiply_by_quantized_multiplier(np.array([acc]), int(mult[c]), int(shift[c]))[0])
        return min(max(v + output_zero_point, act[0]), act[1])

    for c in np.nonzero(live & (np.abs(bias) + span >= (1 << 30)))[0]:
        limit = (1 << 30) - 1 - int(span[c])
        channel = int(c)
        value = out(int(bias[c] - span[c]), channel)
        if limit <= 0 or value != out(int(bias[c] + span[c]), channel):
            return None
        for replacement in (int(np.sign(bias[c])) * limit, limit, -limit):
            if out(replacement - int(span[c]), channel) == value == out(replacement + int(span[c]), channel):
                bias[c] = replacement
                break
        else:
            return None
    return bias


def bounded_rq(shift: np.ndarray, mult: np.ndarray | None = None) -> np.ndarray:
    """Per channel {e = -shift, 2^(e-1)}: the constants of ek_requant_double_bounded
    (e = 1 for channels whose multiplier is 0: their output is 0 either way)."""
    e = -np.asarray(shift, dtype=np.int64)
    if mult is not None:
        e = np.where(np.asarray(mult) == 0, 1, e)
    return np.stack([e, 1 << (e - 1)], axis=1).reshape(-1)


def bounded_pair_params(bias: np.ndarray, mult: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """ek_gemm_t.qp: per channel pair {b0, b1, m0, m1, e0, 2^(e0-1), e1, 2^(e1-1)}."""
    rq = bounded_rq(shift, mult).reshape(-1, 4)
    return np.concatenate([np.asarray(bias).reshape(-1, 2), np.asarray(mult).reshape(-1, 2), rq],
                          axis=1).reshape(-1)


def packed_variant(variant: str) -> bool:
    """Boards whose cores have the DSP extension run the packed SMLAD kernels."""
    return kernel_variant(variant).packs_weights
