"""The build pipeline shared by `build` and `verify`: load → passes → lower → plan → C.

Everything here is decided on the host; what comes out is the C of one model and the
facts about it (arena, weights, per-op MACs) that the report and the summary print.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from edgekit.boards import Board
from edgekit.codegen.control import ControlLowering
from edgekit.codegen.model import GeneratedModel, generate_model, lower_graph
from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.ir import DTYPE_BYTES, Graph, Op
from edgekit.kernels.lowering import LoweringContext, OpLowering, computes_in_float
from edgekit.load import load_tflite_bytes
from edgekit.memory import MemoryContract, MemoryPlan
from edgekit.passes import rewrite_float_islands, run_passes
from edgekit.passes.int8_variables import rewrite_int8_variables

_INTEGER_TYPES = {"int8", "uint8", "int16", "int32", "int64", "bool"}
# Ops that only move bytes, whatever their type: the TF converter leaves loop variables,
# branch values and variables float (DEQUANTIZE/QUANTIZE at their ends) in int8 models.
_BYTE_MOVERS = {"WHILE", "IF", "READ_VARIABLE", "ASSIGN_VARIABLE", "RESHAPE", "SQUEEZE", "EXPAND_DIMS",
                "STRIDED_SLICE", "SLICE", "CONCATENATION", "PACK", "UNPACK", "SPLIT", "SPLIT_V", "TRANSPOSE",
                "GATHER"}


@dataclass
class CompiledModel:
    model_path: Path
    model_bytes: bytes
    model_hash: str
    graph: Graph  # after passes
    ctx: LoweringContext
    lowered: dict[int, OpLowering]
    plan: ArenaLayout
    generated: GeneratedModel


def lowering_context(board: Board, rounding: str) -> LoweringContext:
    if rounding not in ("tflite", "tflm"):
        raise ModelError(f"unknown rounding {rounding!r}: use 'tflite' (TF reference) or 'tflm'")
    return LoweringContext(rounding=rounding, variant=board.kernel_variant)  # type: ignore[arg-type]


def check_lstm_variant(graph: Graph, op: Op) -> None:
    """A float or hybrid LSTM cell (or a variant edgekit has no kernel for) is named as such."""
    from edgekit.kernels.lstm import check_cell

    check_cell(graph, op)


def check_svdf_variant(graph: Graph, op: Op) -> None:
    """A float, hybrid or int8-state SVDF is named as such (before the float-model check)."""
    from edgekit.kernels.svdf import check_svdf

    check_svdf(graph, op)


def check_rnn_variant(graph: Graph, op: Op) -> None:
    """A hybrid or integer UNIDIRECTIONAL_SEQUENCE_RNN is named as such."""
    from edgekit.kernels.float32 import check_rnn

    check_rnn(graph, op)


# Sequence ops whose float and hybrid forms are named by variant, not as "a float model".
_VARIANT_CHECKS = {"UNIDIRECTIONAL_SEQUENCE_LSTM": check_lstm_variant, "SVDF": check_svdf_variant,
                   "UNIDIRECTIONAL_SEQUENCE_RNN": check_rnn_variant}


def check_integer_model(graph: Graph, source: str, int8_only: bool = False,
                        model_index: dict[int, int] | None = None) -> None:
    """A device build needs an int8 model. Ops a mixed model leaves in float32 run on the
    float fallback (kernels/float32.py), unless `int8_only`, which names the first one (by
    its index in the model: `model_index` maps id(op) to it when passes renumbered ops);
    a model that computes only in float must be quantized first. Byte movers of float
    data (_BYTE_MOVERS) compute nothing and pass."""
    for k, sub in enumerate(graph.subgraphs, 1):
        check_integer_model(sub, f"{source} subgraph {k} ({sub.name})", int8_only)
    for op in graph.ops:
        if op.type in _VARIANT_CHECKS:
            _VARIANT_CHECKS[op.type](graph, op)
    float_ops = float_compute_ops(graph)
    if not float_ops:
        return
    op = float_ops[0]
    if int8_only:
        index = (model_index or {}).get(id(op), op.index)
        raise UnsupportedOpError(op.type, index, "runs in float32 and --int8-only refuses float kernels "
                                 f"({len(float_ops)} float op{'s' if len(float_ops) != 1 else ''} in the model)")
    if all(computes_in_float(graph, o) or o.type in ("QUANTIZE", "DEQUANTIZE") or o.type in _BYTE_MOVERS
           for o in graph.ops):
        tensor = next(graph.tensors[t] for t in op.inputs + op.outputs
                      if t >= 0 and graph.tensors[t].dtype not in _INTEGER_TYPES)
        raise ModelError(
            f"{source} is not an int8 model: op {op.index} ({op.type}) uses "
            f"{tensor.dtype} tensor {tensor.name!r}; quantize it first (edgekit quantize, "
            "or edgekit build --calib DATA)")


def float_compute_ops(graph: Graph) -> list[Op]:
    """The ops that compute in float32 (the float fallback's kernels); byte movers of float
    data compute nothing."""
    return [op for op in graph.ops if computes_in_float(graph, op) and op.type not in _BYTE_MOVERS]


def arena_alignment(graph: Graph, alignment: int) -> int:
    """The board's arena alignment, raised to the widest activation element (4 bytes for
    the float fallback's float32 tensors), so every typed kernel pointer is aligned."""
    widest = max((DTYPE_BYTES[t.dtype] for t in graph.tensors if not t.is_constant and t.dtype in DTYPE_BYTES),
                 default=1)
    return max(alignment, min(widest, 8))


def integer_rewrites(graph: Graph) -> Graph:
    """What makes a converter's int8 model integer before check_integer_model: float
    variables that hold int8 values become int8, float islands become tables (in every
    subgraph)."""
    rewrite_int8_variables(graph)
    for each in graph.all_graphs():
        rewrite_float_islands(each)
    return graph


@dataclass
class ArenaLayout:
    """A MemoryPlan as codegen reads it (edgekit.codegen.model.ArenaPlan)."""

    plan: MemoryPlan

    @property
    def arena_bytes(self) -> int:
        return self.plan.arena_bytes

    @property
    def alignment(self) -> int:
        return self.plan.alignment

    @property
    def op_order(self) -> list[int]:
        return self.plan.op_order

    @property
    def planner(self) -> str:
        return f"{self.plan.planner}/{self.plan.tricks}"

    @property
    def lower_bound(self) -> int:
        return self.plan.lower_bound

    @property
    def eliminated_ops(self) -> list[int]:
        return self.plan.eliminated_ops

    def tensor_offset(self, tensor: int) -> int:
        return self.plan.offsets[tensor]

    def scratch_offset(self, op: int) -> int | None:
        return self.plan.scratch_offsets.get(op) if self.plan.scratch_sizes.get(op) else None


def plan_memory(graph: Graph, lowered: dict[int, OpLowering], alignment: int, planner: str = "best",
                time_budget_s: float = 2.0) -> ArenaLayout:
    """The smallest checked arena plan (or one named planner's), with the kernels' scratch."""
    from edgekit.memory import PLANNERS, check_plan, plan_best, plan_graph

    def scratch(op: Op) -> int:
        return lowered[op.index].scratch_bytes

    def contract(op: Op) -> MemoryContract:
        return lowered[op.index].memory

    if planner == "best":
        plan = plan_best(graph, alignment=alignment, scratch_bytes=scratch, contracts=contract,
                         time_budget=time_budget_s)
    elif planner in PLANNERS:
        plan = plan_graph(graph, planner=planner, alignment=alignment, scratch_bytes=scratch, contracts=contract)
    else:
        raise ModelError(f"unknown planner {planner!r}: use best or one of {', '.join(PLANNERS)}")
    check_plan(plan, graph, scratch, contracts=contract)  # every build proves its plan
    return ArenaLayout(plan)


def compile_model(model_path: Path, model_bytes: bytes, board: Board, rounding: str = "tflite",
                  planner: str = "best", time_budget_s: float = 2.0, int8_only: bool = False) -> CompiledModel:
    graph = load_tflite_bytes(model_bytes, name=model_path.stem, source=str(model_path))
    model_index = {id(op): op.index for op in graph.ops}
    integer_rewrites(graph)  # before the check: islands become integer tables
    check_integer_model(graph, str(model_path), int8_only, model_index)
    graph = run_passes(graph)
    ctx = lowering_context(board, rounding)

    def plan_subgraph(sub: Graph, sub_lowered: dict[int, OpLowering]) -> ArenaLayout:
        return plan_memory(sub, sub_lowered, arena_alignment(sub, board.arena_alignment), planner, time_budget_s)

    control = ControlLowering(graph, plan_subgraph)  # control flow, variables: edgekit/codegen/control.py
    lowered = lower_graph(graph, ctx, control)
    plan = plan_memory(graph, lowered, arena_alignment(graph, board.arena_alignment), planner, time_budget_s)
    model_hash = hashlib.sha256(model_bytes).hexdigest()
    generated = generate_model(graph, plan, ctx, model_hash, lowered, state_bytes=control.state.state_bytes)
    return CompiledModel(model_path=model_path, model_bytes=model_bytes, model_hash=model_hash, graph=graph,
                         ctx=ctx, lowered=lowered, plan=plan, generated=generated)
