"""DEPTHWISE_CONV_2D (depth multiplier 1) for MVE: firmware/kernels/ek_mve_depthwise.c.

Weights [kh * kw][c4] with the channels padded to a multiple of 4 lanes (zeros), the bias
with the input zero point folded in (bias - zp * sum over the taps) for the pixels whose
taps all lie inside the image and the raw bias for the border pixels (which subtract the
zero point from each input: their sum over the inside taps is the reference one),
per-channel multiplier and shift padded the same way; double rounding, as TFLite's
reference depthwise and TFLite Micro both use.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Op
from edgekit.kernels.cformat import c_struct, cname
from edgekit.kernels.conv_common import ConvGeometry, dims, folded_bias
from edgekit.kernels.lowering import ConstArray, ConstStruct, OpLowering
from edgekit.kernels.mve import pad_quads


def mve_depthwise_lowering(op: Op, geo: ConvGeometry, w: np.ndarray, bias: np.ndarray, mult: np.ndarray,
                           shift: np.ndarray, in_zp: int, out_zp: int, act: tuple[int, int]) -> OpLowering:
    """`w` is [kh * kw, channels] (the .tflite 1HWO order); multiplier 1 only."""
    taps, c = w.shape
    c4 = -(-c // 4) * 4
    packed = np.zeros((taps, c4), dtype=np.int8)
    packed[:, :c] = w
    names = {key: cname(op, key) for key in ("mdw", "mdbias", "mdraw", "mdmult", "mdshift", "mdparams")}
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["mdw"], "int8_t", packed.reshape(-1), 16),
        ConstArray(names["mdbias"], "int32_t", pad_quads(folded_bias(bias, w.T, in_zp)), 16),
        ConstArray(names["mdraw"], "int32_t", pad_quads(bias), 16),
        ConstArray(names["mdmult"], "int32_t", pad_quads(mult), 16),
        ConstArray(names["mdshift"], "int32_t", pad_quads(shift), 16)]
    init = c_struct(input=dims(geo.input), output=dims(geo.output), filter_h=geo.kernel_hw[0],
                    filter_w=geo.kernel_hw[1], c4=c4, win=geo.win.c_init(), input_zero_point=in_zp,
                    output_offset=out_zp, right_only=int(bool(np.all(np.asarray(shift) <= 0))), act=c_struct(min=act[0], max=act[1]),
                    weights=f"{{c:{names['mdw']}}}", bias=f"{{c:{names['mdbias']}}}", raw_bias=f"{{c:{names['mdraw']}}}",
                    multiplier=f"{{c:{names['mdmult']}}}", shift=f"{{c:{names['mdshift']}}}")
    constants.append(ConstStruct(names["mdparams"], "ek_mve_dw_params_t", init))
    return OpLowering(call=f"ek_mve_depthwise_s8(&{{c:{names['mdparams']}}}, {{in0}}, {{out0}});",
                      headers=["ek_mve_depthwise.h"], constants=constants)
