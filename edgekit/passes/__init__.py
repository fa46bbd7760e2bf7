"""Graph → Graph passes run by `edgekit build`, each checked by ir.validate."""

from __future__ import annotations

from collections.abc import Callable

from edgekit.errors import InternalError, ModelError
from edgekit.ir import Graph, validate
from edgekit.passes.float_islands import rewrite_float_islands
from edgekit.passes.fold_constants import fold_constants
from edgekit.passes.fold_dilated_conv import fold_dilated_conv
from edgekit.passes.fuse_activation import fuse_activations
from edgekit.passes.fuse_residual import fuse_residual_blocks
from edgekit.passes.remove_dead import remove_dead_ops

Pass = Callable[[Graph], Graph]

# In order: shape arithmetic first (it turns RESHAPE shape operands into constants),
# then the patterns that need constant operands, then cleanup. The float-island rewrite
# also runs before the int8 check (edgekit.pipeline), so it is idempotent here.
DEFAULT_PASSES: list[Pass] = [fold_constants, remove_dead_ops, fold_dilated_conv, fuse_activations,
                              fuse_residual_blocks, rewrite_float_islands, remove_dead_ops]


def run_passes(graph: Graph, passes: list[Pass] | None = None) -> Graph:
    """Run the passes in order. The graph was valid when loaded, so an invalid graph
    after a pass is the pass's bug (InternalError), never the model's."""
    subgraphs = graph.subgraphs
    for each in passes or DEFAULT_PASSES:
        graph = each(graph)
        try:
            validate(graph)
        except ModelError as exc:
            name = getattr(each, "__name__", repr(each))
            raise InternalError(f"pass {name} left an invalid graph: {exc.message}") from exc
    # A control-flow body is a graph like any other: its inputs and outputs are the
    # interface its op copies through, which the passes keep as graph inputs/outputs do.
    graph.subgraphs = [run_passes(sub, passes) for sub in subgraphs]
    return graph
