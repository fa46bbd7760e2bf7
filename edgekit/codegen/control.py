"""Control flow and resource variables compiled to straight C: WHILE becomes a `for (;;)`
loop, IF an `if`/`else`, CALL_ONCE a guarded block, READ/ASSIGN_VARIABLE copies from and
to the persistent state region. No interpreter runs on the device.

Each subgraph a control-flow op runs is lowered and planned like the model's own graph
(its own arena plan, checked by check_plan), and that plan sits in the op's scratch: the
scratch is the larger of the two subgraphs' arenas (a WHILE's condition and body, an
IF's branches, never live at once). The loop variables live across iterations in the
op's outputs, which the parent plan keeps alive through the op:

    outputs = inputs
    for (;;) { cond inputs = outputs; cond; if (!cond) break;
               body inputs = outputs; body; outputs = body outputs; }

A subgraph's C is emitted with `{scratch}` as its base pointer and `{c:...}` placeholders
for its constants, so it becomes the control-flow op's call like any kernel's; nesting
works the same way one level down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from edgekit.codegen.model import ArenaPlan, Symbols, emit_ops, lower_graph
from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.ir import Graph, Op
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering
from edgekit.memory.contract import MemoryContract
from edgekit.memory.state import StatePlan, plan_state

CONTROL_OPS = frozenset({"WHILE", "IF", "CALL_ONCE", "READ_VARIABLE", "ASSIGN_VARIABLE"})
SEQUENCED = MemoryContract(sequenced=True)

PlanFn = Callable[[Graph, dict[int, OpLowering]], ArenaPlan]


@dataclass
class SubgraphCode:
    k: int  # TFLite subgraph index
    graph: Graph
    plan: ArenaPlan
    lines: list[str]
    constants: list[ConstArray | ConstStruct]
    headers: list[str]


def state_slots(main: Graph) -> dict[str, int]:
    """Bytes of every variable and run-once flag of the model (all subgraphs)."""
    sizes: dict[str, int] = {}
    for k, graph in enumerate(main.all_graphs()):
        for op in graph.ops:
            if op.type == "CALL_ONCE":
                sizes[_once_slot(k, op)] = 1
            elif op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
                t = graph.tensors[op.outputs[0] if op.type == "READ_VARIABLE" else op.inputs[0]]
                name = _variable_slot(op)
                if sizes.setdefault(name, t.nbytes) != t.nbytes:
                    raise ModelError(f"variable {op.options['variable']!r} is used with {sizes[name]} and "
                                     f"{t.nbytes} bytes; edgekit needs variables of one fixed shape")
    return sizes


def _variable_slot(op: Op) -> str:
    return f"var:{op.options['variable']}"


def _once_slot(k: int, op: Op) -> str:
    return f"once:{k}:{op.index}"


@dataclass
class ControlLowering:
    """`special` for lower_graph: lowers the ops of CONTROL_OPS in any of the model's graphs."""

    main: Graph
    plan: PlanFn
    state: StatePlan = field(init=False)
    _graph_ids: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        self.state = plan_state(state_slots(self.main))
        self._graph_ids = {id(g): k for k, g in enumerate(self.main.all_graphs())}

    def __call__(self, graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering | None:
        if op.type not in CONTROL_OPS:
            return None
        k = self._graph_ids[id(graph)]
        if op.type == "READ_VARIABLE":
            t = graph.tensors[op.outputs[0]]
            return OpLowering(call=f"memcpy({{out0}}, {self._state_ptr(_variable_slot(op))}, {t.nbytes}u);",
                              memory=SEQUENCED)
        if op.type == "ASSIGN_VARIABLE":
            sources, constants = self._operands(graph, op)
            source = sources[0]
            t = graph.tensors[op.inputs[0]]
            return OpLowering(call=f"memcpy({self._state_ptr(_variable_slot(op))}, {source}, {t.nbytes}u);",
                              constants=constants, memory=SEQUENCED)
        if op.type == "CALL_ONCE":
            return self._call_once(k, op, ctx)
        if op.type == "IF":
            return self._if(graph, op, ctx)
        return self._while(graph, op, ctx)

    # --- pieces -------------------------------------------------------------------------

    def _state_ptr(self, slot: str) -> str:
        return f"(ek_state + {self.state.offset(slot)})"

    def _subgraph(self, op: Op, key: str, ctx: LoweringContext) -> SubgraphCode:
        k = int(op.options[key])
        graph = self.main.subgraph(k)
        lowered = lower_graph(graph, ctx, self)
        plan = self.plan(graph, lowered)

        def naming(op_index: int, name: str) -> tuple[str, str]:
            new = f"sg{k}_op{op_index}_{name}"
            return new, f"{{c:{new}}}"

        # The subgraph's plan lives in its control-flow op's scratch.
        in_scratch = Symbols(arena_pointer=lambda offset: f"({{scratch}} + {offset})")
        emitted = emit_ops(graph, plan, lowered, in_scratch, constant_name=naming)
        lines = []
        for entry in emitted.entries:
            lines.append(f"/* subgraph {k} op {entry['source_index']}: {entry['type']} */")
            lines.extend(entry["call_lines"])
        return SubgraphCode(k, graph, plan, lines, emitted.constants, emitted.headers)

    def _source(self, graph: Graph, tensor: int, position: int, what: str) -> tuple[str, list]:
        """C pointer to `tensor` as the op reads it: {inK} for an activation, a flash copy of a constant."""
        t = graph.tensors[tensor]
        if t.is_constant:
            assert t.data is not None
            name = f"{what}{position}"
            raw = np.frombuffer(np.ascontiguousarray(t.data).astype(t.data.dtype.newbyteorder("<")).tobytes(),
                                dtype=np.uint8)
            return f"{{c:{name}}}", [ConstArray(name, "uint8_t", raw)]
        raise AssertionError("activations are mapped by the caller")

    def _operands(self, graph: Graph, op: Op, skip: int = 0) -> tuple[list[str], list]:
        """C pointers of the op's inputs from position `skip`, activations as {inK}."""
        pointers, constants = [], []
        activation = sum(1 for i in op.inputs[:skip] if i >= 0 and not graph.tensors[i].is_constant)
        for position, tensor in enumerate(op.inputs):
            if position < skip:
                continue
            if graph.tensors[tensor].is_constant:
                pointer, more = self._source(graph, tensor, position, "in")
                pointers.append(pointer)
                constants.extend(more)
            else:
                pointers.append(f"{{in{activation}}}")
                activation += 1
        return pointers, constants

    @staticmethod
    def _copy_in(sub: SubgraphCode, sources: list[str], only_used: bool = True) -> list[str]:
        """Copy the op's values into the subgraph's inputs (those it reads or passes on)."""
        g = sub.graph
        used = {i for o in g.ops for i in o.inputs} | set(g.outputs)
        if len(sources) != len(g.inputs):
            raise ModelError(f"subgraph {g.name!r} takes {len(g.inputs)} inputs, its op passes {len(sources)}")
        lines = []
        for source, tensor in zip(sources, g.inputs):
            if only_used and tensor not in used:
                continue
            lines.append(f"memcpy(({{scratch}} + {sub.plan.tensor_offset(tensor)}), {source}, "
                         f"{g.tensors[tensor].nbytes}u);")
        return lines

    def _copy_out(self, sub: SubgraphCode, targets: list[str], skip_same: list[int] | None = None,
                  ) -> tuple[list[str], list]:
        """Copy the subgraph's outputs to `targets` (constants from flash)."""
        g = sub.graph
        if len(targets) != len(g.outputs):
            raise ModelError(f"subgraph {g.name!r} writes {len(g.outputs)} outputs, its op takes {len(targets)}")
        lines, constants = [], []
        for position, (target, tensor) in enumerate(zip(targets, g.outputs)):
            t = g.tensors[tensor]
            if skip_same is not None and position < len(g.inputs) and g.inputs[position] == tensor:
                continue  # a loop variable the body passes through unchanged
            if t.is_constant:
                source, more = self._source(g, tensor, position, f"sg{sub.k}_out")
                constants.extend(more)
            else:
                source = f"({{scratch}} + {sub.plan.tensor_offset(tensor)})"
            lines.append(f"memcpy({target}, {source}, {t.nbytes}u);")
        return lines, constants

    @staticmethod
    def _check_types(graph: Graph, op: Op, sub: SubgraphCode, tensors: list[int], which: list[int]) -> None:
        for tensor, own in zip(tensors, which):
            a, b = graph.tensors[tensor], sub.graph.tensors[own]
            if (a.dtype, a.nbytes) != (b.dtype, b.nbytes):
                raise ModelError(f"op {op.index} ({op.type}): {a.dtype}{list(a.shape)} {a.name!r} meets "
                                 f"{b.dtype}{list(b.shape)} {b.name!r} of subgraph {sub.graph.name!r}; edgekit "
                                 "needs loop variables and branch values of one fixed shape")

    def _lowering(self, call: list[str], subs: list[SubgraphCode], constants: list,
                  memory: MemoryContract | None = None) -> OpLowering:
        headers: list[str] = []
        for sub in subs:
            headers += [h for h in sub.headers if h not in headers]
        scratch = max((sub.plan.arena_bytes for sub in subs), default=0)
        for sub in subs:
            constants = constants + sub.constants
        return OpLowering(call="\n".join(call), headers=headers, constants=constants, scratch_bytes=scratch,
                          memory=memory or SEQUENCED)

    def _call_once(self, k: int, op: Op, ctx: LoweringContext) -> OpLowering:
        init = self._subgraph(op, "init_subgraph_index", ctx)
        flag = self._state_ptr(_once_slot(k, op))
        call = [f"if (*{flag} == 0) {{", f"    *{flag} = 1;", *("    " + x for x in init.lines), "}"]
        return self._lowering(call, [init], [])

    def _if(self, graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
        then = self._subgraph(op, "then_subgraph_index", ctx)
        other = self._subgraph(op, "else_subgraph_index", ctx)
        sources, constants = self._operands(graph, op)
        targets = [f"{{out{k}}}" for k in range(len(op.outputs))]
        call = [f"if (*(const uint8_t *){sources[0]} != 0) {{"]
        for branch, keyword in ((then, "} else {"), (other, "}")):
            self._check_types(graph, op, branch, op.inputs[1:], branch.graph.inputs)
            self._check_types(graph, op, branch, op.outputs, branch.graph.outputs)
            out_lines, more = self._copy_out(branch, targets)
            constants += more
            call += ["    " + x for x in self._copy_in(branch, sources[1:]) + branch.lines + out_lines]
            call.append(keyword)
        return self._lowering(call, [then, other], constants)

    def _while(self, graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
        cond = self._subgraph(op, "cond_subgraph_index", ctx)
        body = self._subgraph(op, "body_subgraph_index", ctx)
        if len(op.outputs) != len(op.inputs):
            raise ModelError(f"op {op.index} (WHILE) has {len(op.inputs)} inputs but {len(op.outputs)} outputs")
        for sub in (cond, body):
            self._check_types(graph, op, sub, op.inputs, sub.graph.inputs)
        self._check_types(graph, op, body, op.outputs, body.graph.outputs)
        if len(cond.graph.outputs) != 1 or cond.graph.tensors[cond.graph.outputs[0]].dtype != "bool":
            raise UnsupportedOpError("WHILE", op.index, "its condition subgraph does not return one bool")
        sources, constants = self._operands(graph, op)
        carry = [f"{{out{k}}}" for k in range(len(op.outputs))]
        call = [f"memcpy({dst}, {src}, {graph.tensors[t].nbytes}u);"
                for dst, src, t in zip(carry, sources, op.outputs)]
        flag = cond.graph.outputs[0]
        if cond.graph.tensors[flag].is_constant:
            raise UnsupportedOpError("WHILE", op.index, "its condition is a constant")
        out_lines, more = self._copy_out(body, carry, skip_same=body.graph.inputs)
        constants += more
        call += ["for (;;) {",
                 *("    " + x for x in self._copy_in(cond, carry) + cond.lines),
                 f"    if (*(const uint8_t *)({{scratch}} + {cond.plan.tensor_offset(flag)}) == 0) {{",
                 "        break;",
                 "    }",
                 *("    " + x for x in self._copy_in(body, carry) + body.lines + out_lines),
                 "}"]
        return self._lowering(call, [cond, body], constants)
