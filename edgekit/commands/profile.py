"""`edgekit profile`: per-layer latency and energy measured on the device."""

from __future__ import annotations

import argparse
import json
import sys

from edgekit.commands._common import (
    add_json_options,
    build_dir,
    json_to_stdout,
    output_file,
    progress,
    renamed,
    write_json_file,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="build directory (default: .)")
    parser.add_argument("--port", help="serial port or pyserial URL (default: found by USB id, "
                        "or the project's QEMU)")
    parser.add_argument("--board", help="board (default: the build's)")
    parser.add_argument("--runs", type=int, default=10, help="inferences to time (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random input")
    add_json_options(parser, "the profile")
    parser.add_argument("--csv", metavar="F", help="write the per-layer table as CSV")
    parser.add_argument("--png", metavar="F.png", dest="png", help="write per-layer latency bars (PNG)")
    renamed(parser, "--plot", "--png", "png")
    parser.add_argument("--html", metavar="F", help="write an HTML report (table + plot)")
    parser.add_argument("--ppk2", metavar="PORT", help="measure energy with a Nordic PPK2 on PORT")
    parser.add_argument("--ppk2-mv", type=int, default=3300,
                        help="PPK2 source voltage in mV (default 3300)")


def run(args: argparse.Namespace) -> int:
    from edgekit import api
    from edgekit.device.session import read_build
    from edgekit.profile import render

    build_dir(args.dir)
    for each in (args.json_file if args.json_file != "-" else None, args.csv, args.png, args.html):
        if each:
            output_file(each)  # a missing folder is made now, a bad name fails before measuring
    build = read_build(args.dir, args.board)
    with progress("profiling", show=not json_to_stdout(args)) as bar:
        task = bar.add_task("runs", total=args.runs)
        result = api.profile(args.dir, port=args.port, runs=args.runs, board=args.board,
                             seed=args.seed, ppk2=args.ppk2, ppk2_mv=args.ppk2_mv,
                             on_run=lambda i: bar.update(task, completed=i + 1))
    result.describe_build(build.report, str(build.dir.resolve()))
    data = result.to_json()
    if json_to_stdout(args):
        json.dump(data, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        render.print_table(result)
    write_json_file(args, data)
    if args.csv:
        render.write_csv(result, args.csv)
    if args.png:
        render.write_png(result, args.png)
    if args.html:
        from edgekit.profile.memory import plan_legend, plan_png

        png, note = plan_png(build)
        render.write_html(result, args.html, png, note, report=build.report,
                          plan_legend=plan_legend(build))
    return 0
