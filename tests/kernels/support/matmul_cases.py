"""Single-op models of TRANSPOSE_CONV and BATCH_MATMUL from a few numbers (hypothesis
tests, the QEMU tests and the benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .cases import _bias, _weights_and_scales
from .tflite_builder import TensorSpec, single_op_model


def transpose_out_size(padding: str, size: int, k: int, stride: int) -> int:
    """What Keras Conv2DTranspose (output_padding None) gives: the converter writes it."""
    return size * stride if padding == "SAME" else size * stride + max(k - stride, 0)


def transpose_conv_model(seed: int, n: int, h: int, w: int, cin: int, cout: int, kh: int, kw: int,
                         stride: tuple[int, int] = (1, 1), padding: str = "SAME",
                         activation: str = "NONE", in_zp: int = 0, out_zp: int = 0,
                         mult_kind: str = "normal", per_channel: bool = True, bias: bool = True,
                         out_hw: tuple[int, int] | None = None, act: str = "int8",
                         bias_data: np.ndarray | None = None) -> bytes:
    """`act="int16"`: the int16x8 form (int16 activations, zero points 0, int64 bias)."""
    rng = np.random.default_rng(seed)
    if act == "int16":
        in_zp = out_zp = 0
    in_scale, out_scale = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.01, 0.2))
    oh, ow = out_hw or (transpose_out_size(padding, h, kh, stride[0]),
                        transpose_out_size(padding, w, kw, stride[1]))
    wts, scales = _weights_and_scales(rng, (cout, kh, kw, cin), cout, in_scale, out_scale,
                                      mult_kind, per_channel)
    inputs: list[TensorSpec | None] = [
        TensorSpec((4,), "int32", data=np.array([n, oh, ow, cout])),
        TensorSpec((cout, kh, kw, cin), scale=scales, data=wts),
        TensorSpec((n, h, w, cin), act, scale=in_scale, zero_point=in_zp)]
    if bias:
        inputs.append(_bias(act, cout, [in_scale * s for s in scales], rng.integers(-5000, 5000, cout), bias_data))
    return single_op_model("TRANSPOSE_CONV", inputs,
                           [TensorSpec((n, oh, ow, cout), act, scale=out_scale, zero_point=out_zp)],
                           {"padding": padding, "stride_h": stride[0], "stride_w": stride[1],
                            "fused_activation_function": activation}, version=3 if bias else 2)


def _matmul_shape(batch: Sequence[int], rows: int, cols: int, adjoint: bool) -> tuple[int, ...]:
    return (*batch, cols, rows) if adjoint else (*batch, rows, cols)


def batch_matmul_model(seed: int, lhs_batch: Sequence[int], rhs_batch: Sequence[int], m: int, k: int,
                       n: int, adj_x: bool = False, adj_y: bool = False, lhs_zp: int = 0,
                       rhs_zp: int = 0, out_zp: int = 0, constant_rhs: bool = False,
                       big_multiplier: bool = False,
                       scales: tuple[float, float, float] | None = None) -> bytes:
    """out[..., m, n] = lhs[..., m, k] @ rhs[..., k, n] (transposed operands with adj_*),
    batch dims broadcast as numpy does. `scales`: (lhs, rhs, output) instead of random ones."""
    rng = np.random.default_rng(seed)
    lhs_scale, rhs_scale = float(rng.uniform(0.01, 0.1)), float(rng.uniform(0.01, 0.1))
    effective = 2.0 ** rng.uniform(0.1, 2) if big_multiplier else 2.0 ** rng.uniform(-14, -6)
    out_scale = float(np.float32(lhs_scale * rhs_scale / effective))
    if scales is not None:
        lhs_scale, rhs_scale, out_scale = scales
    out_batch = tuple(int(v) for v in np.broadcast_shapes(tuple(lhs_batch), tuple(rhs_batch)))
    rhs_shape = _matmul_shape(rhs_batch, k, n, adj_y)
    rhs = TensorSpec(rhs_shape, scale=rhs_scale, zero_point=rhs_zp,
                     data=rng.integers(-128, 128, size=rhs_shape) if constant_rhs else None)
    return single_op_model(
        "BATCH_MATMUL", [TensorSpec(_matmul_shape(lhs_batch, m, k, adj_x), scale=lhs_scale, zero_point=lhs_zp),
                         rhs],
        [TensorSpec((*out_batch, m, n), scale=out_scale, zero_point=out_zp)],
        {"adj_x": adj_x, "adj_y": adj_y}, version=1)
