"""`edgekit inspect MODEL [--json]`: ops, shapes, quantization, MACs and memory of a model."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from edgekit.commands._common import console

if TYPE_CHECKING:
    from edgekit.inspect import ModelSummary


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help=".tflite model (int8 or float)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def _shapes(tensors: list) -> str:
    return ", ".join(f"{t.dtype}{t.shape}" for t in tensors)


def run(args: argparse.Namespace) -> int:
    from edgekit.inspect import inspect_model

    summary = inspect_model(args.model)
    if args.json:
        from pathlib import Path

        print(json.dumps({**summary.to_json(), "model": str(Path(args.model).resolve()),
                          "warnings": summary.warnings}))
        _warn(summary.warnings)
        return 0

    out = console()
    for each in [summary, *summary.subgraphs]:
        out.print(_op_table(each))
    out.print(f"MACs: {summary.macs:,}   weights in the .tflite: {summary.weights_bytes:,} B   "
              f"activation lower bound: {summary.activation_lower_bound_bytes:,} B   "
              f"integer only: {'yes' if summary.integer_only else 'no'}", markup=False, highlight=False)
    out.print("(`edgekit build` reports more as 'weights + params': the constants as the kernels "
              "read them, with folded biases, multipliers and the Arm DSP path's int16 copies)",
              markup=False, highlight=False)
    if summary.float_ops:
        out.print(f"float32 fallback: {summary.float_ops} op{'s' if summary.float_ops != 1 else ''} "
                  f"({', '.join(f'{o.type} #{o.index}' for o in summary.ops if o.status == 'float')}), "
                  f"{summary.float_elements:,} elements, {summary.float_macs:,} MACs in float "
                  "(`edgekit build --int8-only` refuses them)", markup=False, highlight=False)
    _warn(summary.warnings)
    return 0


_STATUS = {"supported": "int8", "float": "float32", "unsupported": "UNSUPPORTED", "quantize": "quantize first"}


def _warn(warnings: list[str]) -> None:
    """Unsupported ops are a warning here (exit 0): `edgekit build` is what refuses them."""
    import sys

    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    if warnings:
        print(f"warning: {len(warnings)} op{'s' if len(warnings) != 1 else ''} unsupported: "
              "`edgekit build` will stop at the first", file=sys.stderr)


def _op_table(summary: ModelSummary) -> Any:
    """One subgraph's ops as a table (the main graph first, then each subgraph)."""
    from rich.table import Table

    table = Table(title=f"{summary.model}: {len(summary.ops)} ops")
    for column, justify in [("#", "right"), ("op", "left"), ("inputs", "left"), ("outputs", "left"),
                            ("quantization (out)", "left"), ("MACs", "right"), ("params B", "right"),
                            ("runs", "left")]:
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for op in summary.ops:
        table.add_row(str(op.index), op.type, _shapes(op.inputs), _shapes(op.outputs),
                      op.outputs[0].quant if op.outputs else "-", f"{op.macs:,}", f"{op.param_bytes:,}",
                      _STATUS[op.status])
    return table
