"""Scales and zero points for edgekit's own quantizer, chosen the way TF's converter does.

- Weights of CONV_2D / FULLY_CONNECTED (input 1) and DEPTHWISE_CONV_2D: int8, symmetric,
  narrow range -127..127, one scale per output channel (axis 0; axis 3 for depthwise),
  scale = max|w| / 127 (or one scale for the tensor with per_tensor).
- Their bias (input 2): int32, zero point 0, scale = input scale x weight scale per channel.
- Every other float tensor (activations, and float constants used as operands): int8,
  asymmetric from the calibrated min/max, the range widened to include 0, the zero point
  nudged as TF's quantization (from the end of the range with the smaller error).
- Fixed output ranges: LOGISTIC and SOFTMAX 1/256 (zero point -128), TANH 1/128 (0),
  LOG_SOFTMAX 16/256 (127).
- Ops whose int8 kernels need their input and output on the same scale (RESHAPE, pools,
  slices, GATHER, SPLIT, CONCATENATION, PACK, ...) and control flow (a WHILE's inputs, its
  condition's and body's inputs, its body's outputs and its own outputs are one loop
  variable each; an IF's operands and its branches' too) put their tensors in one group,
  which gets the union of the members' ranges, or a fixed range if a member has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgekit.errors import ModelError
from edgekit.quantize.ptq_calib import Ranges

Key = tuple[int, int]  # (subgraph, tensor)

FIXED_OUTPUT = {"LOGISTIC": (1.0 / 256.0, -128), "SOFTMAX": (1.0 / 256.0, -128),
                "TANH": (1.0 / 128.0, 0), "LOG_SOFTMAX": (16.0 / 256.0, 127)}
# op -> which inputs share one scale with all outputs (None: every input).
SAME_SCALE: dict[str, tuple[int, ...] | None] = {
    "RESHAPE": (0,), "SQUEEZE": (0,), "EXPAND_DIMS": (0,), "MAX_POOL_2D": (0,),
    "AVERAGE_POOL_2D": (0,), "STRIDED_SLICE": (0,), "SLICE": (0,), "GATHER": (0,),
    "SPLIT": (1,), "SPLIT_V": (0,), "UNPACK": (0,), "PACK": None, "CONCATENATION": None,
    "TRANSPOSE": (0,), "PAD": (0,), "SPACE_TO_DEPTH": (0,), "DEPTH_TO_SPACE": (0,),
    "RESIZE_NEAREST_NEIGHBOR": (0,), "BATCH_TO_SPACE_ND": (0,), "SPACE_TO_BATCH_ND": (0,),
    "TILE": (0,), "BROADCAST_TO": (0,), "REVERSE_V2": (0,), "MAXIMUM": None, "MINIMUM": None,
    "REDUCE_MAX": (0,), "REDUCE_MIN": (0,),
}
# Ops with int8 kernels whose output gets its own calibrated range.
OWN_RANGE = {"ADD", "SUB", "MUL", "MEAN", "SUM", "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU",
             "HARD_SWISH", "PRELU", "SQUARED_DIFFERENCE", "RSQRT", "RESIZE_BILINEAR", "ELU",
             "BATCH_MATMUL", "TRANSPOSE_CONV", "ABS", "NEG", "GELU"}
WEIGHTED = {"CONV_2D": 0, "FULLY_CONNECTED": 0, "DEPTHWISE_CONV_2D": 3}  # op -> channel axis
# Ops that only read float tensors to compare or select; their float inputs become int8 too.
COMPARE = {"LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL", "ARG_MAX",
           "ARG_MIN", "SELECT", "SELECT_V2"}
CONTROL = {"WHILE", "IF"}
KNOWN = set(FIXED_OUTPUT) | set(SAME_SCALE) | OWN_RANGE | set(WEIGHTED) | COMPARE | CONTROL


@dataclass
class Params:
    scale: np.ndarray  # float32, one per channel (or one)
    zero_point: np.ndarray  # int64
    axis: int = 0
    dtype: str = "int8"  # "int8" or "int32" (bias)


def asymmetric(low: float, high: float) -> tuple[float, int]:
    """int8 scale and zero point of the range [low, high], widened to include 0."""
    low, high = min(low, 0.0), max(high, 0.0)
    qmin, qmax = -128.0, 127.0
    if high - low < np.finfo(np.float32).eps:
        return 1.0, 0  # all zeros: any scale; the zero point holds 0 exactly
    # In float32 arithmetic, as TF's quantizer (double arithmetic is 1 ulp off on some ranges).
    scale = np.float32(np.float32(high) - np.float32(low)) / np.float32(qmax - qmin)
    from_min, from_max = qmin - low / float(scale), qmax - high / float(scale)
    zero = from_min if abs(qmin) + abs(low / scale) < abs(qmax) + abs(high / scale) else from_max
    return float(scale), int(np.clip(np.round(zero), qmin, qmax))


def symmetric_per_channel(weights: np.ndarray, axis: int, per_tensor: bool) -> np.ndarray:
    """Scales max|w| / 127 along `axis` (one scale when per_tensor); 1.0 for all-zero channels."""
    if per_tensor:
        peak = np.array([np.max(np.abs(weights))]) if weights.size else np.array([0.0])
    else:
        peak = np.max(np.abs(np.moveaxis(weights, axis, 0).reshape(weights.shape[axis], -1)), axis=1)
    scale = peak.astype(np.float64) / 127.0
    return np.where(scale > 0, scale, 1.0).astype(np.float32)


class _Groups:
    """Union-find over tensor keys."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def find(self, key: Key) -> Key:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a: Key, b: Key) -> None:
        self.parent[self.find(a)] = self.find(b)


def op_name(model: Any, op: Any, schema: Any) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
    return next((k for k, v in vars(schema.BuiltinOperator).items() if v == builtin), str(builtin))


def choose_params(model: Any, schema: Any, ranges: Ranges, *, per_tensor: bool = False) -> dict[Key, Params]:
    """Params of every float tensor of `model` (a schema ModelT)."""
    is_float = {(k, i) for k, g in enumerate(model.subgraphs) for i, t in enumerate(g.tensors)
                if t.type == schema.TensorType.FLOAT32}
    groups = _Groups()
    fixed: dict[Key, tuple[float, int]] = {}
    weights: dict[Key, tuple[int, Key]] = {}  # weight key -> (axis, its op's input key)
    biases: dict[Key, tuple[Key, Key]] = {}  # bias key -> (input key, weight key)

    def key(k: int, i: int) -> Key:
        return (k, int(i))

    for k, graph in enumerate(model.subgraphs):
        for n, op in enumerate(graph.operators or []):
            name = op_name(model, op, schema)
            touched = [key(k, i) for i in [*op.inputs, *op.outputs] if i >= 0 and key(k, i) in is_float]
            if not touched:
                continue
            if name not in KNOWN:
                raise ModelError(f"edgekit's quantizer: op {n} ({name}) of subgraph {k} has float tensors "
                                 "and no int8 rule")
            ins, outs = [int(i) for i in op.inputs], [int(i) for i in op.outputs]
            if name in WEIGHTED:
                weights[key(k, ins[1])] = (WEIGHTED[name], key(k, ins[0]))
                if len(ins) > 2 and ins[2] >= 0:
                    biases[key(k, ins[2])] = (key(k, ins[0]), key(k, ins[1]))
            elif name in FIXED_OUTPUT:
                fixed[key(k, outs[0])] = FIXED_OUTPUT[name]
            elif name in SAME_SCALE:
                shared = SAME_SCALE[name]
                tied = [i for j, i in enumerate(ins) if shared is None or j in shared]
                for i in [*tied, *outs]:
                    if key(k, i) in is_float:
                        groups.union(key(k, i), key(k, tied[0]))
            elif name == "ADD" and _bias_add(graph, ins, outs):
                # The converter's BiasAdd form (a rank-1 operand added to a batch): TF puts the
                # other operand on the output's scale (measured, TF 2.21).
                groups.union(key(k, ins[0]), key(k, outs[0]))
            elif name == "WHILE":
                opts = op.builtinOptions
                cond, body = model.subgraphs[opts.condSubgraphIndex], model.subgraphs[opts.bodySubgraphIndex]
                for j, i in enumerate(ins):
                    for other in (key(k, outs[j]), key(opts.condSubgraphIndex, cond.inputs[j]),
                                  key(opts.bodySubgraphIndex, body.inputs[j]),
                                  key(opts.bodySubgraphIndex, body.outputs[j])):
                        groups.union(other, key(k, i))
            elif name == "IF":
                opts = op.builtinOptions
                for branch in (opts.thenSubgraphIndex, opts.elseSubgraphIndex):
                    sub = model.subgraphs[branch]
                    for j, i in enumerate(ins[1:]):
                        groups.union(key(branch, sub.inputs[j]), key(k, i))
                    for j, i in enumerate(outs):
                        groups.union(key(branch, sub.outputs[j]), key(k, i))
    params: dict[Key, Params] = {}
    activations = [t for t in sorted(is_float) if t not in weights and t not in biases]
    members: dict[Key, list[Key]] = {}
    for t in activations:
        members.setdefault(groups.find(t), []).append(t)
    for root, group in members.items():
        fixes = {fixed[t] for t in group if t in fixed}
        if len(fixes) > 1:
            raise ModelError(f"edgekit's quantizer: tensors {group} must share one scale but come from "
                             f"ops with different fixed output ranges {sorted(fixes)}")
        if fixes:
            scale, zero = fixes.pop()
        else:
            seen = [ranges.values[t] for t in group if t in ranges.values]
            low = min((r[0] for r in seen), default=0.0)
            high = max((r[1] for r in seen), default=0.0)
            scale, zero = asymmetric(low, high)
        for t in group:
            params[t] = Params(np.array([scale], np.float32), np.array([zero], np.int64))
    for t, (axis, _) in weights.items():
        data = constant(model, t)
        if data is None:
            raise ModelError(f"edgekit's quantizer: the weights (tensor {t[1]} of subgraph {t[0]}) are "
                             "not a constant")
        scales = symmetric_per_channel(data, axis, per_tensor)
        params[t] = Params(scales, np.zeros(len(scales), np.int64), axis if len(scales) > 1 else 0)
    for t, (source, weight) in biases.items():
        if source not in params:
            raise ModelError(f"edgekit's quantizer: the input of the op with bias tensor {t[1]} is not float")
        products = params[source].scale.astype(np.float64) * params[weight].scale.astype(np.float64)
        params[t] = Params(products.astype(np.float32), np.zeros(len(products), np.int64), 0, "int32")
    return params


def _bias_add(graph: Any, ins: list[int], outs: list[int]) -> bool:
    rank = [len(graph.tensors[i].shape) for i in ins]
    return len(ins) == 2 and rank[1] == 1 and len(graph.tensors[outs[0]].shape) > 1 and rank[0] > 1


def split_shared_constants(model: Any, schema: Any) -> int:
    """Give every weighted op its own weight and bias tensors (in place); how many were copied.

    The converter shares one tensor between equal float constants (two layers' zero
    biases, say); once quantized, each op's bias has its own scale and bytes."""
    import copy

    copies = 0
    for graph in model.subgraphs:
        seen: set[int] = set()
        for op in graph.operators or []:
            if op_name(model, op, schema) not in WEIGHTED:
                continue
            inputs = [int(i) for i in op.inputs]
            for j in (1, 2):
                if j >= len(inputs) or inputs[j] < 0:
                    continue
                if inputs[j] in seen:
                    graph.tensors.append(copy.deepcopy(graph.tensors[inputs[j]]))
                    inputs[j] = len(graph.tensors) - 1
                    copies += 1
                seen.add(inputs[j])
            op.inputs = np.array(inputs, np.int32)
    return copies


def constant(model: Any, t: Key) -> np.ndarray | None:
    """The float32 value of constant tensor `t`, or None."""
    tensor = model.subgraphs[t[0]].tensors[t[1]]
    data = model.buffers[tensor.buffer].data if tensor.buffer < len(model.buffers) else None
    if data is None or len(data) == 0:
        return None
    return np.frombuffer(bytes(bytearray(data)), np.float32).reshape([int(d) for d in tensor.shape])
