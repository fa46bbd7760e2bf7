"""What `edgekit inspect` reports about a model: per-op rows and totals, as data."""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edgekit.ir import Graph, Op, Tensor
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
    # What a build does with it: "supported" (an int8/integer kernel, or folded on the
    # host), "float" (the float32 fallback), "unsupported" (`reason` says why), or for a
    # model computing only in float "quantize" (build quantizes it first, with --calib).
    status: str = "supported"
    reason: str = ""
    float_elements: int = 0  # output elements computed in float32 (status "float")


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
    float_ops: int = 0  # ops that run on the float32 fallback
    float_elements: int = 0
    float_macs: int = 0
    unsupported_ops: int = 0
    # The model's other subgraphs (control-flow bodies, initialisers), TFLite subgraph k at k - 1.
    subgraphs: list[ModelSummary] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One line per op a build would refuse (subgraphs included)."""
        own = [o.reason if o.reason.startswith("unsupported op") else f"op {o.index} ({o.type}) is unsupported: {o.reason}"
               for o in self.ops if o.status == "unsupported"]
        return own + [f"{sub.model}: {line}" for sub in self.subgraphs for line in sub.warnings]

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


@dataclass(frozen=True)
class Coverage:
    status: str
    reason: str = ""


FOLDED = Coverage("supported", "folded or rewritten on the host by edgekit's passes")


def _lowering_status(graph: Graph, op: Op) -> Coverage:
    from edgekit.codegen.control import CONTROL_OPS
    from edgekit.errors import EdgekitError
    from edgekit.kernels.lowering import LoweringContext, lower_op
    from edgekit.pipeline import float_compute_ops

    if op.type in CONTROL_OPS:
        return Coverage("supported")  # lowered with its subgraphs (edgekit/codegen/control.py)
    try:
        lowering = lower_op(graph, op, LoweringContext())
    except EdgekitError as exc:
        return Coverage("unsupported", str(exc))
    except Exception as exc:  # noqa: BLE001 - a lowering's own bug must not stop inspect; show it
        return Coverage("unsupported", f"lowering failed: {type(exc).__name__}: {exc}")
    if lowering is None:
        return Coverage("unsupported", f"unsupported op {op.type} at index {op.index}: no kernel for it")
    return Coverage("float") if op in float_compute_ops(graph) else Coverage("supported")


QUANTIZE_FIRST = Coverage("quantize", "a float model: `edgekit build --calib DATA` quantizes it to int8 first")


def op_coverage(graph: Graph) -> dict[int, Coverage]:
    """Each op's fate in a build (portable kernels, TF rounding): lowered after the same
    passes as `build`, and mapped back to the model's ops by the tensors they write. A
    model that computes only in float is quantized before anything runs ("quantize")."""
    from edgekit.errors import EdgekitError
    from edgekit.passes import rewrite_float_islands, run_passes
    from edgekit.pipeline import check_integer_model

    try:
        check_integer_model(rewrite_float_islands(copy.deepcopy(graph)), "")
    except EdgekitError:
        return {op.index: QUANTIZE_FIRST for op in graph.ops}
    try:
        work = run_passes(rewrite_float_islands(copy.deepcopy(graph)))
    except EdgekitError as exc:
        return {op.index: Coverage("unsupported", str(exc)) for op in graph.ops}
    producer = {t: op for op in work.ops for t in op.outputs}
    status = {op.index: _lowering_status(work, op) for op in work.ops}
    result = {}
    for op in graph.ops:
        after = producer.get(op.outputs[0]) if op.outputs else None
        result[op.index] = FOLDED if after is None else status[after.index]
    return result


def summarize(graph: Graph, model: str) -> ModelSummary:
    from edgekit.memory.liveness import liveness_lower_bound

    coverage = op_coverage(graph)
    ops = []
    for op in graph.ops:
        fate = coverage[op.index]
        ops.append(OpSummary(
            index=op.index, type=op.type,
            inputs=[_tensor_summary(t) for t in graph.op_inputs(op) if t is not None and not t.is_constant],
            outputs=[_tensor_summary(t) for t in graph.op_outputs(op)],
            macs=op_macs(graph, op), param_bytes=op_parameter_bytes(graph, op),
            options={k: v for k, v in op.options.items() if isinstance(v, (int, float, str, bool))},
            status=fate.status, reason=fate.reason,
            float_elements=sum(graph.tensors[t].num_elements for t in op.outputs) if fate.status == "float" else 0,
        ))
    floats = [o for o in ops if o.status == "float"]
    weights = sum(t.nbytes for t in graph.tensors if t.is_constant)
    integer_only = all(graph.tensors[i].dtype not in ("float32", "float16", "float64")
                       for op in graph.ops for i in op.inputs + op.outputs if i >= 0)
    return ModelSummary(
        model=model, ops=ops, macs=sum(o.macs for o in ops), weights_bytes=weights,
        activation_lower_bound_bytes=liveness_lower_bound(graph),
        inputs=[_tensor_summary(graph.tensors[i]) for i in graph.inputs],
        outputs=[_tensor_summary(graph.tensors[i]) for i in graph.outputs],
        integer_only=integer_only, float_ops=len(floats), float_elements=sum(o.float_elements for o in floats),
        float_macs=sum(o.macs for o in floats), unsupported_ops=sum(o.status == "unsupported" for o in ops),
        subgraphs=[summarize(sub, f"subgraph {k} ({sub.name})") for k, sub in enumerate(graph.subgraphs, 1)],
    )


def inspect_model(path: str | Path) -> ModelSummary:
    return summarize(load_tflite(path), str(path))
