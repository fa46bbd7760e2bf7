"""`edgekit optimize MODEL --data DATA [--prune S] [--cluster K] [--qat] [--epochs N] [-o DIR]`"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL",
                        help="trained tf_keras (Keras 2) model: .h5, tf_keras .keras or SavedModel")
    parser.add_argument("--data", metavar="DATA", required=True,
                        help=".npz with x and y to fine-tune on (a fifth is held out unless --eval)")
    parser.add_argument("--eval", metavar="DATA", dest="eval_data", help=".npz with x and y to score on")
    parser.add_argument("--prune", type=float, metavar="S", help="prune to sparsity S (e.g. 0.5)")
    parser.add_argument("--cluster", type=int, metavar="K", help="cluster each kernel to K values (e.g. 16)")
    parser.add_argument("--qat", action="store_true", help="quantization-aware training")
    parser.add_argument("--epochs", type=int, default=2, help="fine-tuning epochs per technique (default 2)")
    parser.add_argument("--board", help="also build each int8 variant for BOARD: flash and arena bytes")
    parser.add_argument("-o", "--output", metavar="DIR", help="output folder (default build/<model>-optimize)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")


def _num(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def run(args: argparse.Namespace) -> int:
    from edgekit.api import optimize

    result = optimize(args.model, args.data, prune=args.prune, cluster=args.cluster, qat=args.qat,
                      epochs=args.epochs, out_dir=args.output, eval_data=args.eval_data, board=args.board)
    if args.json:
        print(json.dumps(result.to_json()))
        return 0

    from rich.console import Console
    from rich.table import Table

    metric = result.variants[0].metric
    board = f"edgekit on {args.board}" if args.board else "flash/arena: give --board"
    table = Table(title=f"{args.model} ({board})")
    for name, justify in [("variant", "left"), (metric, "right"), (".tflite B", "right"),
                          ("gzip B", "right"), ("flash B", "right"), ("arena B", "right")]:
        table.add_column(name, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column("note")
    for v in result.variants:
        value = f"{100 * v.value:.2f}%" if v.metric == "accuracy" else f"{v.value:.4g}"
        table.add_row(v.name, value, _num(v.bytes), _num(v.gzip_bytes), _num(v.flash_bytes),
                      _num(v.arena_bytes), v.note)
    console = Console()
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(f"models written to {result.out_dir}")
    return 0
