"""Fold ops whose result is known at build time into constants.

Models converted from Keras 3 compute shapes at run time (Flatten becomes SHAPE →
STRIDED_SLICE → PACK → RESHAPE). Every tensor shape is static here, so such chains
are evaluated on the host and the device never runs them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgekit.errors import ModelError
from edgekit.ir import Graph, Op

Evaluator = Callable[[Op, list[np.ndarray | None], Graph], np.ndarray]


def _shape(op: Op, values: list, graph: Graph) -> np.ndarray:
    out_type = graph.tensors[op.outputs[0]].dtype
    return np.asarray(graph.tensors[op.inputs[0]].shape, dtype=out_type)


def _strided_slice(op: Op, values: list, graph: Graph) -> np.ndarray:
    data, begin, end, strides = values
    o = op.options
    if o.get("ellipsis_mask") or o.get("new_axis_mask"):
        raise _CannotFold
    if not begin.ndim == end.ndim == strides.ndim == 1 or not len(begin) == len(end) == len(strides):
        raise _CannotFold  # malformed operands: the lowering says what is wrong
    slices: list[int | slice] = []
    for axis in range(len(begin)):
        b = None if (o.get("begin_mask", 0) >> axis) & 1 else int(begin[axis])
        e = None if (o.get("end_mask", 0) >> axis) & 1 else int(end[axis])
        s = int(strides[axis])
        if (o.get("shrink_axis_mask", 0) >> axis) & 1:  # an index, else a slice
            slices.append(int(begin[axis]))
        else:
            slices.append(slice(b, e, s))
    return np.asarray(data[tuple(slices)])


def _pack(op: Op, values: list, graph: Graph) -> np.ndarray:
    return np.stack(values, axis=op.options.get("axis", 0))


def _concatenation(op: Op, values: list, graph: Graph) -> np.ndarray:
    if op.options.get("fused_activation_function", "NONE") != "NONE":
        raise _CannotFold
    return np.concatenate(values, axis=op.options.get("axis", 0))


def _reshape_like(op: Op, values: list, graph: Graph) -> np.ndarray:
    return values[0].reshape(graph.tensors[op.outputs[0]].shape)


def _cast(op: Op, values: list, graph: Graph) -> np.ndarray:
    return values[0].astype(graph.tensors[op.outputs[0]].dtype)


def _fill(op: Op, values: list, graph: Graph) -> np.ndarray:
    return np.full(tuple(int(d) for d in values[0]), values[1])


def _gather(op: Op, values: list, graph: Graph) -> np.ndarray:
    if op.options.get("batch_dims", 0):
        raise _CannotFold  # np.take has no batch dimensions; the device lowering does
    return np.take(values[0], values[1], axis=op.options.get("axis", 0))


def _binary(fn: Callable) -> Evaluator:
    def evaluate(op: Op, values: list, graph: Graph) -> np.ndarray:
        if op.options.get("fused_activation_function", "NONE") != "NONE":
            raise _CannotFold
        if any(v.dtype.kind == "f" or graph.tensors[op.inputs[i]].quant is not None
               for i, v in enumerate(values)):
            raise _CannotFold  # only plain integer shape arithmetic is folded
        return fn(values[0], values[1])

    return evaluate


class _CannotFold(Exception):
    pass


EVALUATORS: dict[str, Evaluator] = {
    "STRIDED_SLICE": _strided_slice, "PACK": _pack, "CONCATENATION": _concatenation,
    "RESHAPE": _reshape_like, "SQUEEZE": _reshape_like, "EXPAND_DIMS": _reshape_like,
    "CAST": _cast, "FILL": _fill, "GATHER": _gather,
    "ADD": _binary(np.add), "SUB": _binary(np.subtract), "MUL": _binary(np.multiply),
}


def fold_constants(graph: Graph) -> Graph:
    """Replace ops computable from constants and static shapes by constant tensors."""
    kept: list[Op] = []
    for op in graph.ops:
        result = _try_fold(op, graph)
        if result is None:
            kept.append(op)
            continue
        out = graph.tensors[op.outputs[0]]
        result = np.asarray(result)
        if result.size != out.num_elements:
            raise ModelError(f"op {op.index} ({op.type}) computes {result.size} values from its constant "
                             f"inputs, but its output {out.name!r} has shape {list(out.shape)}")
        out.data = result.astype(out.dtype).reshape(out.shape)
    graph.ops = kept
    graph.renumber()
    return graph


def _try_fold(op: Op, graph: Graph) -> np.ndarray | None:
    if len(op.outputs) != 1 or op.outputs[0] in graph.outputs:
        return None
    out = graph.tensors[op.outputs[0]]
    if out.quant is not None and out.dtype in ("int8", "uint8", "int16"):
        return None  # quantized activations are the device's work
    if op.type == "SHAPE":
        return _shape(op, [], graph)
    evaluator = EVALUATORS.get(op.type)
    inputs = [graph.tensors[i] if i >= 0 else None for i in op.inputs]
    if evaluator is None or not all(t is not None and t.is_constant for t in inputs):
        return None
    try:
        return evaluator(op, [t.data for t in inputs], graph)  # type: ignore[union-attr]
    except (_CannotFold, ValueError, IndexError):
        return None
