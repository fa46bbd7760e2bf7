"""The plan checker: proves that a MemoryPlan never lets a live buffer be overwritten.

It trusts nothing the planner computed except the plan itself (op order, offsets, aliases,
declared overlaps): lifetimes come from the graph, aliases are re-justified by the memory
contract of the op that creates them, and every declared overlap is re-proved from the
op's contract and geometry (edgekit.memory.overlap). Build runs it on every plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edgekit.errors import EdgekitError, InternalError
from edgekit.ir import DTYPE_BYTES, Graph
from edgekit.memory.aliasing import part_slices, view_source
from edgekit.memory.contract import ContractFn
from edgekit.memory.liveness import ScratchFn, tensor_lifetimes
from edgekit.memory.overlap import prove_in_place, prove_rows
from edgekit.memory.types import Buffer, MemoryPlan, Overlap, OverlapRule


class PlanCheckError(InternalError):
    """A plan that would corrupt data: a bug in the planner, never the user's fault."""


@dataclass
class _Region:
    name: str
    start: int
    end: int
    first: int
    last: int
    tensors: tuple[int, ...]

    def clashes(self, other: _Region) -> bool:
        live_together = self.first <= other.last and other.first <= self.last
        return (live_together and self.start < other.end and other.start < self.end
                and self.end > self.start and other.end > other.start)


def _fail(message: str) -> None:
    raise PlanCheckError(f"memory plan check failed: {message}")


def _check_aliases(graph: Graph, plan: MemoryPlan, activations: set[int], contracts: ContractFn) -> None:
    """Every alias must be reachable from its base through ops that really share bytes:
    a declared view whose input and output are placed at the same offset, or an op made
    of its inputs' parts whose inputs are placed at their slices of the output."""
    parent: dict[int, int] = {}

    def find(t: int) -> int:
        while parent.get(t, t) != t:
            t = parent[t]
        return t

    def join(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for op in graph.ops:
        src = view_source(graph, op, contracts)
        if src is not None:
            dst = op.outputs[0]
            if src in activations and dst in activations and plan.offsets[src] == plan.offsets[dst]:
                join(dst, src)
        slices = part_slices(graph, op, contracts)
        if slices and all(plan.offsets[t] == plan.offsets[op.outputs[0]] + off for t, off in slices):
            for t, _ in slices:
                join(t, op.outputs[0])
    for t, (base, off) in plan.aliases.items():
        name = graph.tensors[t].name
        if t not in activations or base not in activations:
            _fail(f"alias {t} -> {base} names a tensor that is not an activation")
        if base in plan.aliases:
            _fail(f"alias of {name!r} points at {graph.tensors[base].name!r}, itself an alias")
        if plan.offsets[t] != plan.offsets[base] + off:
            _fail(f"{name!r} is declared at {graph.tensors[base].name!r}+{off} but placed elsewhere")
        if find(t) != find(base):
            _fail(f"alias {name!r} -> {graph.tensors[base].name!r}+{off} is not made of reshape "
                  "views and concatenation slices")


def _prove(graph: Graph, plan: MemoryPlan, ov: Overlap, step_of: dict[int, int],
           region_of: dict[int, _Region], outputs: set[int], contracts: ContractFn) -> None:
    """Re-prove one declared overlap from the graph; raise if it does not hold."""
    if not 0 <= ov.op < len(graph.ops):
        _fail(f"overlap refers to missing op {ov.op}")
    op = graph.ops[ov.op]
    x, y = graph.tensors[ov.input], graph.tensors[ov.output]
    where = f"op {ov.op} ({op.type}) {x.name!r} -> {y.name!r}"
    if ov.input not in op.inputs or op.outputs[:1] != [ov.output]:
        _fail(f"{where}: overlap declared between tensors the op does not read and write")
    rx, ry = region_of[ov.input], region_of[ov.output]
    step = step_of[ov.op]
    if rx.last != step or any(t in outputs for t in rx.tensors):
        _fail(f"{where}: the input is still needed after the op")
    if ry.first != step:
        _fail(f"{where}: the output's memory is alive before the op")
    in_off, out_off = plan.offsets[ov.input], plan.offsets[ov.output]
    if (rx.start, rx.end) != (in_off, in_off + x.nbytes) or (ry.start, ry.end) != (out_off, out_off + y.nbytes):
        _fail(f"{where}: overlapping buffers must hold exactly these two tensors")
    contract = contracts(op)
    if ov.kind == "in_place":
        if not any(op.inputs[k] == ov.input for k in contract.in_place if 0 <= k < len(op.inputs)):
            _fail(f"{where}: the {op.type} kernel does not declare that it may run in place over this input")
        why = prove_in_place(in_off, x.nbytes, out_off, y.nbytes, DTYPE_BYTES[x.dtype], DTYPE_BYTES[y.dtype])
    elif ov.kind == "rows":
        geo = contract.rows
        if geo is None or op.inputs[0] != ov.input:
            _fail(f"{where}: the {op.type} kernel does not declare a rows overlap with its first input")
        assert geo is not None
        why = prove_rows(geo, in_off, out_off, plan.pixel_block)
    else:
        why = f"unknown overlap kind {ov.kind!r}"
    if why:
        _fail(f"{where}: unsafe overlap: {why}")


def check_plan(plan: MemoryPlan, graph: Graph, scratch_bytes: ScratchFn | None = None, *,
               contracts: ContractFn) -> None:
    """Raise PlanCheckError unless the plan is safe for this graph (see module docstring).

    `contracts(op)` is what each op's kernel promises (the same the planner was given);
    `scratch_bytes`, when given, must agree with the plan's scratch sizes.
    """
    try:
        lifetimes = tensor_lifetimes(graph, plan.op_order)
    except EdgekitError as exc:
        _fail(f"bad op order: {exc}")
    step_of = {op: step for step, op in enumerate(plan.op_order)}
    sequenced = [op.index for op in graph.ops if contracts(op).sequenced]
    if [op for op in plan.op_order if op in set(sequenced)] != sequenced:
        _fail("the op order moves ops that touch the persistent state past each other "
              f"(model order {sequenced})")
    align = plan.alignment
    if not isinstance(plan.pixel_block, int) or plan.pixel_block < 0:
        _fail(f"pixel_block must be 0 (row contract) or a positive block size, not {plan.pixel_block!r}")
    if plan.arena_bytes % align:
        _fail(f"arena size {plan.arena_bytes} is not a multiple of the alignment {align}")
    for t in lifetimes:
        name = graph.tensors[t].name
        if t not in plan.offsets:
            _fail(f"tensor {name!r} has no offset")
        if plan.offsets[t] < 0 or plan.offsets[t] + graph.tensors[t].nbytes > plan.arena_bytes:
            _fail(f"tensor {name!r} at {plan.offsets[t]} does not fit the {plan.arena_bytes}-byte arena")
    _check_aliases(graph, plan, set(lifetimes), contracts)

    # Alias groups: root -> members; one region per group over the union of lifetimes.
    groups: dict[int, list[int]] = {}
    for t in lifetimes:
        groups.setdefault(plan.aliases.get(t, (t, 0))[0], []).append(t)
    regions: list[_Region] = []
    region_of: dict[int, _Region] = {}
    for root, members in groups.items():
        if plan.offsets[root] % align:
            _fail(f"buffer {graph.tensors[root].name!r} at {plan.offsets[root]} is not {align}-byte aligned")
        region = _Region(graph.tensors[root].name,
                         min(plan.offsets[t] for t in members),
                         max(plan.offsets[t] + graph.tensors[t].nbytes for t in members),
                         min(lifetimes[t][0] for t in members), max(lifetimes[t][1] for t in members),
                         tuple(members))
        regions.append(region)
        region_of.update({t: region for t in members})
    for op_index, offset in plan.scratch_offsets.items():
        size = plan.scratch_sizes.get(op_index, 0)
        if scratch_bytes is not None and size != scratch_bytes(graph.ops[op_index]):
            _fail(f"op {op_index}'s scratch is {size} bytes, its kernel needs {scratch_bytes(graph.ops[op_index])}")
        if offset % align or offset < 0 or offset + size > plan.arena_bytes:
            _fail(f"op {op_index}'s scratch at {offset} is misaligned or outside the arena")
        step = step_of[op_index]
        regions.append(_Region(f"scratch of op {op_index}", offset, offset + size, step, step, ()))
    if scratch_bytes is not None:
        for op in graph.ops:
            if scratch_bytes(op) and op.index not in plan.scratch_offsets:
                _fail(f"op {op.index} ({op.type}) needs scratch but the plan has none")

    outputs = set(graph.outputs)
    allowed: set[tuple[int, int]] = set()
    for ov in plan.overlaps:
        _prove(graph, plan, ov, step_of, region_of, outputs, contracts)
        allowed.add((id(region_of[ov.input]), id(region_of[ov.output])))
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            if a.clashes(b) and (id(a), id(b)) not in allowed and (id(b), id(a)) not in allowed:
                _fail(f"{a.name!r} [{a.start}, {a.end}) alive at steps {a.first}..{a.last} overlaps "
                      f"{b.name!r} [{b.start}, {b.end}) alive at steps {b.first}..{b.last}")


def check_offsets(buffers: Sequence[Buffer], offsets: Sequence[int], alignment: int = 1,
                  rules: Sequence[OverlapRule] = ()) -> None:
    """Planner-level check (no graph): buffers alive together are disjoint in address,
    except pairs with a rule whose min_delta their offsets respect."""
    allowed = {(r.lower, r.upper): r.min_delta for r in rules}
    for i, (a, oa) in enumerate(zip(buffers, offsets)):
        if oa < 0 or oa % alignment:
            _fail(f"buffer {a.name!r} at {oa} is negative or not {alignment}-byte aligned")
        for j in range(i + 1, len(buffers)):
            b, ob = buffers[j], offsets[j]
            if not (a.size and b.size and a.overlaps_in_time(b)):
                continue
            if oa + a.size <= ob or ob + b.size <= oa:
                continue
            if (i, j) in allowed and ob - oa >= allowed[(i, j)]:
                continue
            if (j, i) in allowed and oa - ob >= allowed[(j, i)]:
                continue
            _fail(f"{a.name!r} [{oa}, {oa + a.size}) overlaps {b.name!r} [{ob}, {ob + b.size}) "
                  f"while both are alive")
