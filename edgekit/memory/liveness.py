"""Liveness: when each activation buffer is alive over an op schedule.

Time is the position of an op in the schedule ("step"). A tensor is alive from the step
that writes it (graph inputs: step 0) to the last step that reads it (graph outputs: the
last step). Constants live in flash and are not buffers. Scratch buffers live during
their own op only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from edgekit.errors import ModelError
from edgekit.ir import Graph, Op
from edgekit.memory.types import Buffer

ScratchFn = Callable[[Op], int]


def no_scratch(op: Op) -> int:
    """For plans without kernels (plan-only reports): no op needs scratch."""
    return 0


def default_order(graph: Graph) -> list[int]:
    return list(range(len(graph.ops)))


def check_order(graph: Graph, order: Sequence[int]) -> None:
    """Raise ModelError unless `order` runs every op once, each after its producers."""
    if sorted(order) != list(range(len(graph.ops))):
        raise ModelError(f"op order {list(order)} is not a permutation of the {len(graph.ops)} ops")
    activations = {t.index for t in graph.activations()}
    written = set(graph.inputs) | set(graph.state_tensors())
    for op_index in order:
        op = graph.ops[op_index]
        for t in op.inputs:
            if t in activations and t not in written:
                raise ModelError(f"op order runs op {op_index} ({op.type}) before tensor "
                                 f"{graph.tensors[t].name!r} is written")
        written.update(op.outputs)


def tensor_lifetimes(graph: Graph, order: Sequence[int] | None = None) -> dict[int, tuple[int, int]]:
    """Activation tensor index -> (first_use, last_use), steps in `order`."""
    order = default_order(graph) if order is None else list(order)
    check_order(graph, order)
    activations = {t.index for t in graph.activations()}
    last_step = max(len(order) - 1, 0)
    first: dict[int, int] = {t: 0 for t in graph.inputs if t in activations}
    last: dict[int, int] = dict(first)
    state = [t for t in graph.state_tensors() if t in activations]
    first.update({t: 0 for t in state})  # state persists between invokes: alive throughout
    for step, op_index in enumerate(order):
        op = graph.ops[op_index]
        for t in op.inputs:
            if t in activations:
                last[t] = step
        for t in op.outputs:
            if t in activations:
                first[t] = step
                last[t] = max(last.get(t, step), step)
    for t in list(graph.outputs) + state:
        if t in activations:
            last[t] = last_step
    return {t: (first[t], last[t]) for t in sorted(first)}


def tensor_buffers(graph: Graph, order: Sequence[int] | None = None) -> list[Buffer]:
    """One buffer per activation tensor, no sharing at all (the TFLite Micro view)."""
    lifetimes = tensor_lifetimes(graph, order)
    return [Buffer(graph.tensors[t].name, graph.tensors[t].nbytes, f, l, (t,))
            for t, (f, l) in lifetimes.items()]


def scratch_buffers(graph: Graph, order: Sequence[int] | None = None,
                    scratch_bytes: ScratchFn = no_scratch) -> list[Buffer]:
    """One buffer per op that asks for scratch, alive during that op only."""
    order = default_order(graph) if order is None else list(order)
    result = []
    for step, op_index in enumerate(order):
        size = int(scratch_bytes(graph.ops[op_index]))
        if size < 0:
            raise ValueError(f"scratch_bytes returned {size} for op {op_index}")
        if size:
            result.append(Buffer(f"scratch:{op_index}", size, step, step, (), op_index))
    return result


def compute_liveness(graph: Graph, order: Sequence[int] | None = None,
                     scratch_bytes: ScratchFn = no_scratch) -> list[Buffer]:
    """Every activation tensor's buffer plus the ops' scratch buffers (no aliasing)."""
    return tensor_buffers(graph, order) + scratch_buffers(graph, order, scratch_bytes)


def live_bytes_per_step(buffers: Sequence[Buffer], steps: int) -> list[int]:
    totals = [0] * max(steps, 1)
    for b in buffers:
        for step in range(b.first_use, b.last_use + 1):
            totals[step] += b.size
    return totals


def liveness_lower_bound(graph: Graph, order: Sequence[int] | None = None) -> int:
    """Peak over steps of the bytes of live activation tensors (no aliasing, no in-place).

    This is the models README's definition; any plan without overlaps needs at least it.
    """
    buffers = tensor_buffers(graph, order)
    return max(live_bytes_per_step(buffers, len(graph.ops)), default=0)
