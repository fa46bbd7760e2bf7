"""Integer rewrite of float islands: DEQUANTIZE → float element-wise ops → QUANTIZE.

The TF converter leaves some ops in float inside an int8 model (the NEG of Keras'
LayerNormalization is one). When such an island starts from one int8 tensor and only
applies single-input element-wise float ops, its result depends on that int8 value
alone: the host evaluates the island on all 256 inputs, with TFLite's float semantics
step by step, and the island becomes one LOOKUP_TABLE op (ek_lut_s8 on the device).

Semantics mirrored: DEQUANTIZE is float(double(scale) * (x - zp)) (== the float32
product for int8), each op is computed in float32 exactly as the reference kernel does,
QUANTIZE is round-half-away(x / scale) in float32, + zp, saturated. Ops exactly
determined by IEEE float32 (NEG, ABS, RELU*, SQUARE) are computed with NumPy; ops that
call libm (ELU, EXP, LOG, TANH, LOGISTIC, GELU, SIN, COS, SQRT, RSQRT, LEAKY_RELU) are
evaluated element by element with the C library's own float functions, composed as TF's
float32 kernel composes them (passes/float_math.py), so the table is TFLite's island
byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.passes.float_math import float_unary

F32 = np.float32
LOOKUP_TABLE = "LOOKUP_TABLE"  # options["table"]: int8 outputs for inputs -128..127


def _relu_range(lo: float | None, hi: float | None) -> Callable[[np.ndarray], np.ndarray]:
    def fn(x: np.ndarray) -> np.ndarray:
        if lo is not None:
            x = np.maximum(x, F32(lo))
        if hi is not None:
            x = np.minimum(x, F32(hi))
        return x

    return fn


ISLAND_OPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "NEG": lambda x: -x,
    "ABS": np.abs,
    "RELU": _relu_range(0.0, None),
    "RELU6": _relu_range(0.0, 6.0),
    "RELU_N1_TO_1": _relu_range(-1.0, 1.0),
    "SQUARE": lambda x: (x * x).astype(F32),
}


def _island_fn(op_type: str, options: dict) -> Callable[[np.ndarray], np.ndarray] | None:
    exact = ISLAND_OPS.get(op_type)
    if exact is not None:
        return exact
    scalar = float_unary(op_type, options)
    if scalar is None:
        return None
    return lambda x: np.array([scalar(v) for v in np.asarray(x, dtype=F32).reshape(-1)], dtype=F32)


def _per_tensor_int8(graph: Graph, index: int) -> bool:
    t = graph.tensors[index]
    return t.dtype == "int8" and t.quant is not None and len(t.quant.scale) == 1


def island_table(in_scale: float, in_zp: int, ops: list[str] | list[tuple[str, dict]], out_scale: float,
                 out_zp: int) -> np.ndarray:
    """int8 outputs of the island for inputs -128..127; `ops` are op types, or (type,
    options) for ops with options (GELU's approximate, LEAKY_RELU's alpha)."""
    x = np.arange(-128, 128, dtype=np.int64)
    f = (x - in_zp).astype(F32) * F32(in_scale)
    for item in ops:
        op_type, options = (item, {}) if isinstance(item, str) else item
        fn = _island_fn(op_type, options)
        assert fn is not None, op_type
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            f = np.asarray(fn(f), dtype=F32)
    return quantize_like_tflite(f, out_scale, out_zp)


def quantize_like_tflite(f: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """reference_ops::AffineQuantize as TF runs it: static_cast<int32_t>(round(f / scale))
    + zero_point, clamped. In TF's x86-64 build the cast of NaN, an infinity or a value
    outside int32 gives INT32_MIN (cvttss2si) and the int32 sum wraps: such inputs land
    on -128, or on 127 when the zero point is negative (tests/test_float_islands.py
    measures it on TF's QUANTIZE)."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        q = (np.asarray(f, dtype=F32) / F32(scale)).astype(F32).astype(np.float64)
        rounded = np.sign(q) * np.floor(np.abs(q) + 0.5)
    valid = np.isfinite(rounded) & (rounded >= -2.0 ** 31) & (rounded < 2.0 ** 31)
    as_int = np.where(valid, np.nan_to_num(rounded), -2.0 ** 31).astype(np.int64)
    wrapped = (as_int + zero_point + 2 ** 31) % 2 ** 32 - 2 ** 31
    return np.clip(wrapped, -128, 127).astype(np.int8)


def _branch(graph: Graph, first: Op, consumers: dict[int, list[Op]]) -> tuple[list[Op], Op] | None:
    """The element-wise float ops from `first` on and the closing QUANTIZE, if the branch
    of a DEQUANTIZE that starts at `first` is an island."""
    chain: list[Op] = []
    tensor, nxt = first.inputs[0], first
    while True:
        out = nxt.outputs[0] if len(nxt.outputs) == 1 else -1
        if nxt.type == "QUANTIZE" and out >= 0 and _per_tensor_int8(graph, out):
            return (chain, nxt) if chain else None
        if (_island_fn(nxt.type, nxt.options) is None or nxt.inputs != [tensor] or out < 0
                or graph.tensors[out].dtype != "float32"
                or graph.tensors[out].shape != graph.tensors[tensor].shape):
            return None
        chain.append(nxt)
        tensor = out
        if tensor in graph.outputs or len(consumers.get(tensor, [])) != 1:
            return None
        nxt = consumers[tensor][0]


def _islands(graph: Graph, start: Op, consumers: dict[int, list[Op]]) -> tuple[list[tuple[list[Op], Op]], bool]:
    """The island branches after DEQUANTIZE `start`, and whether they are all of its uses
    (then the DEQUANTIZE goes too; otherwise it stays for the other consumers)."""
    if not (_per_tensor_int8(graph, start.inputs[0]) and graph.tensors[start.outputs[0]].dtype == "float32"):
        return [], False
    users = consumers.get(start.outputs[0], [])
    found = [b for b in (_branch(graph, user, consumers) for user in users) if b is not None]
    return found, len(found) == len(users) and start.outputs[0] not in graph.outputs


def _table_op(graph: Graph, dequantize: Op, chain: list[Op], quantize: Op) -> Op:
    x, y = graph.tensors[dequantize.inputs[0]], graph.tensors[quantize.outputs[0]]
    assert x.quant is not None and y.quant is not None
    table = island_table(float(x.quant.scale[0]), int(x.quant.zero_point[0]),
                         [(o.type, o.options) for o in chain],
                         float(y.quant.scale[0]), int(y.quant.zero_point[0]))
    island = " > ".join(["DEQUANTIZE", *(o.type for o in chain), "QUANTIZE"])
    return Op(index=dequantize.index, type=LOOKUP_TABLE, inputs=[x.index], outputs=[y.index],
              options={"table": table, "island": island})


def rewrite_float_islands(graph: Graph) -> Graph:
    """Every island becomes a LOOKUP_TABLE op where its DEQUANTIZE was; a DEQUANTIZE that
    feeds several islands gives one table per island."""
    consumers = graph.consumers()
    tables: dict[int, list[Op]] = {}  # DEQUANTIZE index -> its LOOKUP_TABLE ops
    dropped: set[int] = set()
    for op in graph.ops:
        if op.type != "DEQUANTIZE":
            continue
        branches, all_uses = _islands(graph, op, consumers)
        if not branches:
            continue
        tables[op.index] = [_table_op(graph, op, chain, quantize) for chain, quantize in branches]
        dropped.update(o.index for chain, quantize in branches for o in (*chain, quantize))
        if all_uses:
            dropped.add(op.index)
    if tables:
        ops: list[Op] = []
        for op in graph.ops:
            ops += tables.get(op.index, [])
            if op.index not in dropped:
                ops.append(op)
        graph.ops = ops
        graph.renumber()
    return graph
