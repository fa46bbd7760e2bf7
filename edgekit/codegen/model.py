"""IR + memory plan → the C sources of one model (model.c/.h, model_data.c/.h).

The op schedule, arena offsets and kernel calls are all fixed here; the device runs
straight-line code. Kernel-specific knowledge stays in edgekit/kernels (lowerings);
this module only places constants in flash and tensors in the arena.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np

from edgekit import __version__
from edgekit.codegen.render import render
from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.ir import Graph, Op
from edgekit.ir.ops import op_macs
from edgekit.kernels.cformat import c_float_value
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, activation_type, lower_op

_CTYPE_OF = {"int8_t": np.int8, "uint8_t": np.uint8, "int16_t": np.int16, "uint16_t": np.uint16,
             "int32_t": np.int32, "uint32_t": np.uint32, "int64_t": np.int64, "float": np.float32}


class ArenaPlan(Protocol):
    """What codegen needs from a memory plan (edgekit.memory)."""

    @property
    def arena_bytes(self) -> int: ...

    @property
    def alignment(self) -> int: ...

    @property
    def op_order(self) -> list[int]: ...

    def tensor_offset(self, tensor: int) -> int: ...

    def scratch_offset(self, op: int) -> int | None: ...


@dataclass(frozen=True)
class Symbols:
    """How the generated C names one model's data: the prefix of its constants and the C
    expression of an arena offset. `edgekit build` uses the defaults (one model, one static
    `ek_arena`); `edgekit export` gives each model its own prefix and places offsets in
    shared or per-region arenas (edgekit/export/layout.py)."""

    prefix: str = "ek"
    arena_pointer: Callable[[int], str] | None = None  # offset -> C expression of an int8_t *

    def pointer(self, offset: int) -> str:
        if self.arena_pointer is not None:
            return self.arena_pointer(offset)
        return f"({self.prefix}_arena + {offset})"

    def constant(self, op_index: int, name: str) -> str:
        return f"{self.prefix}_op{op_index}_{name}"


@dataclass
class ModelContext:
    """Everything the model templates need, computed once (`model_context`)."""

    context: dict[str, Any]
    weights_bytes: int
    ops: list[dict[str, Any]]


@dataclass
class GeneratedModel:
    sources: dict[str, str]
    arena_bytes: int
    weights_bytes: int  # constant data emitted to flash (weights, bias, params)
    ops: list[dict[str, Any]] = field(default_factory=list)
    state_bytes: int = 0  # the persistent state region (variables), beside the arena


SpecialLowering = Callable[[Graph, Op, LoweringContext], OpLowering | None]


def lower_graph(graph: Graph, ctx: LoweringContext, special: SpecialLowering | None = None) -> dict[int, OpLowering]:
    """Lower every op, or name the first op edgekit cannot run on a device. `special`
    lowers the ops that need more than their own graph (control flow, variables: see
    edgekit/codegen/control.py) and returns None for every other op."""
    lowered = {}
    for op in graph.ops:
        try:
            lowering = special(graph, op, ctx) if special is not None else None
            lowering = lowering or lower_op(graph, op, ctx)
        except UnsupportedOpError:
            raise
        except ModelError as exc:  # raised by a shared helper that does not know the op
            raise ModelError(f"op {op.index} ({op.type}): {exc}") from None
        if lowering is None:
            raise UnsupportedOpError(op.type, op.index, f"no {activation_type(graph, op)} kernel for it")
        lowered[op.index] = lowering
    return lowered


def _c_literal(value: float | int, ctype: str) -> str:
    if ctype == "float":
        return c_float_value(value)
    return str(int(value))


def _array_body(values: np.ndarray, ctype: str, per_line: int = 24) -> str:
    flat = np.asarray(values).astype(_CTYPE_OF[ctype]).ravel()
    items = [_c_literal(v, ctype) for v in flat.tolist()] if ctype == "float" else \
        [str(v) if v != -(1 << 63) else "(-9223372036854775807LL - 1)" for v in flat.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n".join("    " + line for line in lines)


def _float_literal(x: float) -> str:
    return f"{np.float32(x).item()!r}f"


_PLACEHOLDER = re.compile(r"\{(in\d+|out\d+|scratch|c:[A-Za-z0-9_]+)(?::([a-z0-9_]+))?\}")


def _fill(template: str, mapping: dict[str, str]) -> str:
    """Replace the placeholders; {in0:int16_t} is {in0} as an int16_t pointer."""
    def one(m: re.Match[str]) -> str:
        value = mapping[m.group(1)]
        return f"(({m.group(2)} *)(void *){value})" if m.group(2) else value

    return _PLACEHOLDER.sub(one, template)


def _alias_lines(graph: Graph, op: Op, input_position: int, plan: ArenaPlan, symbols: Symbols) -> list[str]:
    """A view (reshape-like op): nothing when the plan shares the bytes, else one copy."""
    source, target = op.inputs[input_position], op.outputs[0]
    src, dst = plan.tensor_offset(source), plan.tensor_offset(target)
    if src == dst:
        return ["/* no code: the output shares its input's bytes */"]
    return [f"memmove({symbols.pointer(dst)}, {symbols.pointer(src)}, {graph.tensors[target].nbytes}u);"]


@dataclass
class EmittedOps:
    """One graph's schedule as C: per-op entries (lines and facts), its flash constants
    (named as `constant_name` said) and the kernel headers it needs."""

    entries: list[dict[str, Any]]
    constants: list[ConstArray | ConstStruct]
    headers: list[str]


def emit_ops(graph: Graph, plan: ArenaPlan, lowered: dict[int, OpLowering], symbols: Symbols | None = None,
             constant_name: Callable[[int, str], tuple[str, str]] | None = None) -> EmittedOps:
    """The C of every op in plan order, tensors where `symbols` puts their plan offsets.

    `constant_name(op, name)` gives a constant's new name and how the C refers to it: the C
    identifier itself for the model's own graph, a `{c:...}` placeholder for a subgraph,
    whose C becomes part of its control-flow op's call (edgekit/codegen/control.py)."""
    symbols = symbols or Symbols()

    def c_name(op_index: int, name: str) -> tuple[str, str]:
        new = symbols.constant(op_index, name)
        return new, new

    naming = constant_name or c_name
    headers: list[str] = []
    constants: list[ConstArray | ConstStruct] = []
    entries: list[dict[str, Any]] = []
    by_index = {op.index: op for op in graph.ops}
    eliminated = set(getattr(plan, "eliminated_ops", []))
    for position, op_index in enumerate(plan.op_order):
        op: Op = by_index[op_index]
        lowering = lowered[op_index]
        for header in lowering.headers:
            if header not in headers:
                headers.append(header)
        names = {c.name: naming(op_index, c.name) for c in lowering.constants}
        mapping = {f"c:{k}": ref for k, (_, ref) in names.items()}
        for c in lowering.constants:
            key = names[c.name][0]
            constants.append(replace(c, name=key) if isinstance(c, ConstArray)
                             else replace(c, name=key, initializer=_fill(c.initializer, mapping)))
        activations = [i for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]
        for tensor in activations + op.outputs:
            # Kernels read wider types (float, int32) through typed pointers: keep them aligned.
            width = graph.tensors[tensor].nbytes // max(graph.tensors[tensor].num_elements, 1)
            if plan.tensor_offset(tensor) % max(width, 1):
                raise AssertionError(f"plan puts {graph.tensors[tensor].name!r} ({graph.tensors[tensor].dtype}) "
                                     f"at unaligned offset {plan.tensor_offset(tensor)}")
        for k, tensor in enumerate(activations):
            mapping[f"in{k}"] = symbols.pointer(plan.tensor_offset(tensor))
        for k, tensor in enumerate(op.outputs):
            mapping[f"out{k}"] = symbols.pointer(plan.tensor_offset(tensor))
        scratch = plan.scratch_offset(op_index)
        mapping["scratch"] = symbols.pointer(scratch) if scratch is not None else "NULL"
        if op_index in eliminated:
            call_lines = ["/* no code: the producers wrote this tensor's parts in place */"]
        elif lowering.memory.view_of is not None:
            call_lines = _alias_lines(graph, op, lowering.memory.view_of, plan, symbols)
        else:
            call_lines = _fill(lowering.call, mapping).strip().splitlines()
        out = graph.tensors[op.outputs[0]] if op.outputs else None
        entries.append(dict(index=position, source_index=op_index, type=op.type, call_lines=call_lines,
                            note="" if position == op_index else f" (model op {op_index})",
                            out_pointer=symbols.pointer(plan.tensor_offset(out.index) if out is not None else 0),
                            out_bytes=out.nbytes if out is not None else 0,
                            macs=op_macs(graph, op), scratch_bytes=lowering.scratch_bytes))
    return EmittedOps(entries=entries, constants=constants, headers=headers)


def _constant_entry(c: ConstArray | ConstStruct) -> tuple[dict[str, Any], int]:
    """The template's view of one flash constant, and its bytes."""
    if isinstance(c, ConstArray):
        count = int(np.asarray(c.values).size)
        return (dict(cname=c.name, ctype=c.ctype, is_array=True, count=count, dims=f"[{count}]", align=c.align,
                     body=_array_body(c.values, c.ctype)), count * np.dtype(_CTYPE_OF[c.ctype]).itemsize)
    return dict(cname=c.name, ctype=c.ctype, is_array=False, count=1, dims="", align=4, body=c.initializer), 0


def generate_model(graph: Graph, plan: ArenaPlan, ctx: LoweringContext, model_hash: str,
                   lowered: dict[int, OpLowering] | None = None, state_bytes: int = 0) -> GeneratedModel:
    """model.c/.h and model_data.c/.h of `edgekit build` (the runtime's ek_model_api.h);
    `state_bytes` is the persistent state region's size (edgekit/memory/state.py), 0 for a
    model without variables."""
    model = model_context(graph, plan, ctx, model_hash, lowered, state_bytes=state_bytes)
    sources = {name: render(f"model/{name}.j2", model.context)
               for name in ("model.h", "model.c", "model_data.h", "model_data.c")}
    return GeneratedModel(sources=sources, arena_bytes=plan.arena_bytes, weights_bytes=model.weights_bytes,
                          ops=model.ops, state_bytes=state_bytes)


def state_resets(graph: Graph, plan: ArenaPlan, symbols: Symbols) -> list[dict[str, Any]]:
    """One C statement per state tensor (an LSTM's variable hidden and cell state, planned in
    the arena over the whole schedule) that sets it to its quantized zero: TF and TFLite
    Micro start an int8 hidden state at its zero point, not at byte 0."""
    lines = []
    for index in graph.state_tensors():
        t = graph.tensors[index]
        zero = int(t.quant.zero_point[0]) if t.quant is not None else 0
        pattern = np.full(t.num_elements, zero, dtype=t.dtype).tobytes()
        pointer = symbols.pointer(plan.tensor_offset(index))
        if len(set(pattern)) <= 1:
            line = f"memset({pointer}, {pattern[0] if pattern else 0}, {t.nbytes}u);"
        else:
            ctype = {"int16": "int16_t", "int32": "int32_t"}[t.dtype]
            line = (f"for (uint32_t i = 0; i < {t.num_elements}u; ++i) {{ (({ctype} *)(void *){pointer})[i] = "
                    f"({ctype}){zero}; }}")
        lines.append(dict(line=line, name=t.name))
    return lines


def model_context(graph: Graph, plan: ArenaPlan, ctx: LoweringContext, model_hash: str,
                  lowered: dict[int, OpLowering] | None = None, symbols: Symbols | None = None,
                  state_bytes: int = 0) -> ModelContext:
    """The schedule, constants and I/O of one model as template values (templates/model/ops.c.j2
    renders the schedule for both `build` and `export`)."""
    symbols = symbols or Symbols()
    lowered = lowered or lower_graph(graph, ctx)
    emitted = emit_ops(graph, plan, lowered, symbols)
    headers, op_entries = emitted.headers, emitted.entries
    constants: list[dict[str, Any]] = []
    weights_bytes = 0
    for c in emitted.constants:
        entry, size = _constant_entry(c)
        constants.append(entry)
        weights_bytes += size

    def io_entry(kind: str, k: int, tensor_index: int) -> dict[str, Any]:
        t = graph.tensors[tensor_index]
        scale = float(t.quant.scale[0]) if t.quant is not None else 0.0
        zero_point = int(t.quant.zero_point[0]) if t.quant is not None else 0
        return dict(cname=f"{kind}{k}", pointer=symbols.pointer(plan.tensor_offset(tensor_index)),
                    bytes=t.nbytes, dtype=t.dtype, shape=list(t.shape) or [1], scale=_float_literal(scale),
                    zero_point=zero_point, name=t.name)

    context = dict(
        version=__version__, model_name=graph.name, arena_bytes=max(plan.arena_bytes, 1), state_bytes=state_bytes,
        state_resets=state_resets(graph, plan, symbols),
        alignment=plan.alignment, planner=getattr(plan, "planner", "edgekit"), headers=headers,
        constants=constants, ops=op_entries, model_hash=model_hash, prefix=symbols.prefix,
        inputs=[io_entry("input", k, t) for k, t in enumerate(graph.inputs)],
        outputs=[io_entry("output", k, t) for k, t in enumerate(graph.outputs)],
    )
    summary = [dict(index=e["index"], type=e["type"], macs=e["macs"], scratch_bytes=e["scratch_bytes"],
                    source_index=e["source_index"]) for e in op_entries]
    return ModelContext(context=context, weights_bytes=weights_bytes, ops=summary)
