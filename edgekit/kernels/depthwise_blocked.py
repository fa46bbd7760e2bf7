"""Host side of ek_depthwise_s8_blocked (firmware/kernels/ek_depthwise_blocked.h): the
portable depthwise convolution (depth multiplier 1) of boards without SIMD. The .tflite's
[kh*kw][C] int8 weights, the plain bias for border pixels and the bias with the input
zero point folded in for interior ones."""

from __future__ import annotations

import numpy as np

from edgekit.ir import Op
from edgekit.kernels.cformat import c_struct, cname
from edgekit.kernels.conv_common import ConvGeometry, wrap_int32
from edgekit.kernels.lowering import ConstArray, ConstStruct, OpLowering


def blocked_depthwise_lowering(op: Op, geo: ConvGeometry, w: np.ndarray, bias: np.ndarray,
                               mult: np.ndarray, shift: np.ndarray, in_zp: int, out_zp: int,
                               act: tuple[int, int]) -> OpLowering:
    """ek_depthwise_s8_blocked for weights `w` [kh*kw, C]."""
    taps, chans = w.shape
    kh, kw = geo.kernel_hw
    names = {k: cname(op, k) for k in ("w", "bias", "bfold", "mult", "shift", "params")}
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["w"], "int8_t", w.reshape(-1).astype(np.int8)),
        ConstArray(names["bias"], "int32_t", bias),
        ConstArray(names["bfold"], "int32_t", wrap_int32(bias - in_zp * w.sum(axis=0))),
        ConstArray(names["mult"], "int32_t", mult),
        ConstArray(names["shift"], "int32_t", shift)]
    init = c_struct(**geo.c_fields((1, kh, kw, chans)), input_offset=-in_zp, output_offset=out_zp,
                    act=c_struct(min=act[0], max=act[1]), weights=f"{{c:{names['w']}}}",
                    bias=f"{{c:{names['bias']}}}", bias_folded=f"{{c:{names['bfold']}}}",
                    multiplier=f"{{c:{names['mult']}}}", shift=f"{{c:{names['shift']}}}")
    constants.append(ConstStruct(names["params"], "ek_dw_blocked_params_t", init))
    return OpLowering(call=f"ek_depthwise_s8_blocked(&{{c:{names['params']}}}, {{in0}}, {{out0}});",
                      headers=["ek_depthwise_blocked.h"], constants=constants)
