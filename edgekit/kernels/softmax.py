"""int8 SOFTMAX over the last dimension.

TF 2.21's BUILTIN_REF int8 softmax is the float-table kernel (activations.cc
SoftmaxPrepare -> PopulateSoftmaxLookupTable, optimized_ops::Softmax): a table of
expf(-input_scale * beta * d) for d = max - x in 0..255, a float32 sum in input order,
inv = 1 / (sum * output_scale), out = round(table[d] * inv) + zero_point. The host
builds the table with libm's expf (what TFLite calls); the device repeats the float32
steps (ek_softmax_s8), which IEEE single precision makes bit-exact on any FPU or soft
float. TFLite Micro gave the same bytes on every case measured (tests check both), so
--rounding tflm uses the same kernel.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_float, c_struct, cname, int8_per_tensor, require, scale_zp
from edgekit.kernels.libm import float_function
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import Real

F32 = np.float32


def exp_table(input_scale: Real, beta: Real) -> np.ndarray:
    """PopulateSoftmaxLookupTable, indexed by d = max - x: expf(-scale * beta * d)."""
    scale = F32(F32(-F32(input_scale)) * F32(beta))
    expf = float_function("expf")
    return np.array([expf(float(F32(scale * F32(d)))) for d in range(256)], dtype=np.float32)


def softmax_reference(x: np.ndarray, input_scale: float, beta: float, output_scale: float,
                      output_zp: int) -> np.ndarray:
    """NumPy mirror of the float-table kernel (for tests and documentation)."""
    table = exp_table(input_scale, beta)
    rows = np.asarray(x, dtype=np.int64).reshape(-1, x.shape[-1])
    out = np.empty(rows.shape, dtype=np.int8)
    for r, row in enumerate(rows):
        e = table[row.max() - row]
        total = F32(0)
        for v in e:
            total = F32(total + v)
        inv = F32(F32(1) / F32(total * F32(output_scale)))
        prob = (e * inv).astype(np.float32).astype(np.float64)
        q = np.floor(prob + 0.5).astype(np.int64) + output_zp
        out[r] = np.clip(q, -128, 127)
    return out.reshape(x.shape)


def _float_lowering(graph: Graph, op: Op, outer: int, depth: int) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    s_in, _ = scale_zp(x)
    s_out, zp_out = scale_zp(y)
    table = ConstArray(cname(op, "exp"), "uint32_t",
                       exp_table(s_in, float(op.options.get("beta", 1.0))).view(np.uint32))
    params = ConstStruct(cname(op, "params"), "ek_softmax_params_t", c_struct(
        outer=outer, depth=depth, out_scale=c_float(s_out), out_zero_point=zp_out,
        exp_table=f"{{c:{table.name}}}"))
    return OpLowering(call=f"ek_softmax_s8(&{{c:{params.name}}}, {{in0}}, {{out0}});",
                      headers=["ek_softmax.h"], constants=[table, params])


@register("SOFTMAX")
def lower_softmax(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    int8_per_tensor(graph, op, [x, y])
    require(len(x.shape) >= 1 and tuple(x.shape) == tuple(y.shape), op, "input and output shapes differ")
    s_out, zp_out = scale_zp(y)
    require(float(s_out) == 1.0 / 256 and zp_out == -128, op,
            "int8 SOFTMAX needs output scale 1/256 and zero point -128 (as TFLite)")
    depth = int(x.shape[-1])
    outer = x.num_elements // max(depth, 1)
    return _float_lowering(graph, op, outer, depth)
