"""`edgekit profile`: per-layer latency and energy measured on the device."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="build directory (default: .)")
    parser.add_argument("--port", help="serial port or pyserial URL (default: found by USB id, "
                        "or the project's QEMU)")
    parser.add_argument("--board", help="board (default: the build's)")
    parser.add_argument("--runs", type=int, default=10, help="inferences to time (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")
    parser.add_argument("--json", nargs="?", const="-", metavar="F",
                        help="write the profile as JSON to F (no F: to stdout, nothing else)")
    parser.add_argument("--csv", metavar="F", help="write the per-layer table as CSV")
    parser.add_argument("--plot", metavar="F.png", help="write per-layer latency bars (PNG)")
    parser.add_argument("--html", metavar="F", help="write an HTML report (table + plot)")
    parser.add_argument("--ppk2", metavar="PORT", help="measure energy with a Nordic PPK2 on PORT")
    parser.add_argument("--ppk2-mv", type=int, default=3300,
                        help="PPK2 source voltage in mV (default 3300)")


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from edgekit import api
    from edgekit.profile import render

    err = Console(stderr=True)
    with Progress(TextColumn("profiling"), BarColumn(), MofNCompleteColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task("runs", total=args.runs)
        result = api.profile(args.dir, port=args.port, runs=args.runs, board=args.board,
                             seed=args.seed, ppk2=args.ppk2, ppk2_mv=args.ppk2_mv,
                             on_run=lambda i: progress.update(task, completed=i + 1))
    data = result.to_json()
    if args.json == "-":
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render.print_table(result)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(data, f, indent=2)
    if args.csv:
        render.write_csv(result, args.csv)
    if args.plot:
        render.write_png(result, args.plot)
    if args.html:
        from edgekit.device.session import read_build
        from edgekit.profile.memory import plan_png

        png, note = plan_png(read_build(args.dir, args.board))
        render.write_html(result, args.html, png, note)
    return 0
