"""Host side of ek_conv_s8_blocked (firmware/kernels/ek_conv_blocked.h): the portable
CONV_2D of boards without SIMD. OHWI int8 weights of each output channel pair interleaved
(a zero channel pads an odd count), the input zero point folded into the bias, and per-channel
multipliers and shifts padded the same way; scratch for the 4 gathered columns."""

from __future__ import annotations

import numpy as np

from edgekit.ir import Op
from edgekit.kernels.cformat import c_struct, cname
from edgekit.kernels.conv_common import ConvGeometry, folded_bias, pad_even
from edgekit.kernels.lowering import ConstArray, ConstStruct, OpLowering

PIXELS = 4  # EK_CONV_BLOCKED_PIXELS


def scratch_bytes_blocked(k: int) -> int:
    """Mirror of EK_CONV_BLOCKED_SCRATCH."""
    return PIXELS * k


def blocked_weights(w: np.ndarray) -> np.ndarray:
    """[cout, K] -> int8 [cout/2][K][2] (channel pairs, K interleaved), a zero channel
    appended when cout is odd."""
    cout, k = w.shape
    rows = np.zeros(((cout + 1) // 2 * 2, k), dtype=np.int64)
    rows[:cout] = w
    return rows.reshape(-1, 2, k).transpose(0, 2, 1).reshape(-1).astype(np.int8)


def blocked_conv_lowering(op: Op, geo: ConvGeometry, w: np.ndarray, bias: np.ndarray, mult: np.ndarray,
                          shift: np.ndarray, in_zp: int, out_zp: int, act: tuple[int, int]) -> OpLowering:
    """ek_conv_s8_blocked for OHWI weights `w` [cout, kh, kw, in_c]."""
    cout, kh, kw, in_c = w.shape
    w2d = w.reshape(cout, -1)
    names = {k: cname(op, k) for k in ("bw", "bbias", "bmult", "bshift", "params")}
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["bw"], "int8_t", blocked_weights(w2d)),
        ConstArray(names["bbias"], "int32_t", pad_even(folded_bias(bias, w2d, in_zp))),
        ConstArray(names["bmult"], "int32_t", pad_even(mult)),
        ConstArray(names["bshift"], "int32_t", pad_even(shift))]
    init = c_struct(**geo.c_fields((cout, kh, kw, in_c)), input_zero_point=in_zp, output_offset=out_zp,
                    act=c_struct(min=act[0], max=act[1]), weights=f"{{c:{names['bw']}}}",
                    bias=f"{{c:{names['bbias']}}}", multiplier=f"{{c:{names['bmult']}}}",
                    shift=f"{{c:{names['bshift']}}}")
    constants.append(ConstStruct(names["params"], "ek_conv_blocked_params_t", init))
    return OpLowering(call=f"ek_conv_s8_blocked(&{{c:{names['params']}}}, {{in0}}, {{out0}}, {{scratch}});",
                      headers=["ek_conv_blocked.h"], constants=constants,
                      scratch_bytes=scratch_bytes_blocked(w2d.shape[1]))
