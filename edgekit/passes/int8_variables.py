"""Float variables of int8 models become int8 variables.

The TF converter keeps a stateful model's variables float even in a full-integer model:
each ASSIGN_VARIABLE stores DEQUANTIZE(q), each READ_VARIABLE is QUANTIZEd back with the
same parameters, perhaps after slices or reshapes, and the initialiser (CALL_ONCE)
assigns a float constant. When every use is of that form, the variable holds q itself:
ASSIGN stores q, READ and the slices move int8, the closing QUANTIZE becomes a view,
the constant is quantized as TFLite's QUANTIZE would. DEQUANTIZE(q) then QUANTIZE with
the same scale and zero point gives q back exactly, so the outputs do not change, and
the state region holds a quarter of the bytes.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op, QuantParams

_MOVES = frozenset({"STRIDED_SLICE", "SLICE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS"})


def _params(graph: Graph, tensor: int) -> tuple[float, int] | None:
    q = graph.tensors[tensor].quant
    if graph.tensors[tensor].dtype != "int8" or q is None or q.per_channel:
        return None
    return float(q.scale[0]), int(q.zero_point[0])


def _readers_ok(graph: Graph, tensor: int, params: tuple[float, int], consumers: dict[int, list[Op]],
                found: list[tuple[Graph, Op]]) -> bool:
    """Every reader of float `tensor` moves it on or QUANTIZEs it with `params`."""
    if tensor in graph.outputs:
        return False
    for op in consumers.get(tensor, []):
        if op.type == "QUANTIZE" and _params(graph, op.outputs[0]) == params:
            found.append((graph, op))
        elif op.type in _MOVES and op.inputs[0] == tensor and len(op.outputs) == 1 \
                and graph.tensors[op.outputs[0]].dtype == "float32":
            found.append((graph, op))
            if not _readers_ok(graph, op.outputs[0], params, consumers, found):
                return False
        else:
            return False
    return True


def _quantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    x = values.astype(np.float32) / np.float32(scale)
    rounded = np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))  # TfLiteRound: half away from zero
    return np.clip(rounded + zero_point, -128, 127).astype(np.int8)


def rewrite_int8_variables(main: Graph) -> Graph:
    graphs = main.all_graphs()
    uses: dict[str, list[tuple[Graph, Op]]] = {}
    for graph in graphs:
        for op in graph.ops:
            if op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
                uses.setdefault(str(op.options["variable"]), []).append((graph, op))
    for ops in uses.values():
        _rewrite(ops)
    return main


def _rewrite(ops: list[tuple[Graph, Op]]) -> None:
    params: set[tuple[float, int]] = set()
    sources: list[tuple[Graph, Op, int]] = []  # ASSIGN, the int8 tensor it should store (-1: constant)
    for graph, op in ops:
        if op.type != "ASSIGN_VARIABLE":
            continue
        value = graph.tensors[op.inputs[0]]
        producer = graph.producers().get(value.index)
        if value.dtype != "float32":
            return
        if producer is not None and producer.type == "DEQUANTIZE" and _params(graph, producer.inputs[0]):
            params.add(_params(graph, producer.inputs[0]))  # type: ignore[arg-type]
            sources.append((graph, op, producer.inputs[0]))
        elif value.is_constant and len(graph.consumers().get(value.index, [])) == 1:
            sources.append((graph, op, -1))
        else:
            return
    if len(params) != 1:
        return
    (p,) = params
    moved: list[tuple[Graph, Op]] = []
    reads = [(g, op) for g, op in ops if op.type == "READ_VARIABLE"]
    for graph, op in reads:
        if not _readers_ok(graph, op.outputs[0], p, graph.consumers(), moved):
            return
    quant = QuantParams(scale=np.array([p[0]], dtype=np.float32), zero_point=np.array([p[1]], dtype=np.int64))
    for graph, op, source in sources:
        if source >= 0:
            op.inputs = [source]
        else:
            t = graph.tensors[op.inputs[0]]
            assert t.data is not None
            t.data, t.dtype, t.quant = _quantize(t.data, *p), "int8", quant
    for graph, op in reads + moved:
        if op.type == "QUANTIZE":
            op.type, op.options = "RESHAPE", {}  # int8 in, the same int8 out: a view
            continue
        t = graph.tensors[op.outputs[0]]
        t.dtype, t.quant = "int8", quant
