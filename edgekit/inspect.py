"""What `edgekit inspect` reports about a model: per-op rows and totals, as data."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edgekit.ir import Graph, Tensor
from edgekit.ir.ops import op_macs, op_parameter_bytes
from edgekit.load import load_tflite


@dataclass
class TensorSummary:
    name: str
    shape: list[int]
    dtype: str
    quant: str  # for tables: "s=0.5 zp=-3" or "per-channel(8, axis 3)"
    # As numbers, for --json: one scale and zero point per tensor, or per channel.
    scale: list[float] | None = None
    zero_point: list[int] | None = None
    quantized_dimension: int | None = None


@dataclass
class OpSummary:
    index: int
    type: str
    inputs: list[TensorSummary]
    outputs: list[TensorSummary]
    macs: int
    param_bytes: int
    options: dict[str, Any]


@dataclass
class ModelSummary:
    model: str
    ops: list[OpSummary]
    macs: int
    weights_bytes: int
    activation_lower_bound_bytes: int
    inputs: list[TensorSummary]
    outputs: list[TensorSummary]
    integer_only: bool
    # The model's other subgraphs (control-flow bodies, initialisers), TFLite subgraph k at k - 1.
    subgraphs: list[ModelSummary] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _tensor_summary(tensor: Tensor) -> TensorSummary:
    q = tensor.quant
    if q is None:
        return TensorSummary(name=tensor.name, shape=list(tensor.shape), dtype=tensor.dtype, quant="-")
    return TensorSummary(name=tensor.name, shape=list(tensor.shape), dtype=tensor.dtype,
                         quant=q.describe(), scale=[float(v) for v in q.scale],
                         zero_point=[int(v) for v in q.zero_point],
                         quantized_dimension=int(q.axis) if q.per_channel else None)


def summarize(graph: Graph, model: str) -> ModelSummary:
    from edgekit.memory.liveness import liveness_lower_bound

    ops = []
    for op in graph.ops:
        ops.append(OpSummary(
            index=op.index, type=op.type,
            inputs=[_tensor_summary(t) for t in graph.op_inputs(op) if t is not None and not t.is_constant],
            outputs=[_tensor_summary(t) for t in graph.op_outputs(op)],
            macs=op_macs(graph, op), param_bytes=op_parameter_bytes(graph, op),
            options={k: v for k, v in op.options.items() if isinstance(v, (int, float, str, bool))},
        ))
    weights = sum(t.nbytes for t in graph.tensors if t.is_constant)
    integer_only = all(graph.tensors[i].dtype not in ("float32", "float16", "float64")
                       for op in graph.ops for i in op.inputs + op.outputs if i >= 0)
    return ModelSummary(
        model=model, ops=ops, macs=sum(o.macs for o in ops), weights_bytes=weights,
        activation_lower_bound_bytes=liveness_lower_bound(graph),
        inputs=[_tensor_summary(graph.tensors[i]) for i in graph.inputs],
        outputs=[_tensor_summary(graph.tensors[i]) for i in graph.outputs],
        integer_only=integer_only,
        subgraphs=[summarize(sub, f"subgraph {k} ({sub.name})") for k, sub in enumerate(graph.subgraphs, 1)],
    )


def inspect_model(path: str | Path) -> ModelSummary:
    return summarize(load_tflite(path), str(path))
