"""The float32 fallback: the ops a mixed model leaves in float, run as TFLite runs them.

The TF converter (with TFLITE_BUILTINS beside TFLITE_BUILTINS_INT8) keeps an op in float
when it has no int8 kernel, between a DEQUANTIZE and a QUANTIZE. These lowerings call
firmware/kernels/ek_float.c, whose kernels repeat the float32 operations of TF's
reference kernels in the same order, with the C library functions TF calls, so the
result is TFLite's, bit for bit (tests/kernels/test_float32.py checks each against TF's
float interpreter). The ops TFLite Micro runs only in float (CEIL, FLOOR, ROUND, SIN,
COS, EXP, LOG, SQRT, SQUARE, L2_POOL_2D, FLOOR_DIV, FLOOR_MOD) are all here, and float
versions of the common ops, ADD_N and CUMSUM among them (the converter keeps those two in
float: TFLite has no int8 kernel for them). Data-movement ops (RESHAPE, CONCATENATION, ...) need no float
kernel: their byte-copying lowerings take any element width.

Everything is decided on the host: shapes, broadcast strides, the clamp of a fused
activation (TF clamps NONE to +-FLT_MAX too), weights as float32 arrays in flash.

On a device, the transcendental ops (SIN, COS, EXP, LOG, TANH, LOGISTIC, ELU, SOFTMAX) use
the firmware's C library, which may differ from the host's glibc by an ULP or two
(firmware/kernels/ek_float.h); all other float ops are bit-exact there too.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.activation import elementwise_contract
from edgekit.kernels.arith import cumsum_fields
from edgekit.kernels.cformat import c_float, c_struct, cname, input_refs, require
from edgekit.kernels.compare import bcast3_constant
from edgekit.kernels.conv_common import conv_geometry
from edgekit.kernels.elementwise import binary_contract
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register_float
from edgekit.kernels.quant import ACTIVATION_BOUNDS
from edgekit.kernels.reduce import constant_axes, reduce_space, space_initializer

HEADER = "ek_float.h"
FLT_MAX = float(np.finfo(np.float32).max)

# op type -> the ek_float.c function (one per op: a build links only the libm it uses)
UNARY = {name: f"ek_f32_{name.lower()}" for name in (
    "ABS", "NEG", "CEIL", "FLOOR", "ROUND", "SIN", "COS", "EXP", "LOG", "SQRT", "RSQRT", "SQUARE",
    "TANH", "LOGISTIC", "ELU", "HARD_SWISH", "LEAKY_RELU", "RELU")}
CLAMPS = {"RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0), "RELU_0_TO_1": (0.0, 1.0)}  # ek_f32_clamp
BINARY = {name: f"ek_f32_{name.lower()}" for name in (
    "ADD", "SUB", "MUL", "DIV", "MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE", "FLOOR_DIV", "FLOOR_MOD")}
_FUSED = ("ADD", "SUB", "MUL", "DIV")  # the binary ops with a fused activation
# Data movement whose byte-copying lowering (kernels/shape.py) takes float32 tensors too.
FLOAT_COPY_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "CONCATENATION")


def require_float(op: Op, *tensors: Tensor) -> None:
    for t in tensors:
        require(t.dtype == "float32", op, f"tensor {t.name} is {t.dtype}; the float kernel needs float32")


def act_f32(op: Op, fused: bool = True) -> str:
    """ek_act_f32_t of the op's fused activation (CalculateActivationRange<float>)."""
    if not fused:
        return c_struct(on=0, min=c_float(0.0), max=c_float(0.0))
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    require(act in ACTIVATION_BOUNDS, op, f"fused activation {act} is not supported")
    lo, hi = ACTIVATION_BOUNDS[act]
    return c_struct(on=1, min=c_float(-FLT_MAX if lo is None else lo), max=c_float(FLT_MAX if hi is None else hi))


def _io(graph: Graph, op: Op) -> tuple[Tensor, Tensor]:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require_float(op, x, y)
    return x, y


def _refs(graph: Graph, op: Op) -> tuple[list[str], list[ConstArray]]:
    """Activations as `(const float *){inK}`, constants as float arrays in flash."""
    refs, consts = input_refs(graph, op, ctype="float")
    return [r if r.startswith("{c:") else f"(const float *){r}" for r in refs], consts


@register_float(*UNARY, *CLAMPS, memory=elementwise_contract)
def lower_unary_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = _io(graph, op)
    require(x.num_elements == y.num_elements, op, f"{x.shape} -> {y.shape} is not element-wise")
    lo, hi = CLAMPS.get(op.type, (0.0, 0.0))
    fn = UNARY.get(op.type, "ek_f32_clamp")
    alpha = float(op.options.get("alpha", 0.0)) if op.type == "LEAKY_RELU" else 0.0
    params = ConstStruct(cname(op, "params"), "ek_f32_unary_params_t",
                         c_struct(alpha=c_float(alpha), clamp_lo=c_float(lo), clamp_hi=c_float(hi)))
    return OpLowering(call=f"{fn}(&{{c:{params.name}}}, (const float *){{in0}}, (float *){{out0}}, "
                           f"{y.num_elements});", headers=[HEADER], constants=[params])


@register_float(*BINARY, memory=binary_contract)
def lower_binary_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    a, b, y = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]], graph.tensors[op.outputs[0]]
    require_float(op, a, b, y)
    bcast = bcast3_constant(op, [tuple(a.shape), tuple(b.shape)], y)
    act = ConstStruct(cname(op, "act"), "ek_act_f32_t", act_f32(op, fused=op.type in _FUSED))
    (ra, rb), consts = _refs(graph, op)
    return OpLowering(call=f"{BINARY[op.type]}(&{{c:{act.name}}}, &{{c:{bcast.name}}}, {ra}, {rb}, "
                           "(float *){out0});", headers=[HEADER], constants=[act, bcast, *consts])


@register_float("FULLY_CONNECTED")
def lower_fully_connected_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = _io(graph, op)
    w = graph.tensors[op.inputs[1]]
    require(w.is_constant and w.dtype == "float32" and len(w.shape) == 2, op,
            "float FULLY_CONNECTED needs constant float32 weights [units, depth]")
    units, depth = (int(d) for d in w.shape)
    require(x.num_elements % depth == 0 and y.num_elements == x.num_elements // depth * units, op,
            f"input {x.shape} and output {y.shape} do not fit weights {w.shape}")
    weights = ConstArray(cname(op, "weights"), "float", np.asarray(w.data, dtype=np.float32))
    consts: list[ConstArray | ConstStruct] = [weights]
    bias_ref = "NULL"
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias = graph.tensors[op.inputs[2]]
        require(bias.is_constant and bias.dtype == "float32" and bias.num_elements == units, op,
                "the bias must be a constant float32 vector of `units` values")
        consts.append(ConstArray(cname(op, "bias"), "float", np.asarray(bias.data, dtype=np.float32)))
        bias_ref = f"{{c:{consts[-1].name}}}"
    params = ConstStruct(cname(op, "params"), "ek_f32_fc_params_t",
                         c_struct(rows=x.num_elements // depth, depth=depth, units=units,
                                  weights=f"{{c:{weights.name}}}", bias=bias_ref, act=act_f32(op)))
    return OpLowering(call=f"ek_f32_fully_connected(&{{c:{params.name}}}, (const float *){{in0}}, "
                           "(float *){out0});", headers=[HEADER], constants=[*consts, params])


@register_float("SOFTMAX")
def lower_softmax_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = _io(graph, op)
    require(tuple(x.shape) == tuple(y.shape) and len(x.shape) >= 1, op, "SOFTMAX keeps the shape")
    depth = int(x.shape[-1])
    beta = c_float(float(op.options.get("beta", 1.0)))
    return OpLowering(call=f"ek_f32_softmax((const float *){{in0}}, (float *){{out0}}, "
                           f"{x.num_elements // max(depth, 1)}, {depth}, {beta});", headers=[HEADER])


@register_float("MEAN", "SUM")
def lower_reduce_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = _io(graph, op)
    require(x.num_elements > 0, op, "empty input")
    space = reduce_space(tuple(int(d) for d in x.shape), constant_axes(graph, op, len(x.shape)))
    require(y.num_elements == int(np.prod(space.keep_dims)), op,
            f"output shape {y.shape} does not match the reduction of {x.shape}")
    shape = ConstStruct(cname(op, "shape"), "ek_reduce_shape_t", space_initializer(space))
    return OpLowering(call=f"ek_f32_reduce(&{{c:{shape.name}}}, {int(op.type == 'MEAN')}, "
                           "(const float *){in0}, (float *){out0});", headers=[HEADER], constants=[shape])


@register_float("L2_POOL_2D")
def lower_l2_pool_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    _io(graph, op)
    fh, fw = int(op.options.get("filter_height", 1)), int(op.options.get("filter_width", 1))
    require(fh >= 1 and fw >= 1, op, "filter size must be >= 1")
    geo = conv_geometry(graph, op)
    require(geo.output[3] == geo.input[3], op, "pooling keeps the channel count")
    fields = geo.c_fields((1, fh, fw, 1))
    params = ConstStruct(cname(op, "params"), "ek_f32_pool_params_t",
                         c_struct(input=fields["input"], output=fields["output"], filter_h=fh, filter_w=fw,
                                  win=fields["win"], act=act_f32(op)))
    return OpLowering(call=f"ek_f32_l2_pool(&{{c:{params.name}}}, (const float *){{in0}}, (float *){{out0}});",
                      headers=[HEADER], constants=[params])


@register_float("ADD_N", memory=binary_contract)
def lower_add_n_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    y = graph.tensors[op.outputs[0]]
    tensors = [graph.tensors[i] for i in op.inputs]
    require_float(op, *tensors, y)
    require(all(tuple(t.shape) == tuple(y.shape) for t in tensors), op, "every input needs the output's shape")
    refs, arrays = _refs(graph, op)
    consts: list[ConstArray | ConstStruct] = [*arrays]
    call = (f"{{ const float *const ins[] = {{{', '.join(refs)}}};\n"
            f"  ek_f32_add_n(ins, {len(refs)}, {y.num_elements}, (float *){{out0}}); }}")
    return OpLowering(call=call, headers=[HEADER], constants=consts)


@register_float("CUMSUM", memory=elementwise_contract)
def lower_cumsum_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    _io(graph, op)
    params = ConstStruct(cname(op, "params"), "ek_f32_cumsum_params_t", c_struct(**cumsum_fields(graph, op)))
    return OpLowering(call=f"ek_f32_cumsum(&{{c:{params.name}}}, (const float *){{in0}}, (float *){{out0}});",
                      headers=[HEADER], constants=[params])


_RNN_ACTIVATIONS = {"NONE": "EK_F32_RNN_NONE", "RELU": "EK_F32_RNN_RELU", "RELU_N1_TO_1": "EK_F32_RNN_RELU1",
                    "RELU6": "EK_F32_RNN_RELU6", "TANH": "EK_F32_RNN_TANH"}


def rnn_variant(graph: Graph, op: Op) -> str | None:
    """What edgekit cannot run about this UNIDIRECTIONAL_SEQUENCE_RNN (None: the float cell).
    TF's reference kernel has a float and a hybrid form (int8 weights, float activations,
    the input and hidden state quantized on the fly); TFLite Micro has neither."""
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    if x.dtype == "float32" and w.dtype in ("int8", "uint8"):
        return "hybrid variant (int8 weights, float activations)"
    if x.dtype != "float32":
        return f"{x.dtype} variant (TFLite has no integer RNN kernel; only the float32 cell runs)"
    return None


def check_rnn(graph: Graph, op: Op) -> None:
    """The one-line error naming the op, its index and the variant edgekit cannot run."""
    variant = rnn_variant(graph, op)
    require(variant is None, op, f"{variant} is not supported; edgekit runs the float32 RNN cell "
            "(float weights and activations) on its float fallback")


@register_float("UNIDIRECTIONAL_SEQUENCE_RNN")
def lower_sequence_rnn_f32(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    check_rnn(graph, op)
    x, y = _io(graph, op)
    w_in, w_rec, bias, hidden = (graph.tensors[op.inputs[k]] for k in (1, 2, 3, 4))
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    require(act in _RNN_ACTIVATIONS, op, f"fused activation {act} is not supported")
    require(hidden.variable and not hidden.is_constant and hidden.dtype == "float32", op,
            "the hidden state must be a float32 variable tensor")
    require(len(x.shape) == 3 and len(w_in.shape) == 2, op, "the input must be a 3-D sequence")
    time_major = bool(op.options.get("time_major", False))
    steps, batches = (x.shape[0], x.shape[1]) if time_major else (x.shape[1], x.shape[0])
    units, n_input = (int(d) for d in w_in.shape)
    require(n_input == x.shape[2] and tuple(w_rec.shape) == (units, units) and bias.num_elements == units, op,
            f"weights {w_in.shape}, {w_rec.shape} and bias {bias.shape} do not fit input {x.shape}")
    require(tuple(y.shape) == (*x.shape[:2], units) and hidden.num_elements == batches * units, op,
            "output and hidden state shapes do not match the input's steps, batches and units")
    consts: list[ConstArray | ConstStruct] = []
    for t, what in ((w_in, "input_weights"), (w_rec, "recurrent_weights"), (bias, "bias")):
        require(t.is_constant and t.dtype == "float32", op, f"{what} must be constant float32")
        consts.append(ConstArray(cname(op, what), "float", np.asarray(t.data, dtype=np.float32)))
    params = ConstStruct(cname(op, "params"), "ek_f32_rnn_params_t",
                         c_struct(batches=batches, steps=steps, n_input=n_input, units=units,
                                  time_major=int(time_major), input_weights=f"{{c:{consts[0].name}}}",
                                  recurrent_weights=f"{{c:{consts[1].name}}}", bias=f"{{c:{consts[2].name}}}",
                                  act=_RNN_ACTIVATIONS[act]))
    return OpLowering(call=f"ek_f32_sequence_rnn(&{{c:{params.name}}}, (const float *){{in0}}, (float *){{in1}}, "
                           "(float *){out0});", headers=[HEADER], constants=[*consts, params])
