"""Integer rewrite of float islands: DEQUANTIZE → float element-wise ops → QUANTIZE.

The TF converter leaves some ops in float inside an int8 model (the NEG of Keras'
LayerNormalization is one). When such an island starts from one int8 tensor and only
applies single-input element-wise float ops, its result depends on that int8 value
alone: the host evaluates the island on all 256 inputs, with TFLite's float semantics
step by step, and the island becomes one LOOKUP_TABLE op (ek_lut_s8 on the device).

Semantics mirrored: DEQUANTIZE is float(double(scale) * (x - zp)) (== the float32
product for int8), each op is computed in float32 exactly as the reference kernel does,
QUANTIZE is round-half-away(x / scale) in float32, + zp, saturated. Only ops whose float
result is exactly determined by IEEE float32 (no libm call) are rewritten, so the table
is TFLite's island byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgekit.ir import Graph, Op

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


def _per_tensor_int8(graph: Graph, index: int) -> bool:
    t = graph.tensors[index]
    return t.dtype == "int8" and t.quant is not None and len(t.quant.scale) == 1


def island_table(in_scale: float, in_zp: int, ops: list[str], out_scale: float, out_zp: int) -> np.ndarray:
    """int8 outputs of the island for inputs -128..127."""
    x = np.arange(-128, 128, dtype=np.int64)
    f = (x - in_zp).astype(F32) * F32(in_scale)
    for op_type in ops:
        f = np.asarray(ISLAND_OPS[op_type](f), dtype=F32)
    with np.errstate(invalid="ignore", over="ignore"):
        q = (f / F32(out_scale)).astype(F32)
    q = np.clip(np.nan_to_num(q, nan=0.0), -512, 512)
    rounded = np.sign(q) * np.floor(np.abs(q).astype(np.float64) + 0.5)
    return np.clip(rounded.astype(np.int64) + out_zp, -128, 127).astype(np.int8)


def _island(graph: Graph, start: Op, consumers: dict[int, list[Op]]) -> tuple[list[Op], Op] | None:
    """The element-wise ops and the closing QUANTIZE after DEQUANTIZE `start`, if it is an island."""
    if not (_per_tensor_int8(graph, start.inputs[0]) and graph.tensors[start.outputs[0]].dtype == "float32"):
        return None
    chain: list[Op] = []
    tensor = start.outputs[0]
    while tensor not in graph.outputs and len(consumers.get(tensor, [])) == 1:
        nxt = consumers[tensor][0]
        if len(nxt.outputs) != 1:
            return None  # e.g. ASSIGN_VARIABLE or a control-flow op: not element-wise
        out = nxt.outputs[0]
        if nxt.type == "QUANTIZE" and _per_tensor_int8(graph, out):
            return (chain, nxt) if chain else None
        if (nxt.type not in ISLAND_OPS or nxt.inputs != [tensor] or len(nxt.outputs) != 1
                or graph.tensors[out].dtype != "float32"
                or graph.tensors[out].shape != graph.tensors[tensor].shape):
            return None
        chain.append(nxt)
        tensor = out
    return None


def rewrite_float_islands(graph: Graph) -> Graph:
    consumers = graph.consumers()
    replaced: dict[int, Op] = {}  # DEQUANTIZE index -> its LOOKUP_TABLE op
    dropped: set[int] = set()
    for op in graph.ops:
        if op.type != "DEQUANTIZE" or op.index in dropped:
            continue
        found = _island(graph, op, consumers)
        if found is None:
            continue
        chain, quantize = found
        x, y = graph.tensors[op.inputs[0]], graph.tensors[quantize.outputs[0]]
        assert x.quant is not None and y.quant is not None
        names = [o.type for o in chain]
        table = island_table(float(x.quant.scale[0]), int(x.quant.zero_point[0]), names,
                             float(y.quant.scale[0]), int(y.quant.zero_point[0]))
        replaced[op.index] = Op(index=op.index, type=LOOKUP_TABLE, inputs=[x.index], outputs=[y.index],
                                options={"table": table, "island": " > ".join(["DEQUANTIZE", *names, "QUANTIZE"])})
        dropped.update(o.index for o in (*chain, quantize))
    if replaced:
        graph.ops = [replaced.get(op.index, op) for op in graph.ops if op.index not in dropped]
        graph.renumber()
    return graph
