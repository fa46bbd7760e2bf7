"""RESIDUAL_BLOCK (edgekit/passes/fuse_residual.py): conv_a -> conv_b -> ADD with the
block's input x as the skip, computed one output row at a time.

No kernel of its own: each row is one call of the CONV_2D and ADD kernels the board's
variant already has (packed DSP, MVE, blocked portable, reference), lowered here on a
one-row problem: conv_a over a window of filter_h rows of x, conv_b over filter_h rows of
y1, VALID in height; the windows are padded in width by the SAME padding and their pad rows
and columns hold the input zero point, which is exactly what SAME padding computes. conv_b's
int8 row then goes through the ADD kernel with x's row, so both roundings (conv_b's
requantization, the ADD's) are TF's own.

The scratch holds the two windows, conv_b's output row and the kernels' own scratch. Row
r of the output is written over x's row r after the last read of that row (x rows are
copied into the window ahead of it), so the op keeps the ADD's in-place contract on x.
"""

from __future__ import annotations

import re
from dataclasses import replace

from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.cformat import require
from edgekit.kernels.lowering import LoweringContext, OpLowering, lower_op, register
from edgekit.memory.contract import MemoryContract
from edgekit.passes.fuse_residual import ALIGN, RESIDUAL_BLOCK, residual_parts

_ACTIVATION = re.compile(r"\{(in\d+|out\d+|scratch)(?::([a-z0-9_]+))?\}")


def _aligned(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _zero_point(t: Tensor) -> int:
    return int(t.quant.zero_point[0]) if t.quant is not None else 0


def row_problem(graph: Graph, op: Op) -> Graph:
    """The one-row graph whose ops 0, 1, 2 are conv_a, conv_b and the ADD on the windows."""
    x, y1, y2, out = residual_parts(graph, op)
    _, _, width, _ = x.shape
    tensors: list[Tensor] = []

    def add(like: Tensor, shape: tuple[int, ...] | None = None) -> int:
        tensors.append(replace(like, index=len(tensors), shape=shape or like.shape))
        return len(tensors) - 1

    def const(position: int) -> int:
        index = op.inputs[position]
        return add(graph.tensors[index]) if index >= 0 else -1

    def conv(first: int, source: Tensor, target: Tensor, options: dict[str, object]) -> Op:
        w = graph.tensors[op.inputs[first]]
        window = add(source, (1, w.shape[1], width + w.shape[2] - 1, source.shape[3]))
        operands = [const(first), const(first + 1)]
        row = add(target, (1, 1, width, target.shape[3]))
        return Op(index=0, type="CONV_2D", inputs=[window, *operands], outputs=[row],
                  options={**options, "padding": "VALID"})

    conv_a = conv(1, x, y1, op.options["conv_a"])
    conv_b = replace(conv(3, y1, y2, op.options["conv_b"]), index=1)
    x_row, out_row = add(x, (1, 1, width, x.shape[3])), add(out, (1, 1, width, out.shape[3]))
    pair = [x_row, conv_b.outputs[0]] if op.options["skip_first"] else [conv_b.outputs[0], x_row]
    adder = Op(index=2, type="ADD", inputs=pair, outputs=[out_row], options=dict(op.options["add"]))
    return Graph(tensors=tensors, ops=[conv_a, conv_b, adder], inputs=[conv_a.inputs[0]], outputs=[out_row],
                 name=f"{graph.name}_op{op.index}_row")


def _bind(call: str, values: dict[str, str]) -> str:
    """Fill a sub-lowering's activation placeholders; its {c:...} constants stay for codegen."""
    def one(m: re.Match[str]) -> str:
        value = values[m.group(1)]
        return f"(({m.group(2)} *)(void *)({value}))" if m.group(2) else value

    return _ACTIVATION.sub(one, call)


def residual_contract(graph: Graph, op: Op) -> MemoryContract:
    """Output row r is written over x's row r after every read of it: in place on x."""
    return MemoryContract(in_place=(0,))


@register(RESIDUAL_BLOCK, memory=residual_contract)
def lower_residual_block(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y1, _, out = residual_parts(graph, op)
    require(x.dtype == out.dtype == "int8", op, "int8 activations only")
    sub = row_problem(graph, op)
    parts = [lower_op(sub, each, ctx) for each in sub.ops]
    require(all(p is not None for p in parts), op, "no row kernel for the block's convs")
    la, lb, ladd = [p for p in parts if p is not None]
    height, width = x.shape[1], x.shape[2]
    win_a, win_b = (sub.tensors[sub.ops[k].inputs[0]] for k in (0, 1))
    kh_a, kh_b = win_a.shape[1], win_b.shape[1]
    pad_a, pad_b = kh_a // 2, kh_b // 2
    slot_a, slot_b = win_a.shape[2] * win_a.shape[3], win_b.shape[2] * win_b.shape[3]
    inner_a = (sub.tensors[sub.ops[0].inputs[1]].shape[2] // 2) * x.shape[3]
    inner_b = (sub.tensors[sub.ops[1].inputs[1]].shape[2] // 2) * y1.shape[3]
    x_row, y_row, o_row = width * x.shape[3], width * y1.shape[3], width * out.shape[3]
    at_b = _aligned(win_a.nbytes)
    at_row = at_b + _aligned(win_b.nbytes)
    at_kernels = at_row + _aligned(o_row)
    kernel_scratch = max(la.scratch_bytes, lb.scratch_bytes, ladd.scratch_bytes)
    p = f"ek_rb{op.index}_"
    ks = f"{p}s + {at_kernels}" if kernel_scratch else "NULL"
    slot = f"{p}j - {pad_b}"
    call_a = _bind(la.call, {"in0": f"{p}s", "out0": f"{p}s + {at_b + (kh_b - 1) * slot_b + inner_b}",
                             "scratch": ks})
    call_b = _bind(lb.call, {"in0": f"{p}s + {at_b}", "out0": f"{p}s + {at_row}", "scratch": ks})
    skip = f"{p}x + ({slot}) * {x_row}"
    conv_row = f"{p}s + {at_row}"
    pair = (skip, conv_row) if op.options["skip_first"] else (conv_row, skip)
    call_add = _bind(ladd.call, {"in0": pair[0], "in1": pair[1], "out0": f"{p}y + ({slot}) * {o_row}",
                                 "scratch": ks})
    last_a, last_b = (kh_a - 1) * slot_a, (kh_b - 1) * slot_b
    zp_x, zp_y1 = _zero_point(x), _zero_point(y1)
    lines = [
        "{",
        f"    /* residual block: {kh_a}-row window of x, {kh_b}-row window of y1, one output row per step */",
        f"    int8_t *const {p}s = {{scratch}};",
        f"    int8_t *const {p}x = {{in0}};",
        f"    int8_t *const {p}y = {{out0}};",
        f"    memset({p}s, {zp_x}, {win_a.nbytes}u);",
        f"    memset({p}s + {at_b}, {zp_y1}, {win_b.nbytes}u);",
        f"    for (int32_t {p}j = 0; {p}j < {pad_a}; ++{p}j) {{",
        f"        memmove({p}s, {p}s + {slot_a}, {last_a}u);",
        f"        memcpy({p}s + {last_a + inner_a}, {p}x + {p}j * {x_row}, {x_row}u);",
        "    }",
        f"    for (int32_t {p}j = 0; {p}j < {height + pad_b}; ++{p}j) {{",
        f"        memmove({p}s + {at_b}, {p}s + {at_b + slot_b}, {last_b}u);",
        f"        if ({p}j < {height}) {{",
        f"            memmove({p}s, {p}s + {slot_a}, {last_a}u);",
        f"            if ({p}j + {pad_a} < {height}) {{",
        f"                memcpy({p}s + {last_a + inner_a}, {p}x + ({p}j + {pad_a}) * {x_row}, {x_row}u);",
        "            } else {",
        f"                memset({p}s + {last_a + inner_a}, {zp_x}, {x_row}u);",
        "            }",
        *("            " + line for line in call_a.strip().splitlines()),
        "        } else {",
        f"            memset({p}s + {at_b + last_b + inner_b}, {zp_y1}, {y_row}u);",
        "        }",
        f"        if ({p}j >= {pad_b}) {{",
        *("            " + line for line in call_b.strip().splitlines()),
        *("            " + line for line in call_add.strip().splitlines()),
        "        }",
        "    }",
        "}",
    ]
    headers = list(dict.fromkeys(la.headers + lb.headers + ladd.headers))
    return OpLowering(call="\n".join(lines), headers=headers, constants=la.constants + lb.constants + ladd.constants,
                      scratch_bytes=at_kernels + kernel_scratch)
