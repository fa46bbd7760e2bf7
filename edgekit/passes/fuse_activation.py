"""Fuse a standalone RELU/RELU6 into the op that produces its input.

Only when it changes nothing numerically: the activation keeps the producer's
quantization (so it is a pure clamp in the int8 domain), it is the producer's only
reader, and the producer takes a fused activation and has none yet.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph

_FUSABLE_PRODUCERS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "SUB", "MUL",
                      "AVERAGE_POOL_2D", "MAX_POOL_2D"}
_ACTIVATIONS = {"RELU": "RELU", "RELU6": "RELU6", "RELU_N1_TO_1": "RELU_N1_TO_1"}


def fuse_activations(graph: Graph) -> Graph:
    producers = graph.producers()
    consumers = graph.consumers()
    removed: set[int] = set()
    for op in graph.ops:
        if op.type not in _ACTIVATIONS:
            continue
        source = op.inputs[0]
        producer = producers.get(source)
        if producer is None or producer.type not in _FUSABLE_PRODUCERS:
            continue
        if producer.options.get("fused_activation_function", "NONE") != "NONE":
            continue
        if len(consumers.get(source, [])) != 1 or source in graph.outputs:
            continue
        a, b = graph.tensors[source], graph.tensors[op.outputs[0]]
        if a.quant is None or b.quant is None or a.dtype != b.dtype:
            continue
        if not (np.array_equal(a.quant.scale, b.quant.scale)
                and np.array_equal(a.quant.zero_point, b.quant.zero_point)):
            continue
        producer.options["fused_activation_function"] = _ACTIVATIONS[op.type]
        producer.outputs = [op.outputs[0]]
        removed.add(op.index)
    graph.ops = [op for op in graph.ops if op.index not in removed]
    graph.renumber()
    return graph
