"""Profile outputs: a rich table for the terminal, CSV, a PNG of per-layer bars, HTML."""

from __future__ import annotations

import base64
import csv
import html
import io
from pathlib import Path

from edgekit.profile.summary import ProfileResult


def _unit_label(result: ProfileResult) -> str:
    return {"instructions": "emulated instructions", "cycles": "cycles",
            "us": "µs ticks"}[result.unit]


def rows(result: ProfileResult) -> list[list[str]]:
    out = []
    for layer in result.layers:
        mpc = "-" if layer.macs_per_count is None else f"{layer.macs_per_count:.3f}"
        out.append([str(layer.index), layer.type, f"{layer.macs:,}", f"{layer.counts:,}",
                    f"{layer.us:,.1f}", f"{layer.pct:.1f}", mpc])
    return out


def headers(result: ProfileResult) -> list[str]:
    per = {"instructions": "instr", "cycles": "cycle", "us": "µs tick"}[result.unit]
    unit = {"instructions": "instructions", "cycles": "cycles", "us": "µs ticks"}[result.unit]
    return ["#", "op", "MACs", unit, "µs", "%", f"MACs/{per}"]


def summary_lines(result: ProfileResult) -> list[str]:
    unit = _unit_label(result)
    clock = "host wall clock" if result.unit == "us" else f"at {result.cpu_hz / 1e6:g} MHz"
    lines = [
        (f"total {result.total_counts:,} {unit} (min {result.total_counts_min:,}, "
         f"max {result.total_counts_max:,} over {result.runs} runs) = "
         f"{result.total_us:,.1f} µs, {clock}"),
    ]
    if result.emulated:
        lines.append("counts are QEMU -icount executed instructions (emulated), not cycles")
    e = result.energy
    lines.append(f"energy per inference: {e.uj:,.3f} µJ at {e.mw:,.1f} mW — {e.source}"
                 if e.uj is not None else f"energy per inference: n/a — {e.source}")
    return lines


def print_table(result: ProfileResult, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title=f"{result.board}: per-layer profile ({_unit_label(result)})")
    for i, name in enumerate(headers(result)):
        table.add_column(name, justify="left" if i == 1 else "right")
    for row in rows(result):
        table.add_row(*row)
    console.print(table)
    for line in summary_lines(result):
        console.print(line, markup=False, highlight=False)


def write_csv(result: ProfileResult, path: str | Path) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["index", "type", "macs", "counts", "unit", "us", "pct", "macs_per_count"])
        for layer in result.layers:
            w.writerow([layer.index, layer.type, layer.macs, layer.counts, result.unit,
                        f"{layer.us:.3f}", f"{layer.pct:.2f}",
                        "" if layer.macs_per_count is None else f"{layer.macs_per_count:.4f}"])


def png_bytes(result: ProfileResult) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    n = len(result.layers)
    fig = Figure(figsize=(8, max(2.5, 0.28 * n + 1.2)))
    ax = fig.subplots()
    labels = [f"{layer.index} {layer.type}" for layer in result.layers]
    values = [layer.us for layer in result.layers]
    ax.barh(range(n), values, color="#4C72B0")
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"µs at {result.cpu_hz / 1e6:g} MHz" + (" (emulated instructions)"
                                                         if result.emulated else ""))
    ax.set_title(f"{result.board}: {result.total_us:,.1f} µs per inference "
                 f"(median of {result.runs})", fontsize=9)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def write_png(result: ProfileResult, path: str | Path) -> None:
    Path(path).write_bytes(png_bytes(result))


def _size_rows(report: dict) -> list[tuple[str, str]]:
    facts = [("model", str(report.get("model", "?"))), ("board", str(report.get("board", "?"))),
             ("build id", str(report.get("build_id", "?"))),
             ("kernels", str(report.get("kernel_variant", "?"))),
             ("rounding", str(report.get("rounding", "?")))]
    for key, label in (("arena_bytes", "arena (activations + kernel scratch)"),
                       ("weights_bytes", "weights + params"), ("code_bytes", "code"),
                       ("flash_bytes", "flash total"), ("ram_bytes", "RAM total")):
        if isinstance(report.get(key), int):
            facts.append((label, f"{report[key]:,} B"))
    return facts


def write_html(result: ProfileResult, path: str | Path, plan_png: bytes | None = None,
               plan_note: str = "", report: dict | None = None, plan_legend: str = "") -> None:
    """One self-contained page: what was measured (model, build id, sizes), the per-layer
    table and bars, and the build's memory plan with its legend."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers(result))
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                   for row in rows(result))
    notes = "".join(f"<p>{html.escape(line)}</p>" for line in summary_lines(result))
    image = base64.b64encode(png_bytes(result)).decode()
    model = Path(str((report or {}).get("model") or result.model or "")).name or "model"
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                    for k, v in _size_rows(report or {}))
    Path(path).write_text(
        "<!doctype html><meta charset='utf-8'>"
        f"<title>edgekit profile: {html.escape(model)} on {html.escape(result.board)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px;text-align:right}"
        "td:nth-child(2){text-align:left}table.facts td{text-align:left}</style>"
        f"<h1>edgekit profile: {html.escape(model)} on {html.escape(result.board)}</h1>"
        f"<table class='facts'>{facts}</table>"
        f"<h2>Per layer</h2><table><tr>{head}</tr>{body}</table>{notes}"
        f"<img alt='per-layer latency' src='data:image/png;base64,{image}'>"
        f"<h2>Memory plan</h2><p>{html.escape(plan_note)}</p>"
        + (f"<img alt='memory plan' src='data:image/png;base64,"
           f"{base64.b64encode(plan_png).decode()}'>" if plan_png else "")
        + (f"<h3>Legend</h3><pre>{html.escape(plan_legend)}</pre>" if plan_legend else "")
        + "\n"
    )
