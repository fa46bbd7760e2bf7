"""Seeing a plan: an ASCII chart (like TFLite Micro's PrintMemoryPlan) and a PNG.

Chart: one line per step (op in plan order), the arena from offset 0 (left) to its end
(right); each column is arena_bytes/width bytes, shown with the letter of the buffer
there, '.' when free, '+' where two buffers alive at that step share the column (a
declared overlap, or neighbours within one column).
"""

from __future__ import annotations

import string
from pathlib import Path

from edgekit.ir import Graph
from edgekit.memory.types import MemoryPlan, PlanBuffer

LETTERS = string.ascii_uppercase + string.ascii_lowercase + string.digits


def _letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else "*"


def _label(graph: Graph, b: PlanBuffer, limit: int = 48) -> str:
    if b.op is not None:
        return f"scratch of op {b.op} ({graph.ops[b.op].type})"
    name = " = ".join(graph.tensors[t].name for t in b.tensors)
    return name if len(name) <= limit else name[: limit - 3] + "..."


def ascii_chart(plan: MemoryPlan, graph: Graph, width: int = 64) -> str:
    arena = max(plan.arena_bytes, 1)
    buffers = [b for b in plan.buffers if b.size]
    lines = [(f"arena {plan.arena_bytes:,} bytes (alignment {plan.alignment}), "
              f"one column = {arena / width:,.0f} bytes; planner {plan.planner}, tricks {plan.tricks}")]
    for step, op_index in enumerate(plan.op_order):
        row = ["."] * width
        for i, b in enumerate(buffers):
            if not b.first_use <= step <= b.last_use:
                continue
            lo = b.offset * width // arena
            hi = max(lo + 1, -(-(b.offset + b.size) * width // arena))
            for col in range(lo, min(hi, width)):
                row[col] = _letter(i) if row[col] == "." else "+"
        live = sum(b.size for b in buffers if b.first_use <= step <= b.last_use)
        lines.append(f"{step:3d} {graph.ops[op_index].type[:18]:18s} |{''.join(row)}| {live:,}")
    lines.append("legend (letter: offset, size, steps, tensor):")
    for i, b in enumerate(buffers):
        lines.append(f"  {_letter(i)}: @{b.offset:<8,} {b.size:>8,} B  steps {b.first_use}-{b.last_use}  "
                     f"{_label(graph, b)}")
    if any(ov.kind == "rows" for ov in plan.overlaps):
        contract = f"pixel blocks of {plan.pixel_block}" if plan.pixel_block else "whole output rows"
        lines.append(f"  conv/pool overlaps rely on the kernel contract: {contract}")
    for ov in plan.overlaps:
        lines.append(f"  overlap: op {ov.op} {graph.ops[ov.op].type} {ov.kind}, output starts "
                     f"{plan.offsets[ov.input] - plan.offsets[ov.output]:,} B below its input "
                     f"(proof needs >= {ov.min_delta:,})")
    return "\n".join(lines)


def summary(plan: MemoryPlan) -> str:
    lines = [(f"arena: {plan.arena_bytes:,} bytes  (liveness lower bound {plan.lower_bound:,}; "
              f"{plan.arena_bytes / max(plan.lower_bound, 1):.3f}x)")]
    for name, size in plan.planner_bytes.items():
        lines.append(f"  {name:40s} {size:>10,}")
    if plan.op_order != sorted(plan.op_order):
        lines.append(f"  op order changed: {plan.op_order}")
    if plan.eliminated_ops:
        lines.append(f"  ops that move no data (aliases): {plan.eliminated_ops}")
    return "\n".join(lines)


def _colors(n: int) -> list:
    """n clearly different colours: tab20's pairs first, then tab20b/tab20c (60 in all);
    beyond that, evenly spaced hues."""
    import matplotlib

    table = [matplotlib.colormaps[name](k) for name in ("tab20", "tab20b", "tab20c") for k in range(20)]
    if n <= len(table):
        order = list(range(0, 20, 2)) + list(range(1, 20, 2)) + list(range(20, len(table)))
        return [table[k] for k in order[:n]]
    hsv = matplotlib.colormaps["hsv"]
    return [hsv(k / n) for k in range(n)]


def save_png(plan: MemoryPlan, graph: Graph, path: str | Path) -> None:
    """Buffers as rectangles: steps (op index and type) on x, arena offset on y, each
    buffer its own colour and letter, and a legend naming every letter's tensor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    steps = len(plan.op_order)
    buffers = [b for b in plan.buffers if b.size]
    colors = _colors(len(buffers))
    legend_rows = len(buffers)
    fig, (ax, key) = plt.subplots(
        1, 2, figsize=(max(6.0, 0.35 * steps + 3) + 4.5, max(5.0, 0.16 * legend_rows + 1.5)),
        gridspec_kw={"width_ratios": [max(6.0, 0.35 * steps + 3), 4.5]})
    for i, b in enumerate(buffers):
        color = "0.6" if b.op is not None else colors[i]
        ax.add_patch(Rectangle((b.first_use - 0.45, b.offset), b.last_use - b.first_use + 0.9, b.size,
                               facecolor=color, edgecolor="black", linewidth=0.5, alpha=0.85))
        if b.size > plan.arena_bytes * 0.02:
            ax.text(b.first_use - 0.4, b.offset + b.size / 2, _letter(i), va="center", fontsize=7)
    ax.axhline(plan.arena_bytes, color="red", linewidth=1)
    ax.axhline(plan.lower_bound, color="gray", linestyle="--", linewidth=1)
    ax.set_xlim(-0.6, steps - 0.4)
    ax.set_ylim(0, max(plan.arena_bytes, plan.lower_bound, 1) * 1.05)
    ax.set_xticks(range(steps))
    ax.set_xticklabels([f"{i} {graph.ops[i].type.replace('_2D', '')}" for i in plan.op_order],
                       rotation=90, fontsize=6)
    ax.set_xlabel("op (index in the model, type) in execution order", fontsize=7)
    ax.set_ylabel("arena offset (bytes)")
    ax.set_title(f"{graph.name}: arena {plan.arena_bytes:,} B (red), lower bound "
                 f"{plan.lower_bound:,} B (dashed)", fontsize=9)
    key.axis("off")
    key.set_xlim(0, 1)
    key.set_ylim(legend_rows + 1, 0)
    key.text(0, 0, "letter: bytes, ops alive, tensor (grey: kernel scratch)", fontsize=7, weight="bold")
    for i, b in enumerate(buffers):
        key.add_patch(Rectangle((0, i + 0.6), 0.04, 0.8, facecolor="0.6" if b.op is not None else colors[i],
                                edgecolor="black", linewidth=0.3))
        first, last = plan.op_order[b.first_use], plan.op_order[b.last_use]
        key.text(0.06, i + 1.0, f"{_letter(i)}: {b.size:,} B, ops {first}-{last}, {_label(graph, b, 40)}",
                 fontsize=6, va="center")
    fig.tight_layout()
    fig.savefig(str(path), dpi=120)
    plt.close(fig)
