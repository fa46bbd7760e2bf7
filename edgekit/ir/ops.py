"""The ops edgekit knows: what `inspect` can describe and count.

Knowing an op (this table) is not the same as running it on a device (the kernels'
lowering registry, edgekit.kernels.lowering): float and shape ops are known so that
`inspect` works on any converted model, and the build passes fold or reject them.
"""

from __future__ import annotations

from collections.abc import Callable

from edgekit.ir.graph import Graph, Op

MacCounter = Callable[[Graph, Op], int]


def _conv_macs(graph: Graph, op: Op) -> int:
    out = graph.tensors[op.outputs[0]]
    weights = graph.tensors[op.inputs[1]]  # [cout, kh, kw, cin_per_group]
    _, kh, kw, cin = weights.shape
    return out.num_elements * kh * kw * cin


def _depthwise_macs(graph: Graph, op: Op) -> int:
    out = graph.tensors[op.outputs[0]]
    weights = graph.tensors[op.inputs[1]]  # [1, kh, kw, cout]
    return out.num_elements * weights.shape[1] * weights.shape[2]


def _fully_connected_macs(graph: Graph, op: Op) -> int:
    out = graph.tensors[op.outputs[0]]
    weights = graph.tensors[op.inputs[1]]  # [units, depth]
    return out.num_elements * weights.shape[-1]


def _transpose_conv_macs(graph: Graph, op: Op) -> int:
    weights = graph.tensors[op.inputs[1]]  # [cout, kh, kw, cin]
    activation = graph.tensors[op.inputs[2]]
    cout, kh, kw, _ = weights.shape
    return activation.num_elements * kh * kw * cout


def _batch_matmul_macs(graph: Graph, op: Op) -> int:
    lhs = graph.tensors[op.inputs[0]]
    out = graph.tensors[op.outputs[0]]
    depth = lhs.shape[-2] if op.options.get("adj_x") else lhs.shape[-1]
    return out.num_elements * depth


def _lstm_macs(graph: Graph, op: Op) -> int:
    """Four gates, each W_x x + W_h h per time step and batch (the nonlinearities not counted)."""
    out = graph.tensors[op.outputs[0]]  # [steps, batches, cells] or [batches, steps, cells]
    n_input = graph.tensors[op.inputs[0]].shape[-1]
    return 4 * out.num_elements * (n_input + out.shape[-1])


def _residual_block_macs(graph: Graph, op: Op) -> int:
    """RESIDUAL_BLOCK (passes/fuse_residual.py): both stride-1 convs, one output pixel
    per pixel of the block's output."""
    out = graph.tensors[op.outputs[0]]
    pixels = out.num_elements // out.shape[-1]
    return pixels * sum(graph.tensors[op.inputs[k]].num_elements for k in (1, 3))


def _svdf_macs(graph: Graph, op: Op) -> int:
    """The feature matmul (filters x inputs) and the time dot (filters x memory) per batch."""
    batches, n_input = graph.tensors[op.inputs[0]].shape[:2]
    n_filter, n_memory = graph.tensors[op.inputs[2]].shape[:2]
    return batches * n_filter * (n_input + n_memory)


MAC_COUNTERS: dict[str, MacCounter] = {
    "CONV_2D": _conv_macs,
    "DEPTHWISE_CONV_2D": _depthwise_macs,
    "FULLY_CONNECTED": _fully_connected_macs,
    "TRANSPOSE_CONV": _transpose_conv_macs,
    "BATCH_MATMUL": _batch_matmul_macs,
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _lstm_macs,
    "RESIDUAL_BLOCK": _residual_block_macs,
    "SVDF": _svdf_macs,
}

# Everything else edgekit can describe. Ops without a MAC counter count 0 MACs, as the
# MLPerf Tiny figures do (ADD, pooling and SOFTMAX are not multiply-accumulates).
KNOWN_OPS: frozenset[str] = frozenset(MAC_COUNTERS) | frozenset({
    "ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM",
    "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D", "MEAN", "SUM", "REDUCE_MAX",
    "REDUCE_MIN", "ARG_MAX", "ARG_MIN",
    "EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL",
    "LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "SELECT", "SELECT_V2",
    "SOFTMAX", "LOG_SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1",
    "RELU_0_TO_1", "LEAKY_RELU", "HARD_SWISH", "PRELU", "ELU", "GELU", "EXP", "SQRT",
    "RSQRT", "ABS", "NEG",
    "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "STRIDED_SLICE", "SLICE",
    "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "PAD", "PADV2", "MIRROR_PAD",
    "SHAPE", "FILL", "GATHER", "TILE", "BROADCAST_TO", "CAST",
    "SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND", "SPACE_TO_DEPTH", "DEPTH_TO_SPACE",
    "RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR",
    "QUANTIZE", "DEQUANTIZE",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "UNIDIRECTIONAL_SEQUENCE_RNN", "SVDF",
}) | frozenset({  # data movement (edgekit/kernels/gather.py, split.py, rearrange.py)
    "EMBEDDING_LOOKUP", "GATHER_ND", "REVERSE_V2", "BROADCAST_ARGS", "ZEROS_LIKE",
    "DYNAMIC_UPDATE_SLICE",
}) | frozenset({  # edgekit/kernels/arith.py, norm.py, reduce_bool.py; float-only in TFLite Micro
    "ADD_N", "CUMSUM", "L2_NORMALIZATION", "REDUCE_ALL", "FLOOR_DIV", "FLOOR_MOD",
    "SQUARE", "SIN", "COS", "LOG",
}) | frozenset({  # control flow and resource variables (edgekit/codegen/control.py)
    "WHILE", "IF", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE",
}) | frozenset({  # float32 only in TFLite Micro, float fallback only here (edgekit/kernels/float32.py)
    "CEIL", "FLOOR", "ROUND",
}) | frozenset({  # custom op TFLite_Detection_PostProcess, float32 (edgekit/kernels/detection.py)
    "DETECTION_POSTPROCESS",
})


def op_macs(graph: Graph, op: Op) -> int:
    counter = MAC_COUNTERS.get(op.type)
    return counter(graph, op) if counter else 0


def op_parameter_bytes(graph: Graph, op: Op) -> int:
    """Bytes of constant inputs (weights, bias, shape operands) this op reads."""
    return sum(graph.tensors[i].nbytes for i in op.inputs if i >= 0 and graph.tensors[i].is_constant)
