"""Fuse a residual block, CONV_2D -> CONV_2D -> ADD with the block's input as the skip,
into one RESIDUAL_BLOCK op computed row by row (kernels/residual.py).

    y1 = conv_a(x)   y2 = conv_b(y1)   out = add(x, y2)      (either ADD input order)

Done layer by layer, x stays alive while conv_a writes all of y1 and conv_b all of y2: at
least two whole tensors of the block's size. The fused op keeps only the few rows of x and
y1 that the next output row's windows need, and writes out row r over x row r (the ADD's
in-place contract) once no window reads x row r any more, so neither y1 nor y2 exists as a
tensor. Each row is computed by the same conv and ADD kernels as the unfused graph, so the
result is bit-exact with it in both rounding modes: conv_b's int8 output row is requantized
and then added exactly as the ADD does.

Only for ungrouped stride-1, undilated convs with odd filters and SAME padding on int8
NHWC tensors of one batch, channels in whole 16-byte groups (every row and window slot the
kernels see starts 16-byte aligned, as a tensor in the arena does), y1 and y2 read by
nothing else, and only where the rows kept are fewer bytes than y1.
"""

from __future__ import annotations

from edgekit.ir import Graph, Op, Tensor

RESIDUAL_BLOCK = "RESIDUAL_BLOCK"
# options: "conv_a"/"conv_b"/"add": the fused ops' options; "mid": y1's tensor index and
# "conv_out": y2's (kept for their quantization and shape); "skip_first": x is ADD input 0.
# inputs: [x, conv_a filter, conv_a bias or -1, conv_b filter, conv_b bias or -1].

ALIGN = 16


def _conv_ok(graph: Graph, op: Op) -> bool:
    o = op.options
    if op.type != "CONV_2D" or o.get("padding") != "SAME":
        return False
    if any(int(o.get(k, 1)) != 1 for k in ("stride_h", "stride_w", "dilation_h_factor", "dilation_w_factor")):
        return False
    if len(op.inputs) < 2 or op.inputs[0] < 0 or op.inputs[1] < 0:
        return False
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    y = graph.tensors[op.outputs[0]]
    bias = op.inputs[2] if len(op.inputs) > 2 else -1
    if not w.is_constant or (bias >= 0 and not graph.tensors[bias].is_constant):
        return False
    if len(w.shape) != 4 or len(x.shape) != 4 or len(y.shape) != 4 or w.shape[3] != x.shape[3]:
        return False
    return x.dtype == y.dtype == w.dtype == "int8" and w.shape[1] % 2 == 1 and w.shape[2] % 2 == 1


def window_bytes(graph: Graph, op: Op) -> int:
    """Bytes of the rows a conv of the block keeps: filter_h input rows, padded in width."""
    x, w = graph.tensors[op.inputs[0]], graph.tensors[op.inputs[1]]
    return w.shape[1] * (x.shape[2] + w.shape[2] - 1) * x.shape[3]


def _single_reader(graph: Graph, tensor: int, consumers: dict[int, list[Op]]) -> bool:
    return len(consumers.get(tensor, [])) == 1 and tensor not in graph.outputs


def _match(graph: Graph, add: Op, producers: dict[int, Op], consumers: dict[int, list[Op]]) -> tuple[Op, Op, int] | None:
    """(conv_a, conv_b, position of the skip input in the ADD) or None."""
    if add.type != "ADD" or len(add.inputs) != 2 or min(add.inputs) < 0:
        return None
    out = graph.tensors[add.outputs[0]]
    for skip_pos in (0, 1):
        x_index, y2_index = add.inputs[skip_pos], add.inputs[1 - skip_pos]
        conv_b = producers.get(y2_index)
        if conv_b is None or not _conv_ok(graph, conv_b) or not _single_reader(graph, y2_index, consumers):
            continue
        y1_index = conv_b.inputs[0]
        conv_a = producers.get(y1_index)
        if conv_a is None or not _conv_ok(graph, conv_a) or not _single_reader(graph, y1_index, consumers):
            continue
        if conv_a.inputs[0] != x_index:
            continue
        x, y1, y2 = graph.tensors[x_index], graph.tensors[y1_index], graph.tensors[y2_index]
        if x.is_constant or x.shape[0] != 1 or not (x.shape == y2.shape == out.shape) or out.dtype != "int8":
            continue
        if x.shape[1:3] != y1.shape[1:3] or x.shape[3] % ALIGN or y1.shape[3] % ALIGN:
            continue
        kept = window_bytes(graph, conv_a) + window_bytes(graph, conv_b) + out.shape[2] * out.shape[3]
        if kept >= y1.nbytes:
            continue
        return conv_a, conv_b, skip_pos
    return None


def _operands(op: Op) -> list[int]:
    return [op.inputs[1], op.inputs[2] if len(op.inputs) > 2 else -1]


def fuse_residual_blocks(graph: Graph) -> Graph:
    removed: set[int] = set()
    replaced: dict[int, Op] = {}
    for add in graph.ops:
        producers, consumers = graph.producers(), graph.consumers()
        found = _match(graph, add, producers, consumers)
        if found is None or {found[0].index, found[1].index} & removed:
            continue
        conv_a, conv_b, skip_pos = found
        fused = Op(index=add.index, type=RESIDUAL_BLOCK,
                   inputs=[conv_a.inputs[0], *_operands(conv_a), *_operands(conv_b)], outputs=list(add.outputs),
                   options={"conv_a": dict(conv_a.options), "conv_b": dict(conv_b.options),
                            "add": dict(add.options), "mid": conv_b.inputs[0], "conv_out": conv_b.outputs[0],
                            "skip_first": skip_pos == 0})
        removed.update((conv_a.index, conv_b.index))
        replaced[add.index] = fused
    graph.ops = [replaced.get(op.index, op) for op in graph.ops if op.index not in removed]
    graph.renumber()
    return graph


def residual_parts(graph: Graph, op: Op) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """x, y1, y2 and out of a RESIDUAL_BLOCK op."""
    return (graph.tensors[op.inputs[0]], graph.tensors[int(op.options["mid"])],
            graph.tensors[int(op.options["conv_out"])], graph.tensors[op.outputs[0]])
