"""Valid op orders (topological orders of the dataflow) to try when the graph branches."""

from __future__ import annotations

from edgekit.ir import Graph
from edgekit.memory.contract import ContractFn, no_contracts


def dependencies(graph: Graph, contracts: ContractFn = no_contracts) -> list[set[int]]:
    """For each op, the ops whose outputs it reads, and for a sequenced op (one that
    touches state outside the graph) also the sequenced op before it."""
    producer = {t: op.index for op in graph.ops for t in op.outputs}
    deps = [{producer[t] for t in op.inputs if t in producer} for op in graph.ops]
    previous = None
    for op in graph.ops:
        if contracts(op).sequenced:
            if previous is not None:
                deps[op.index].add(previous)
            previous = op.index
    return deps


def topological_orders(graph: Graph, limit: int = 64, contracts: ContractFn = no_contracts) -> list[list[int]]:
    """Up to `limit` distinct valid orders; the graph's own order comes first.

    Depth-first, always preferring the lowest ready op index, so a chain yields exactly one
    order and small branchy graphs (residual blocks) are enumerated completely.
    """
    deps = dependencies(graph, contracts)
    count = len(graph.ops)
    if count > 400:  # keep the recursion shallow; such graphs keep their own order
        return [list(range(count))]
    orders: list[list[int]] = []
    order: list[int] = []
    done = [False] * count

    def visit() -> None:
        if len(orders) >= limit:
            return
        if len(order) == count:
            orders.append(list(order))
            return
        for op in range(count):
            if not done[op] and all(done[d] for d in deps[op]):
                done[op] = True
                order.append(op)
                visit()
                order.pop()
                done[op] = False
                if len(orders) >= limit:
                    return

    visit()
    return orders
