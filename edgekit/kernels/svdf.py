"""SVDF lowering: int8 input and feature weights, int16 time weights and activation state.

The full-integer SVDF of Google's streaming keyword models (TF: kernels/svdf.cc with
reference_ops::EvalIntegerSVDF; TFLite Micro: svdf_common.cc, EvalIntegerSvdfReference with
an int16 state). Prepare's two effective scales are float32 products, input_scale *
weights_feature_scale / state_scale and state_scale * weights_time_scale / output_scale, in
both, decomposed by QuantizeMultiplier; both requantize with MultiplyByQuantizedMultiplier,
so one kernel serves both roundings. The feature matmul is a batch-1 FULLY_CONNECTED row
(the input zero point folded into a per-filter bias, as the FC lowering folds it); its
int16 results go straight into the state's newest column.

TF runs the integer form only with a fused RELU, which neither it nor TFLite Micro applies
(the output is clamped to the int8 range); TFLite Micro also runs it with NONE. Both are
accepted and computed the same way. Float, hybrid (float input, int8 weights) and the int8
time-weights/state form TFLite Micro also has stop with one line naming the variant.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import c_struct, cname, require
from edgekit.kernels.conv_common import folded_bias
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier

INPUT, WEIGHTS_FEATURE, WEIGHTS_TIME, BIAS, STATE = range(5)


def svdf_variant(graph: Graph, op: Op) -> str | None:
    """What edgekit cannot run about this SVDF (None: the int8 / int16-state form it runs)."""
    inp, wf = graph.tensors[op.inputs[INPUT]], graph.tensors[op.inputs[WEIGHTS_FEATURE]]
    wt, state = graph.tensors[op.inputs[WEIGHTS_TIME]], graph.tensors[op.inputs[STATE]]
    if inp.dtype == "float32":
        return ("hybrid variant (int8 weights, float activations)" if wf.dtype == "int8"
                else "float variant (float32 weights and activations)")
    if inp.dtype != "int8" or wf.dtype != "int8":
        return f"{inp.dtype} input with {wf.dtype} feature weights (only int8)"
    if wt.dtype != "int16" or state.dtype != "int16":
        return f"{wt.dtype} time weights with an {state.dtype} activation state (only int16)"
    return None


def _scale(t: Tensor, op: Op) -> np.float32:
    require(t.quant is not None and len(t.quant.scale) == 1, op, f"tensor {t.name} needs per-tensor quantization")
    assert t.quant is not None
    return np.float32(t.quant.scale[0])


def _zp(t: Tensor) -> int:
    return int(t.quant.zero_point[0]) if t.quant is not None else 0


def _constant(graph: Graph, op: Op, position: int, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    t = graph.tensors[op.inputs[position]]
    require(t.is_constant and t.dtype == dtype and tuple(t.shape) == shape, op,
            f"input {position} must be a constant {dtype} tensor of shape {list(shape)}")
    assert t.data is not None
    return np.asarray(t.data, dtype=np.int64)


def check_svdf(graph: Graph, op: Op) -> None:
    """The one-line error naming the op, its index and the variant edgekit cannot run."""
    variant = svdf_variant(graph, op)
    require(variant is None, op, f"{variant} is not supported; edgekit runs the int8 SVDF with int16 time "
            "weights and activation state (TF's full-integer SVDF)")


@register("SVDF")
def lower_svdf(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    check_svdf(graph, op)
    inp, out = graph.tensors[op.inputs[INPUT]], graph.tensors[op.outputs[0]]
    wf_t, wt_t, state = (graph.tensors[op.inputs[k]] for k in (WEIGHTS_FEATURE, WEIGHTS_TIME, STATE))
    activation = op.options.get("fused_activation_function", "NONE") or "NONE"
    require(activation in ("NONE", "RELU"), op, f"fused activation {activation}; the integer SVDF takes RELU "
            "or NONE (and clamps to int8 only, as TF and TFLite Micro)")
    require(state.variable and not state.is_constant, op, "the activation state must be a variable tensor")
    require(len(inp.shape) == 2 and len(wf_t.shape) == 2 and len(wt_t.shape) == 2, op,
            "input, weights_feature and weights_time must be 2-D")
    batches, n_input = (int(v) for v in inp.shape)
    n_filter, n_memory = (int(v) for v in wt_t.shape)
    rank = int(op.options.get("rank", 0) or 0)
    require(rank > 0 and n_filter % rank == 0, op, f"rank {rank} does not divide the {n_filter} filters")
    n_unit = n_filter // rank
    wf = _constant(graph, op, WEIGHTS_FEATURE, "int8", (n_filter, n_input))
    wt = _constant(graph, op, WEIGHTS_TIME, "int16", (n_filter, n_memory))
    has_bias = len(op.inputs) > BIAS and op.inputs[BIAS] >= 0
    bias = _constant(graph, op, BIAS, "int32", (n_unit,)) if has_bias else None
    require(tuple(state.shape) == (batches, n_memory * n_filter), op,
            f"activation state must be [{batches}, {n_memory * n_filter}] (batches, memory x filters)")
    require(out.dtype == "int8" and tuple(out.shape) == (batches, n_unit), op,
            f"output must be int8 [{batches}, {n_unit}] (batches, units)")
    require(_zp(state) == 0 and _zp(wf_t) == 0 and _zp(wt_t) == 0, op,
            "the activation state and the weights must be symmetric (zero point 0)")
    in_scale, state_scale = _scale(inp, op), _scale(state, op)
    # TF and TFLite Micro: float32 products, then QuantizeMultiplier in double.
    m1, s1 = quantize_multiplier(float(in_scale * _scale(wf_t, op) / state_scale))
    m2, s2 = quantize_multiplier(float(state_scale * _scale(wt_t, op) / _scale(out, op)))

    names = {k: cname(op, k) for k in ("wf", "fbias", "wt", "bias", "params")}
    constants: list[ConstArray | ConstStruct] = [
        ConstArray(names["wf"], "int8_t", wf.reshape(-1)),
        ConstArray(names["fbias"], "int32_t", folded_bias(np.zeros(n_filter, np.int64), wf, _zp(inp))),
        ConstArray(names["wt"], "int16_t", wt.reshape(-1)),
    ]
    if bias is not None:
        constants.append(ConstArray(names["bias"], "int32_t", bias.reshape(-1)))
    init = c_struct(batches=batches, n_input=n_input, n_filter=n_filter, n_unit=n_unit, rank=rank,
                    n_memory=n_memory, weights_feature=f"{{c:{names['wf']}}}", feature_bias=f"{{c:{names['fbias']}}}",
                    weights_time=f"{{c:{names['wt']}}}",
                    bias=f"{{c:{names['bias']}}}" if bias is not None else "NULL",
                    feature_multiplier=m1, feature_shift=s1, output_multiplier=m2, output_shift=s2,
                    output_zero_point=_zp(out))
    constants.append(ConstStruct(names["params"], "ek_svdf_params_t", init))
    return OpLowering(call=f"ek_svdf_s8(&{{c:{names['params']}}}, {{in0}}, (int16_t *)(void *){{in1}}, {{out0}});",
                      headers=["ek_svdf.h"], constants=constants)
