"""AVERAGE_POOL_2D / MAX_POOL_2D lowering (TFLite reference semantics; TFLM agrees).

DSP boards call the int8 4-channels-per-word kernels (ek_pool_x4.c: SXTAB16 sums, SSUB8/SEL
maxima) when the channels are a multiple of 4 and a window row fits the int16 lanes'
255-value flush; every other layer calls the per-channel loops of ek_pool.c.
"""

from __future__ import annotations

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import (
    activation_range,
    c_struct,
    cname,
    int16_act_range,
    require,
    require_int8,
    require_int16,
    scale_zp,
)
from edgekit.kernels.conv_common import conv_geometry, packed_variant, rows_contract
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register

_FUNCTIONS = {"AVERAGE_POOL_2D": "ek_avgpool_s8", "MAX_POOL_2D": "ek_maxpool_s8"}
X4_MAX_FILTER_W = 255  # one window row per int16-lane flush (255 * 128 < 2^15)


@register("AVERAGE_POOL_2D", "MAX_POOL_2D", memory=rows_contract)
def lower_pool(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require_int8(op, inp, out)
    fw = int(op.options.get("filter_width", 1))
    x4 = packed_variant(ctx.variant) and graph.tensors[op.inputs[0]].shape[-1] % 4 == 0 and fw <= X4_MAX_FILTER_W
    return _pool(graph, op, "s8_x4" if x4 else "s8")


@register("AVERAGE_POOL_2D", "MAX_POOL_2D", memory=rows_contract, activations="int16")
def lower_pool_s16(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require_int16(op, inp)
    require_int16(op, out)
    return _pool(graph, op, "s16")


def _pool(graph: Graph, op: Op, suffix: str) -> OpLowering:
    inp, out = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    fh, fw = int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    require(fh >= 1 and fw >= 1, op, "filter size must be >= 1")
    geo = conv_geometry(graph, op)
    require(geo.output[3] == geo.input[3], op, "pooling keeps the channel count")
    in_q, out_q = scale_zp(inp), scale_zp(out)
    require(in_q == out_q, op, "input and output quantization must be equal (as TFLite requires)")
    act = int16_act_range(op, out_q[0]) if suffix == "s16" else \
        activation_range(op.options.get("fused_activation_function", "NONE"), out_q[0], out_q[1], op)
    params = cname(op, "params")
    fields = geo.c_fields((1, fh, fw, 1))
    init = c_struct(input=fields["input"], output=fields["output"], filter_h=fh, filter_w=fw,
                    win=fields["win"], act=c_struct(min=act[0], max=act[1]))
    pointers = "{in0:int16_t}, {out0:int16_t}" if suffix == "s16" else "{in0}, {out0}"
    function = _FUNCTIONS[op.type].replace("_s8", f"_{suffix}")
    return OpLowering(call=f"{function}(&{{c:{params}}}, {pointers});",
                      headers=["ek_pool_x4.h" if suffix == "s8_x4" else "ek_pool.h"],
                      constants=[ConstStruct(params, "ek_pool_params_t", init)])
