"""Structural checks of a Graph, run after loading and after every pass.

Everything a pass or a lowering may take for granted is checked here once, so that a
corrupt or hand-edited model ends in one ModelError naming the op or tensor instead of an
IndexError or a NaN deep inside a kernel's constant computation.
"""

from __future__ import annotations

import numpy as np

from edgekit.errors import ModelError
from edgekit.ir.graph import DTYPE_BYTES, Graph, Op, Tensor
from edgekit.ir.signatures import SIGNATURES

# Generated C addresses tensors with 32-bit sizes; no microcontroller holds more anyway.
MAX_TENSOR_BYTES = (1 << 31) - 1
_QUANTIZED_INTEGERS = ("int8", "uint8", "int16")
_SMALLEST_SCALE = float(np.finfo(np.float32).tiny)
_INTEGER_RANGES = {name: (int(np.iinfo(name).min), int(np.iinfo(name).max))
                   for name in DTYPE_BYTES if np.dtype(name).kind in "iu"}


def validate(graph: Graph) -> None:
    """Raise ModelError when the graph is not a well-formed schedule.

    Checks: tensor indices in range and equal to their position, known dtypes,
    non-negative shapes, constants whose data matches shape and dtype, quantization
    (finite positive scales, zero points in the dtype's range, per-channel arrays as long
    as their dimension), each op's input/output counts and absent inputs against its
    type's signature, broadcastable element-wise inputs, 8/16-bit integer tensors of
    arithmetic ops quantized, every op input available before the op runs (graph
    input, constant or earlier output), every tensor written at most once, graph
    outputs produced.
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
        if tensor.nbytes > MAX_TENSOR_BYTES:
            raise ModelError(f"tensor {tensor.name!r} of shape {list(tensor.shape)} has {tensor.nbytes:,} bytes, "
                             "more than the 2 GiB a 32-bit target can address")
        _check_quantization(tensor)

    for index in list(graph.inputs) + list(graph.outputs):
        if not 0 <= index < count:
            raise ModelError(f"graph input/output refers to missing tensor {index}")

    available = set(graph.inputs) | {t.index for t in graph.tensors if t.is_constant} | set(graph.state_tensors())
    written: set[int] = set()
    for position, op in enumerate(graph.ops):
        if op.index != position:
            raise ModelError(f"op {op.type} has index {op.index}, expected {position}")
        _check_signature(op)
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
    for op in graph.ops:
        _check_operands(graph, op)


def _check_quantization(tensor: Tensor) -> None:
    q = tensor.quant
    if q is None:
        return
    name = tensor.name
    if len(q.scale) != len(q.zero_point):
        raise ModelError(f"tensor {name!r}: {len(q.scale)} scales but {len(q.zero_point)} zero points")
    scales = np.asarray(q.scale, dtype=np.float32)
    if scales.size == 0:
        raise ModelError(f"tensor {name!r}: quantization without scales")
    # min() of the whole array is NaN if any entry is: one comparison covers both cases.
    if not (_SMALLEST_SCALE <= float(scales.min()) and float(scales.max()) < np.inf):
        k = next(k for k, s in enumerate(scales.tolist()) if not (_SMALLEST_SCALE <= s < np.inf))
        raise ModelError(f"tensor {name!r}: quantization scale[{k}] is {float(scales[k])!r}; "
                         "scales must be finite, positive and normal float32 numbers")
    limits = _INTEGER_RANGES.get(tensor.dtype)
    if limits is not None:
        points = np.asarray(q.zero_point, dtype=np.int64)
        if not (limits[0] <= int(points.min()) and int(points.max()) <= limits[1]):
            k = next(k for k, z in enumerate(points.tolist()) if not limits[0] <= z <= limits[1])
            raise ModelError(f"tensor {name!r}: zero point[{k}] {int(points[k])} is outside "
                             f"{tensor.dtype}'s range [{limits[0]}, {limits[1]}]")
    if len(scales) > 1:
        rank = len(tensor.shape)
        # A per-channel vector's only axis is 0 whatever the file says: TFLite Micro reads
        # biases so (person_detect.tflite's say 3), TF's reference interpreter refuses them.
        axis = 0 if rank == 1 else q.axis
        if not 0 <= axis < rank:
            raise ModelError(f"tensor {name!r} of shape {list(tensor.shape)}: quantized dimension {q.axis} "
                             "is not one of its axes")
        if tensor.shape[axis] != len(scales):
            raise ModelError(f"tensor {name!r} of shape {list(tensor.shape)}: {len(scales)} per-channel scales "
                             f"for the {tensor.shape[axis]} channels of axis {axis}")


def _check_signature(op: Op) -> None:
    """Finite float options; input/output counts and absent inputs against the op type's table entry."""
    where = f"op {op.index} ({op.type})"
    for key, value in op.options.items():
        if isinstance(value, float) and not np.isfinite(value):
            raise ModelError(f"{where}: option {key} is {value}")
    signature = SIGNATURES.get(op.type)
    if signature is None:
        return  # not run by edgekit: the lowering names it as unsupported
    n_in, n_out = len(op.inputs), len(op.outputs)
    if n_in < signature.min_inputs or (signature.max_inputs is not None and n_in > signature.max_inputs):
        raise ModelError(f"{where} has {n_in} input{'s' if n_in != 1 else ''}; "
                         f"{op.type} takes {signature.describe_inputs()}")
    if n_out < signature.min_outputs or (signature.max_outputs is not None and n_out > signature.max_outputs):
        raise ModelError(f"{where} has {n_out} output{'s' if n_out != 1 else ''}; "
                         f"{op.type} writes {signature.describe_outputs()}")
    for position, i in enumerate(op.inputs):
        if i == -1 and position not in signature.optional:
            raise ModelError(f"{where}: required input {position} is absent (-1)")


def _check_operands(graph: Graph, op: Op) -> None:
    """What the tensors of one op must satisfy for its type (after the counts are right)."""
    signature = SIGNATURES.get(op.type)
    if signature is None:
        return
    where = f"op {op.index} ({op.type})"
    if signature.quantized:
        for i in op.inputs + op.outputs:
            t = graph.tensors[i] if i >= 0 else None
            if t is not None and t.dtype in _QUANTIZED_INTEGERS and t.quant is None:
                raise ModelError(f"{where}: {t.dtype} tensor {t.name!r} has no quantization parameters")
    if signature.broadcast:
        a, b = (graph.tensors[i] for i in op.inputs[:2])
        out = graph.tensors[op.outputs[0]]
        try:
            shape = tuple(np.broadcast_shapes(a.shape, b.shape))
        except ValueError:
            raise ModelError(f"{where}: input shapes {list(a.shape)} and {list(b.shape)} do not broadcast") from None
        if shape != tuple(out.shape):
            raise ModelError(f"{where}: output {out.name!r} has shape {list(out.shape)}, "
                             f"the broadcast of its inputs is {list(shape)}")
