"""The edgekit IR: a flat list of tensors and an op schedule, as in a TFLite subgraph.

Tensors are referred to by their index in `Graph.tensors`; an op input of -1 is an
optional input that is absent. Ops are kept in execution order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

DTYPE_BYTES = {
    "int8": 1, "uint8": 1, "bool": 1, "int16": 2, "float16": 2,
    "int32": 4, "uint32": 4, "float32": 4, "int64": 8, "float64": 8,
}


@dataclass
class QuantParams:
    """Affine quantization: real = scale * (q - zero_point), per tensor or per `axis`."""

    scale: np.ndarray  # float32, one entry per tensor or per channel
    zero_point: np.ndarray  # int64, same length as scale
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1

    def describe(self) -> str:
        if self.per_channel:
            return f"per-channel({len(self.scale)}, axis {self.axis})"
        return f"s={float(self.scale[0]):.6g} zp={int(self.zero_point[0])}"


@dataclass
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: QuantParams | None = None
    data: np.ndarray | None = None  # constant contents; None for activations
    variable: bool = False  # TFLite variable tensor (an op's state): kept from invoke to invoke

    @property
    def is_constant(self) -> bool:
        return self.data is not None

    @property
    def num_elements(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def nbytes(self) -> int:
        return self.num_elements * DTYPE_BYTES[self.dtype]


@dataclass
class Op:
    index: int
    type: str  # TFLite builtin name, e.g. "CONV_2D"
    inputs: list[int]
    outputs: list[int]
    options: dict[str, Any] = field(default_factory=dict)
    intermediates: list[int] = field(default_factory=list)  # TFLite's (LSTM: the gates' scales)


@dataclass
class Graph:
    tensors: list[Tensor]
    ops: list[Op]
    inputs: list[int]
    outputs: list[int]
    name: str = "model"
    # The model's other subgraphs (WHILE/IF bodies, CALL_ONCE initialisers): TFLite
    # subgraph k is subgraphs[k - 1]. Only the main graph (subgraph 0) has them.
    subgraphs: list[Graph] = field(default_factory=list)

    def tensor(self, index: int) -> Tensor:
        return self.tensors[index]

    def op_inputs(self, op: Op) -> list[Tensor | None]:
        return [self.tensors[i] if i >= 0 else None for i in op.inputs]

    def op_outputs(self, op: Op) -> list[Tensor]:
        return [self.tensors[i] for i in op.outputs]

    def producers(self) -> dict[int, Op]:
        """Tensor index -> the op that writes it."""
        return {t: op for op in self.ops for t in op.outputs}

    def consumers(self) -> dict[int, list[Op]]:
        """Tensor index -> the ops that read it, in schedule order."""
        result: dict[int, list[Op]] = {}
        for op in self.ops:
            for t in op.inputs:
                if t >= 0:
                    result.setdefault(t, []).append(op)
        return result

    def state_tensors(self) -> list[int]:
        """Variable tensors an op reads (an LSTM's hidden and cell state): zero at start-up,
        updated in place by their op, kept from one invoke to the next as TF and TFLite
        Micro keep them. Liveness treats them as alive over the whole schedule."""
        read = {i for op in self.ops for i in op.inputs if i >= 0}
        return [t.index for t in self.tensors if t.variable and not t.is_constant and t.index in read]

    def activations(self) -> list[Tensor]:
        """Non-constant tensors that the schedule touches (graph inputs included)."""
        used = set(self.inputs) | set(self.outputs)
        for op in self.ops:
            used.update(i for i in op.inputs if i >= 0)
            used.update(op.outputs)
        return [self.tensors[i] for i in sorted(used) if not self.tensors[i].is_constant]

    def subgraph(self, k: int) -> Graph:
        """TFLite subgraph k (k >= 1) of the model this main graph heads."""
        return self.subgraphs[k - 1]

    def all_graphs(self) -> list[Graph]:
        """The main graph, then every subgraph in file order."""
        return [self, *self.subgraphs]

    def renumber(self) -> None:
        """Make every op's `index` its position in the schedule (after a pass edits it)."""
        for position, op in enumerate(self.ops):
            op.index = position
