"""int32 ADD/SUB/MUL on raw values (TFLite's int32 path: no quantization, the fused
activation clamps the int32 result): the loop counters and index arithmetic that
control-flow bodies compute (edgekit/firmware/kernels/ek_int32.c). Each input is the
output's size or a single element."""

from __future__ import annotations

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import input_refs, require
from edgekit.kernels.lowering import OpLowering

_OPS = {"ADD": "EK_I32_ADD", "SUB": "EK_I32_SUB", "MUL": "EK_I32_MUL"}
_INT32_MIN, _INT32_MAX = -(1 << 31), (1 << 31) - 1
_CLAMPS = {"NONE": (_INT32_MIN, _INT32_MAX), "RELU": (0, _INT32_MAX), "RELU6": (0, 6),
           "RELU_N1_TO_1": (-1, 1)}


def lower_int32_binary(graph: Graph, op: Op) -> OpLowering:
    a, b = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    require(op.type in _OPS and a.dtype == b.dtype == y.dtype == "int32", op,
            f"{op.type} of {a.dtype} and {b.dtype} into {y.dtype}; int32 supports ADD, SUB and MUL")
    n = y.num_elements
    for t in (a, b):
        require(t.num_elements in (1, n), op, f"input {t.name} of shape {list(t.shape)} broadcasts other "
                "than as one element; int32 arithmetic supports equal shapes or a scalar")
    act = op.options.get("fused_activation_function") or "NONE"
    require(act in _CLAMPS, op, f"fused activation {act} is not supported on int32")
    lo, hi = _CLAMPS[act]
    refs, consts = input_refs(graph, op, "int32_t")
    strides = [0 if t.num_elements == 1 else 1 for t in (a, b)]
    low = "(-2147483647 - 1)" if lo == _INT32_MIN else str(lo)  # -2147483648 is not a C int literal
    call = (f"ek_arith_s32({_OPS[op.type]}, (const int32_t *){refs[0]}, {strides[0]}, "
            f"(const int32_t *){refs[1]}, {strides[1]}, (int32_t *){{out0}}, {n}, {low}, {hi});")
    return OpLowering(call=call, headers=["ek_int32.h"], constants=list(consts))
