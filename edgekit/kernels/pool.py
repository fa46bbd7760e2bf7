"""AVERAGE_POOL_2D / MAX_POOL_2D lowering (TFLite reference semantics; TFLM agrees)."""

from __future__ import annotations

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require, require_int8, scale_zp
from edgekit.kernels.conv_common import activation_range, dims, nhwc, window
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register

_FUNCTIONS = {"AVERAGE_POOL_2D": "ek_avgpool_s8", "MAX_POOL_2D": "ek_maxpool_s8"}


@register("AVERAGE_POOL_2D", "MAX_POOL_2D")
def lower_pool(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require_int8(op, inp, out)
    _n, in_h, in_w, c = nhwc(inp, op)
    _, out_h, out_w, out_c = nhwc(out, op)
    require(out_c == c, op, "pooling keeps the channel count")
    in_q, out_q = scale_zp(inp), scale_zp(out)
    require(in_q == out_q, op, "input and output quantization must be equal (as TFLite requires)")
    fh, fw = int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    require(fh >= 1 and fw >= 1, op, "filter size must be >= 1")
    win = window(op, (in_h, in_w), (fh, fw), (out_h, out_w))
    act = activation_range(op.options.get("fused_activation_function", "NONE"), out_q[0], out_q[1], op)
    params = cname(op, "params")
    init = c_struct(input=dims(inp.shape), output=dims(out.shape), filter_h=fh, filter_w=fw,
                    win=win.c_init(), act=c_struct(min=act[0], max=act[1]))
    return OpLowering(call=f"{_FUNCTIONS[op.type]}(&{{c:{params}}}, {{in0}}, {{out0}});",
                      headers=["ek_pool.h"], constants=[ConstStruct(params, "ek_pool_params_t", init)])
