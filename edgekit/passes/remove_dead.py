"""Drop ops whose outputs nobody reads (left behind by folding)."""

from __future__ import annotations

from edgekit.ir import Graph


def remove_dead_ops(graph: Graph) -> Graph:
    needed = set(graph.outputs)
    kept = []
    for op in reversed(graph.ops):
        if any(o in needed for o in op.outputs):
            kept.append(op)
            needed.update(i for i in op.inputs if i >= 0)
    graph.ops = list(reversed(kept))
    graph.renumber()
    return graph
