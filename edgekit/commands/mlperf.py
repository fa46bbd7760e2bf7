"""`edgekit mlperf DIR --mode accuracy|performance --data FOLDER`: the MLPerf Tiny host side."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="a build made with --mlperf (default: .)")
    parser.add_argument("--mode", choices=["accuracy", "performance"], default="accuracy",
                        help="Top-1/AUC over the data set, or the median throughput over windows")
    parser.add_argument("--data", required=True, metavar="FOLDER",
                        help="the runner's data set layout: y_labels.csv and the input files")
    parser.add_argument("--port", help="serial port or pyserial URL (default: the build's device)")
    parser.add_argument("--windows", type=int, default=5, help="performance windows (default 5)")
    parser.add_argument("--min-window-s", type=float, default=10.0,
                        help="device seconds each performance window lasts at least (default 10)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for a reply line")
    parser.add_argument("--json", action="store_true", help="print the result as JSON, nothing else")
    parser.add_argument("--json-file", metavar="F", help="also write the result as JSON to F")


def _describe(result) -> list[str]:
    label = " (emulated: executed instructions at the board's clock)" if result.emulated else ""
    if result.mode == "accuracy":
        auc = "n/a (one class)" if result.auc is None else f"{result.auc:.3f}"
        return [f"{result.model_id} on {result.board}: {result.samples} files, "
                f"Top 1% = {result.top1:.1f}, AUC = {auc}"]
    lines = [f"window {k + 1}: {w['iterations']} inferences in {w['device_seconds']:.3f} s "
             f"= {w['throughput']:.3f} inf./s" for k, w in enumerate(result.windows)]
    lines.append(f"{result.model_id} on {result.board}: median throughput "
                 f"{result.median_throughput:.3f} inf./s{label}")
    if result.instructions_per_inference is not None:
        lines.append(f"  {result.instructions_per_inference:,.0f} instructions per inference")
    return lines


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from edgekit.errors import UsageError
    from edgekit.mlperf.run import run_accuracy, run_performance

    if args.windows < 1 or args.min_window_s <= 0 or args.timeout <= 0:
        raise UsageError("--windows, --min-window-s and --timeout must be positive")
    with Progress(TextColumn(f"mlperf {args.mode}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True, disable=args.json) as progress:
        task = progress.add_task(args.mode, total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if args.mode == "accuracy":
            result = run_accuracy(args.dir, args.data, port=args.port, timeout_s=args.timeout,
                                  on_sample=advance)
        else:
            result = run_performance(args.dir, args.data, port=args.port, windows=args.windows,
                                     min_window_s=args.min_window_s, timeout_s=args.timeout,
                                     on_window=advance)
    if args.json_file:
        path = Path(args.json_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print("\n".join(_describe(result)))
    return 0
