"""Structural checks of a Graph, run after loading and after every pass."""

from __future__ import annotations

from edgekit.errors import ModelError
from edgekit.ir.graph import DTYPE_BYTES, Graph


def validate(graph: Graph) -> None:
    """Raise ModelError when the graph is not a well-formed schedule.

    Checks: tensor indices in range and equal to their position, known dtypes,
    non-negative shapes, constants whose data matches shape and dtype, every op input
    available before the op runs (graph input, constant or earlier output), every
    tensor written at most once, graph outputs produced.
    """
    count = len(graph.tensors)
    for position, tensor in enumerate(graph.tensors):
        if tensor.index != position:
            raise ModelError(f"tensor {tensor.name!r} has index {tensor.index}, expected {position}")
        if tensor.dtype not in DTYPE_BYTES:
            raise ModelError(f"tensor {tensor.name!r} has unsupported type {tensor.dtype}")
        if any(d < 0 for d in tensor.shape):
            raise ModelError(f"tensor {tensor.name!r} has a dynamic or negative shape {tensor.shape}")
        if tensor.data is not None:
            if tensor.data.size != tensor.num_elements:
                raise ModelError(
                    f"constant tensor {tensor.name!r}: {tensor.data.size} values for shape {tensor.shape}"
                )
            if str(tensor.data.dtype) != tensor.dtype:
                raise ModelError(f"constant tensor {tensor.name!r}: data is {tensor.data.dtype}, not {tensor.dtype}")
        if tensor.quant is not None and len(tensor.quant.scale) != len(tensor.quant.zero_point):
            raise ModelError(f"tensor {tensor.name!r}: {len(tensor.quant.scale)} scales but "
                             f"{len(tensor.quant.zero_point)} zero points")

    for index in list(graph.inputs) + list(graph.outputs):
        if not 0 <= index < count:
            raise ModelError(f"graph input/output refers to missing tensor {index}")

    available = set(graph.inputs) | {t.index for t in graph.tensors if t.is_constant}
    written: set[int] = set()
    for position, op in enumerate(graph.ops):
        if op.index != position:
            raise ModelError(f"op {op.type} has index {op.index}, expected {position}")
        for i in op.inputs:
            if i == -1:
                continue
            if not 0 <= i < count:
                raise ModelError(f"op {op.index} ({op.type}) reads missing tensor {i}")
            if i not in available:
                raise ModelError(
                    f"op {op.index} ({op.type}) reads tensor {graph.tensors[i].name!r} "
                    "before anything writes it"
                )
        for o in op.outputs:
            if not 0 <= o < count:
                raise ModelError(f"op {op.index} ({op.type}) writes missing tensor {o}")
            if o in written or o in graph.inputs or graph.tensors[o].is_constant:
                raise ModelError(f"op {op.index} ({op.type}) writes tensor {graph.tensors[o].name!r} "
                                 "that is already defined")
            written.add(o)
            available.add(o)
    for o in graph.outputs:
        if o not in available:
            raise ModelError(f"graph output {graph.tensors[o].name!r} is never written")
