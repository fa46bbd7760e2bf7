"""BATCH_MATMUL lowering: int8 x int8 -> int8 as TFLite's reference BatchMatMul (both zero
points applied, one multiplier, double rounding). TF forms the multiplier from the float32
product of the two input scales, TFLite Micro from their double product (`--rounding tflm`). adj_x / adj_y become element strides and broadcast batch dimensions a table
of per-output-batch offsets, so the kernel never transposes or copies an operand.

Either operand may be constant (a flash array, e.g. an einsum with a weight) or an
activation (attention's Q @ K^T and scores @ V). DSP boards pack the RHS at run time into
the int16 ek_gemm.h layout (firmware/kernels/ek_batch_matmul.h): rows of the LHS then run
through the same SMLAD GEMM core as CONV_2D and FULLY_CONNECTED.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, input_refs, require, require_int8, scale_zp
from edgekit.kernels.conv_common import F32, bounded_rq, gemm_cols_bytes, gemm_k_padded, packed_variant
from edgekit.kernels.elementwise import broadcast_strides
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier

BOUNDED_MAX_DEPTH = 16000  # 255 * 255 * 16000 < 2^30


def batch_offsets(lhs_shape: tuple[int, ...], rhs_shape: tuple[int, ...],
                  out_batch: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Element offsets of each output batch's LHS and RHS matrices (numpy broadcasting)."""
    rank = len(out_batch)
    offsets = []
    for shape in (lhs_shape, rhs_shape):
        matrix = int(shape[-1]) * int(shape[-2])
        strides = broadcast_strides(tuple(int(d) for d in shape[:-2]), rank)
        index = np.indices(out_batch, dtype=np.int64).reshape(rank, -1) if rank else np.zeros((0, 1), np.int64)
        offsets.append(matrix * (np.asarray(strides, dtype=np.int64) @ index if rank else np.zeros(1, np.int64)))
    return offsets[0], offsets[1]


def scratch_bytes_packed(k_padded: int, cols: int) -> int:
    """Mirror of ek_batch_matmul_s8_packed_get_buffer_size."""
    pairs = (cols + 1) // 2
    return gemm_cols_bytes(k_padded, cols) + pairs * 2 * k_padded * 2 + pairs * 8 * 4


@register("BATCH_MATMUL")
def lower_batch_matmul(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    lhs, rhs = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    out = graph.tensors[op.outputs[0]]
    require_int8(op, lhs, rhs, out)
    for t in (lhs, rhs, out):
        require(t.quant is not None and len(t.quant.scale) == 1, op, f"tensor {t.name} needs per-tensor quantization")
    require(len(lhs.shape) >= 2 and len(rhs.shape) >= 2 and len(out.shape) >= 2, op,
            "operands must have at least 2 dimensions")
    adj_x, adj_y = bool(op.options.get("adj_x", False)), bool(op.options.get("adj_y", False))
    ls, rs = tuple(int(d) for d in lhs.shape), tuple(int(d) for d in rhs.shape)
    m, k = (ls[-1], ls[-2]) if adj_x else (ls[-2], ls[-1])
    k_rhs, n = (rs[-1], rs[-2]) if adj_y else (rs[-2], rs[-1])
    require(k == k_rhs, op, f"inner dimensions differ ({k} and {k_rhs})")
    try:
        out_batch = tuple(int(d) for d in np.broadcast_shapes(ls[:-2], rs[:-2]))
    except ValueError:
        require(False, op, f"batch dimensions {list(ls[:-2])} and {list(rs[:-2])} do not broadcast")
        raise
    require(tuple(int(d) for d in out.shape) == (*out_batch, m, n), op,
            f"output shape {list(out.shape)} is not {[*out_batch, m, n]}")
    lhs_scale, lhs_zp = scale_zp(lhs)
    rhs_scale, rhs_zp = scale_zp(rhs)
    out_scale, out_zp = scale_zp(out)
    # TF (GetQuantizedConvolutionMultipler): the float32 product of the scales, then double;
    # TFLite Micro: the double product (measured, test_multiplier_product).
    if ctx.rounding == "tflm":
        product = float(lhs_scale) * float(rhs_scale)
    else:
        product = float(F32(lhs_scale) * F32(rhs_scale))
    mult, shift = quantize_multiplier(product / float(F32(out_scale)))
    lhs_off, rhs_off = batch_offsets(ls, rs, out_batch)
    names = {key: cname(op, key) for key in ("lbatch", "rbatch", "mult", "shift", "params")}
    refs, operands = input_refs(graph, op)
    constants: list[ConstArray | ConstStruct] = [*operands]
    constants += [ConstArray(names["lbatch"], "int32_t", lhs_off), ConstArray(names["rbatch"], "int32_t", rhs_off)]
    packed = packed_variant(ctx.variant)
    k_padded = gemm_k_padded(k)
    gemm = "{ 0 }"
    if packed:
        constants += [ConstArray(names["mult"], "int32_t", np.array([mult])),
                      ConstArray(names["shift"], "int32_t", np.array([shift]))]
        gemm = c_struct(out_c=n, k_padded=k_padded, weights_int16=1, weights="NULL", bias="NULL",
                        multiplier=f"{{c:{names['mult']}}}", shift=f"{{c:{names['shift']}}}",
                        per_channel=0, rounding="EK_ROUND_DOUBLE", qp="NULL", output_offset=out_zp,
                        act=c_struct(min=-128, max=127))
    # |acc| <= 255 * 255 * depth (both operands minus their zero points): the bounded
    # requantization (ek_requant_double_bounded) is exact below 2^30 with shift <= -1.
    bounded = packed and k <= BOUNDED_MAX_DEPTH and shift <= -1
    e, rq_round = (int(v) for v in bounded_rq(np.array([shift]), np.array([mult])))
    init = c_struct(batches=len(lhs_off), rows=m, cols=n, depth=k,
                    lhs_batch=f"{{c:{names['lbatch']}}}", rhs_batch=f"{{c:{names['rbatch']}}}",
                    lhs_row_stride=1 if adj_x else k, lhs_depth_stride=m if adj_x else 1,
                    rhs_depth_stride=1 if adj_y else n, rhs_col_stride=k if adj_y else 1,
                    lhs_offset=-lhs_zp, rhs_offset=-rhs_zp, output_offset=out_zp,
                    multiplier=mult, shift=shift, gemm=gemm, bounded=int(bounded),
                    rq_e=e if bounded else 0, rq_round=rq_round if bounded else 0)
    constants.append(ConstStruct(names["params"], "ek_batch_matmul_params_t", init))
    args = f"&{{c:{names['params']}}}, {refs[0]}, {refs[1]}, {{out0}}"
    if packed:
        return OpLowering(call=f"ek_batch_matmul_s8_packed({args}, {{scratch}});", headers=["ek_batch_matmul.h"],
                          constants=constants, scratch_bytes=scratch_bytes_packed(k_padded, n))
    return OpLowering(call=f"ek_batch_matmul_s8({args});", headers=["ek_batch_matmul.h"], constants=constants)
