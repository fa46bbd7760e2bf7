"""Single-op models for the MAC-heavy ops (conv, depthwise, FC, pools) from a few numbers.

Used by the hypothesis tests, the QEMU tests and the benchmark. Scales: `mult_kind`
picks the effective requant multiplier in_scale*filter_scale/out_scale per channel —
"normal" (2^-12..2^-4), "tiny" (< 2^-32: QuantizeMultiplier flushes to 0), "big" (> 1:
positive shift), "pow2" (exactly representable, q = 2^30).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .tflite_builder import TensorSpec, single_op_model

ACTIVATIONS = ("NONE", "RELU", "RELU6")
MULT_KINDS = ("normal", "tiny", "big", "pow2")


def out_size(padding: str, size: int, k: int, stride: int, dilation: int = 1) -> int:
    eff = (k - 1) * dilation + 1
    return math.ceil(size / stride) if padding == "SAME" else math.ceil((size - eff + 1) / stride)


def _effective(kind: str, rng: np.random.Generator, n: int) -> np.ndarray:
    if kind == "tiny":
        return 2.0 ** rng.uniform(-40, -33, n)
    if kind == "big":
        return 2.0 ** rng.uniform(0.1, 3, n)
    if kind == "pow2":
        return 2.0 ** rng.integers(-14, -4, n).astype(np.float64)
    return 2.0 ** rng.uniform(-12, -4, n)


def _weights_and_scales(rng: np.random.Generator, shape: Sequence[int], channels: int,
                        in_scale: float, out_scale: float, kind: str,
                        per_channel: bool) -> tuple[np.ndarray, list[float]]:
    w = rng.integers(-127, 128, size=shape)
    eff = _effective(kind, rng, channels if per_channel else 1)
    scales = [float(np.float32(e * out_scale / in_scale)) for e in eff]
    return w, scales


def _bias(act: str, channels: int, scale: float | list[float], values: np.ndarray,
          override: np.ndarray | None) -> TensorSpec:
    """int32 bias for int8 ops; int64 for int16x8 (`override`, or the values x 64)."""
    if act == "int16":
        data = np.asarray(override if override is not None else values * 64, dtype=np.int64)
        return TensorSpec((channels,), "int64", scale=scale, data=data)
    return TensorSpec((channels,), "int32", scale=scale, data=values)


def conv_model(seed: int, n: int, h: int, w: int, cin: int, cout: int, kh: int, kw: int,
               stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
               padding: str = "SAME", activation: str = "NONE", in_zp: int = 0, out_zp: int = 0,
               mult_kind: str = "normal", per_channel: bool = True, bias: bool = True,
               saturated_bias: bool = False, groups: int = 1, act: str = "int8",
               bias_data: np.ndarray | None = None, weights_data: np.ndarray | None = None) -> bytes:
    """`saturated_bias`: channels 0 and 1 get biases of +-2^30 (as converters write for
    nearly dead channels), so their outputs are pinned to the clamp limits. `groups`:
    a grouped convolution (each filter reads cin / groups channels). `act="int16"`: the
    int16x8 form (int16 activations, zero points 0, int64 bias, `bias_data` if given).
    `weights_data`: these int8 weights instead of random ones."""
    rng = np.random.default_rng(seed)
    in_scale, out_scale = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.01, 0.2))
    oh = out_size(padding, h, kh, stride[0], dilation[0])
    ow = out_size(padding, w, kw, stride[1], dilation[1])
    wts, scales = _weights_and_scales(rng, (cout, kh, kw, cin // groups), cout, in_scale, out_scale,
                                      mult_kind, per_channel)
    if weights_data is not None:
        wts = np.asarray(weights_data).reshape(wts.shape)
    inputs = [TensorSpec((n, h, w, cin), act, scale=in_scale, zero_point=in_zp),
              TensorSpec((cout, kh, kw, cin // groups), scale=scales, data=wts)]
    bias_values = rng.integers(-5000, 5000, cout)
    if saturated_bias:
        bias_values[:2] = [(1 << 30) - 1, -(1 << 30)][:cout]
    inputs.append(_bias(act, cout, [in_scale * s for s in scales], bias_values, bias_data) if bias else None)
    return single_op_model("CONV_2D", inputs,
                           [TensorSpec((n, oh, ow, cout), act, scale=out_scale, zero_point=out_zp)],
                           {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                            "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
                            "fused_activation_function": activation})


def depthwise_model(seed: int, n: int, h: int, w: int, cin: int, multiplier: int, kh: int, kw: int,
                    stride: tuple[int, int] = (1, 1), dilation: tuple[int, int] = (1, 1),
                    padding: str = "SAME", activation: str = "NONE", in_zp: int = 0,
                    out_zp: int = 0, mult_kind: str = "normal", per_channel: bool = True,
                    act: str = "int8", bias_data: np.ndarray | None = None,
                    weights_data: np.ndarray | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    cout = cin * multiplier
    in_scale, out_scale = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.01, 0.2))
    oh = out_size(padding, h, kh, stride[0], dilation[0])
    ow = out_size(padding, w, kw, stride[1], dilation[1])
    wts, scales = _weights_and_scales(rng, (1, kh, kw, cout), cout, in_scale, out_scale,
                                      mult_kind, per_channel)
    if weights_data is not None:
        wts = np.asarray(weights_data).reshape(wts.shape)
    inputs = [TensorSpec((n, h, w, cin), act, scale=in_scale, zero_point=in_zp),
              TensorSpec((1, kh, kw, cout), scale=scales, axis=3, data=wts),
              _bias(act, cout, [in_scale * s for s in scales], rng.integers(-3000, 3000, cout), bias_data)]
    return single_op_model("DEPTHWISE_CONV_2D", inputs,
                           [TensorSpec((n, oh, ow, cout), act, scale=out_scale, zero_point=out_zp)],
                           {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                            "dilation_h_factor": dilation[0], "dilation_w_factor": dilation[1],
                            "depth_multiplier": multiplier, "fused_activation_function": activation})


def fc_model(seed: int, batch: int, k: int, n_out: int, activation: str = "NONE", in_zp: int = 0,
             out_zp: int = 0, mult_kind: str = "normal", per_channel: bool = False,
             bias: bool = True, act: str = "int8", bias_data: np.ndarray | None = None) -> bytes:
    rng = np.random.default_rng(seed)
    in_scale, out_scale = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.01, 0.2))
    wts, scales = _weights_and_scales(rng, (n_out, k), n_out, in_scale, out_scale, mult_kind,
                                      per_channel)
    inputs = [TensorSpec((batch, k), act, scale=in_scale, zero_point=in_zp),
              TensorSpec((n_out, k), scale=scales if per_channel else scales[0], data=wts)]
    inputs.append(_bias(act, n_out, [in_scale * s for s in scales] if per_channel else in_scale * scales[0],
                        rng.integers(-5000, 5000, n_out), bias_data) if bias else None)
    return single_op_model("FULLY_CONNECTED", inputs,
                           [TensorSpec((batch, n_out), act, scale=out_scale, zero_point=out_zp)],
                           {"fused_activation_function": activation})


def pool_model(op_type: str, seed: int, n: int, h: int, w: int, c: int, fh: int, fw: int,
               stride: tuple[int, int] = (1, 1), padding: str = "VALID",
               activation: str = "NONE", zp: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    scale = float(rng.uniform(0.01, 0.1))
    oh, ow = out_size(padding, h, fh, stride[0]), out_size(padding, w, fw, stride[1])
    return single_op_model(op_type, [TensorSpec((n, h, w, c), scale=scale, zero_point=zp)],
                           [TensorSpec((n, oh, ow, c), scale=scale, zero_point=zp)],
                           {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                            "filter_height": fh, "filter_width": fw,
                            "fused_activation_function": activation})
