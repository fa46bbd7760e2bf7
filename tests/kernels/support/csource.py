"""Turn one OpLowering into C text: const declarations plus the call with placeholders filled.

Shared by the host harness and the QEMU harness. Names are prefixed per case so many
cases can live in one C file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_float_value
from edgekit.kernels.lowering import ConstArray, ConstStruct, OpLowering

_PLACEHOLDER = re.compile(r"\{(in\d+|out\d+|scratch|c:[A-Za-z_][A-Za-z0-9_]*)(?::([a-z0-9_]+))?\}")
_ACT_ALIGN = 8


@dataclass
class CaseSource:
    declarations: str  # constants and activation buffers (file scope)
    call: str  # the kernel call, placeholders filled
    headers: list[str]
    inputs: list[tuple[str, int]]  # buffer name, bytes (non-constant op inputs, in order)
    outputs: list[tuple[str, int]]
    constant_names: list[str]


def activation_inputs(graph: Graph, op: Op) -> list[int]:
    """Tensor indices of the op's non-constant inputs: {in0}, {in1}, ..."""
    return [i for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]


def _array(const: ConstArray, cname: str, section: str) -> str:
    values = np.asarray(const.values).reshape(-1)
    if values.size == 0:
        values = np.zeros(1, dtype=values.dtype)  # C forbids empty arrays
    if const.ctype == "float":
        body = ",".join(c_float_value(v) for v in values.astype(np.float32).tolist())
    else:
        body = ",".join(str(int(v)) if int(v) != -(1 << 63) else "(-9223372036854775807LL - 1)" for v in values)
    return (f"static const {const.ctype} {cname}[{values.size}] {section}"
            f"__attribute__((aligned({max(const.align, 4)}))) = {{{body}}};")


def render_case(graph: Graph, op: Op, lowering: OpLowering, prefix: str,
                const_section: str = "", arena: dict[str, int] | None = None) -> CaseSource:
    """`arena` places activations inside one shared buffer instead of separate ones:
    {"in0": byte offset, "out0": byte offset, ...} (unlisted activations stay separate),
    to run a kernel over overlapping input and output as the memory planner lays them out."""
    names = {c.name: f"{prefix}c_{c.name}" for c in lowering.constants}
    ins = [(f"{prefix}in{k}", graph.tensors[t].nbytes) for k, t in enumerate(activation_inputs(graph, op))]
    outs = [(f"{prefix}out{k}", graph.tensors[t].nbytes) for k, t in enumerate(op.outputs)]
    scratch = f"{prefix}scratch" if lowering.scratch_bytes > 0 else "NULL"

    def fill(text: str) -> str:
        def sub(match: re.Match[str]) -> str:
            key = match.group(1)
            if key.startswith("c:"):
                if key[2:] not in names:
                    raise KeyError(f"lowering of {op.type} refers to unknown constant {key[2:]!r}")
                return names[key[2:]]
            if key == "scratch":
                return f"((int8_t *){scratch})" if scratch != "NULL" else "((int8_t *)0)"
            kind = key.rstrip("0123456789")
            index = int(key[len(kind):])
            table = ins if kind == "in" else outs
            return f"(({match.group(2) or 'int8_t'} *)(void *){table[index][0]})"

        return _PLACEHOLDER.sub(sub, text)

    lines = []
    arrays = [c for c in lowering.constants if isinstance(c, ConstArray)]
    structs = [c for c in lowering.constants if isinstance(c, ConstStruct)]
    for c in arrays:
        lines.append(_array(c, names[c.name], const_section))
    for c in structs:
        lines.append(f"static const {c.ctype} {names[c.name]} {const_section}= {fill(c.initializer)};")
    placed = {f"{prefix}{k}": v for k, v in (arena or {}).items()}
    if placed:
        end = max(placed[n] + size for n, size in ins + outs if n in placed)
        lines.append(f"static int8_t {prefix}arena[{end}] __attribute__((aligned({_ACT_ALIGN})));")
    for name, size in ins + outs:
        if name in placed:
            lines.append(f"#define {name} ({prefix}arena + {placed[name]})")
        else:
            lines.append(f"static int8_t {name}[{max(size, 1)}] __attribute__((aligned({_ACT_ALIGN})));")
    if lowering.scratch_bytes > 0:
        lines.append(f"static int8_t {scratch}[{lowering.scratch_bytes}] __attribute__((aligned({_ACT_ALIGN})));")
    return CaseSource(declarations="\n".join(lines), call=fill(lowering.call),
                      headers=list(lowering.headers), inputs=ins, outputs=outs,
                      constant_names=list(names.values()))
