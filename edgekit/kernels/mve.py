"""MVE (Helium) lowerings for Cortex-M55/M85: host-side weight layouts and proofs.

The kernels live in firmware/kernels/ek_mve_*.c and run under EK_ARM_MVE; without it the
same layouts run as plain C, which the host tests check. The FULLY_CONNECTED and CONV_2D
lowerings hand over to these when the board's variant has MVE (kernel variant `arm-mve`).

Requantization (ek_mve.h): double rounding is always vectorised (VQRDMULH equals
gemmlowp's SaturatingRoundingDoublingHighMul: both are floor((a*b + 2^30) / 2^31) with the
one overflow saturated; the -1 fix-up of negative lanes turns VRSHL's ties-up into
RoundingDivideByPOT's ties-away). Single rounding (TF's reference FULLY_CONNECTED) is
vectorised when every shift is <= -1, i.e. the total right shift t = 31 - shift >= 32:
with x*m = hi*2^32 + lo (0 <= lo < 2^32), floor((x*m + 2^(t-1)) / 2^t) is
floor((hi + 2^(t-33)) / 2^(t-32)) for t > 32 (VRSHL of VMULH: lo < 2^32 cannot reach the
next multiple) and VRMULH for t = 32. `single_vector_ok` states that condition.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Op
from edgekit.kernels.cformat import c_struct, cname
from edgekit.kernels.conv_common import folded_bias
from edgekit.kernels.lowering import ConstArray, ConstStruct, OpLowering

MVE_LANES = 16  # int8 lanes of one Q register (VMLADAVA)


def single_vector_ok(shift: np.ndarray) -> bool:
    """Four-lane single rounding is exact when every total shift 31 - shift is >= 32."""
    return bool(np.all(np.asarray(shift) <= -1))


def pad_quads(values: np.ndarray) -> np.ndarray:
    """Per-channel int32 values padded to a multiple of 4 lanes (repeating the last one)."""
    v = np.asarray(values, dtype=np.int64).reshape(-1)
    return np.concatenate([v, np.repeat(v[-1:], -v.size % 4)])


def pack_rows(w: np.ndarray) -> tuple[np.ndarray, int]:
    """[rows, K] int8 -> quads of 4 rows (rows and K zero padded to multiples of 4 and 16),
    each quad's 16-byte blocks interleaved [quad][K / 16][4][16]: the kernel walks one
    pointer through a quad and on into the next. Returns the bytes and the padded K."""
    rows, k = w.shape
    kp = -(-k // MVE_LANES) * MVE_LANES
    quads = -(-rows // 4)
    out = np.zeros((quads * 4, kp), dtype=np.int8)
    out[:rows, :k] = w
    blocks = out.reshape(quads, 4, kp // MVE_LANES, MVE_LANES).transpose(0, 2, 1, 3)
    return blocks.reshape(-1), kp


def dot_rows_parts(op: Op, w: np.ndarray, bias: np.ndarray, in_zp: int, mult: np.ndarray,
                   shift: np.ndarray, single: bool, out_zp: int, act: tuple[int, int],
                   batches: int = 1) -> tuple[list[ConstArray | ConstStruct], str]:
    """Constants and the ek_mve_fc_params_t initializer for [rows, K] weights `w`."""
    rows, k = w.shape
    names = {key: cname(op, key) for key in ("mw", "mbias", "mmult", "mshift", "mqp")}
    packed, kp = pack_rows(w)
    folded = pad_quads(folded_bias(bias, w, in_zp))
    right_only = bool(np.all(np.asarray(shift) <= 0))
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["mw"], "int8_t", packed, 16),
        ConstArray(names["mbias"], "int32_t", folded, 16),
        ConstArray(names["mmult"], "int32_t", pad_quads(mult), 16),
        ConstArray(names["mshift"], "int32_t", pad_quads(shift), 16)]
    asm_row = not single and right_only and rows % 4 == 0
    if asm_row:  # ek_mve_fc.h: per quad {bias[4], multiplier[4], shift[4]}
        qp = np.stack([folded.reshape(-1, 4), pad_quads(mult).reshape(-1, 4), pad_quads(shift).reshape(-1, 4)], 1)
        constants.append(ConstArray(names["mqp"], "int32_t", qp.reshape(-1), 16))
    init = c_struct(batches=batches, in_features=k, k_padded=kp, out_c=rows,
                    weights=f"{{c:{names['mw']}}}", bias=f"{{c:{names['mbias']}}}",
                    multiplier=f"{{c:{names['mmult']}}}", shift=f"{{c:{names['mshift']}}}",
                    rounding="EK_ROUND_SINGLE" if single else "EK_ROUND_DOUBLE",
                    vector_rq=int(not single or single_vector_ok(shift)),
                    right_only=int(right_only), output_offset=out_zp,
                    act=c_struct(min=act[0], max=act[1]), qp=f"{{c:{names['mqp']}}}" if asm_row else "NULL")
    return constants, init


def mve_fc_lowering(op: Op, w: np.ndarray, bias: np.ndarray, in_zp: int, mult: np.ndarray,
                    shift: np.ndarray, single: bool, out_zp: int, act: tuple[int, int],
                    batches: int) -> OpLowering:
    """FULLY_CONNECTED int8 [out, K] weights, any batch: ek_mve_fully_connected_s8, no scratch
    (fully_connected.py checks the operands and derives the requantization)."""
    constants, init = dot_rows_parts(op, w, bias, in_zp, mult, shift, single, out_zp, act, batches)
    params = cname(op, "mparams")
    constants.append(ConstStruct(params, "ek_mve_fc_params_t", init))
    return OpLowering(call=f"ek_mve_fully_connected_s8(&{{c:{params}}}, {{in0}}, {{out0}});",
                      headers=["ek_mve_fc.h"], constants=constants)
