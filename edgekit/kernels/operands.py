"""C references to an op's inputs when they may be activations or constants of any dtype.

The data-movement lowerings (gather, split, pack...) copy bytes whatever the element
type, so a constant operand goes to flash as its bytes, an activation is {inK}.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import DTYPE_BYTES, Graph, Op, Tensor
from edgekit.kernels.cformat import cname, require
from edgekit.kernels.lowering import ConstArray


def element_bytes(op: Op, t: Tensor) -> int:
    require(t.dtype in DTYPE_BYTES, op, f"tensor {t.name} has unsupported type {t.dtype}")
    return DTYPE_BYTES[t.dtype]


def _activation_ref(graph: Graph, op: Op, position: int) -> str:
    before = [i for i in op.inputs[:position] if i >= 0 and not graph.tensors[i].is_constant]
    return f"{{in{len(before)}}}"


def operand(graph: Graph, op: Op, position: int) -> tuple[str, list[ConstArray]]:
    """C expression of input `position`: {inK} for an activation (K counts activations
    only), else a flash array of the tensor's bytes (returned to add to constants): the
    kernels copy bytes, so one C type serves every element type."""
    t = graph.tensors[op.inputs[position]]
    if not t.is_constant:
        return _activation_ref(graph, op, position), []
    raw = np.ascontiguousarray(np.asarray(t.data, dtype=np.dtype(t.dtype).newbyteorder("<")))
    c = ConstArray(cname(op, f"input{position}"), "uint8_t", raw.reshape(-1).view(np.uint8))
    return f"{{c:{c.name}}}", [c]


def index_operand(graph: Graph, op: Op, position: int, what: str, bound: int | None = None
                  ) -> tuple[str, int, list[ConstArray]]:
    """(C reference, bytes per index, constants) of an int32/int64 index input. Constant
    indices are checked against `bound` here and stored as int32 whatever their type."""
    t = graph.tensors[op.inputs[position]]
    require(t.dtype in ("int32", "int64"), op, f"{what} are {t.dtype}; only int32 and int64 are supported")
    if not t.is_constant:
        return _activation_ref(graph, op, position), DTYPE_BYTES[t.dtype], []
    values = np.asarray(t.data, dtype=np.int64).reshape(-1)
    if bound is not None:
        bad = values[(values < 0) | (values >= bound)]
        require(bad.size == 0, op, f"{what} {bad[:3].tolist()} out of range 0..{bound - 1}")
    c = ConstArray(cname(op, f"input{position}"), "int32_t", values.astype(np.int32))
    return f"{{c:{c.name}}}", 4, [c]
