"""Drop ops whose outputs nobody reads (left behind by folding).

Ops that act on state outside the graph (ASSIGN_VARIABLE writes a variable, CALL_ONCE
runs its initialiser) are kept, and so is what they read."""

from __future__ import annotations

from edgekit.ir import Graph

SIDE_EFFECT_OPS = frozenset({"ASSIGN_VARIABLE", "CALL_ONCE"})


def remove_dead_ops(graph: Graph) -> Graph:
    needed = set(graph.outputs)
    kept = []
    for op in reversed(graph.ops):
        if op.type in SIDE_EFFECT_OPS or any(o in needed for o in op.outputs):
            kept.append(op)
            needed.update(i for i in op.inputs if i >= 0)
    graph.ops = list(reversed(kept))
    graph.renumber()
    return graph
