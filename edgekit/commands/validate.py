"""`edgekit validate`: device outputs against TFLite's reference kernels."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="build directory (default: .)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="FILE", help="inputs: .npy, or .npz (x, and y labels)")
    source.add_argument("--samples", type=int, default=10, help="random inputs (default 10)")
    parser.add_argument("--port", help="serial port or pyserial URL")
    parser.add_argument("--board", help="board (default: the build's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--float", dest="float_model", metavar="MODEL",
                        help="the float model (.keras, SavedModel, .h5, float .tflite): also compare "
                        "int8-on-device with float (needs --data .npz with x, y)")
    parser.add_argument("--json", nargs="?", const="-", metavar="F",
                        help="write the result as JSON to F (no F: to stdout, nothing else)")


def _describe(result) -> list[str]:
    lines = [(f"{result.board}: {result.bit_exact}/{result.samples} samples bit-exact with "
              f"TFLite's reference kernels, max |diff| {result.max_abs_diff}")]
    m = result.float_metrics
    if m:
        lines.append(f"int8 on device vs float: RMSE {m['rmse']:.5g}, MAE {m['mae']:.5g}, "
                     f"cosine {m['cosine']:.5f}, L2-relative {m['l2_relative']:.4g}")
        if m.get("metric") == "accuracy":
            lines.append(f"accuracy: int8 on device {100 * m['int8']:.2f}%, "
                         f"float {100 * m['float_value']:.2f}%")
    return lines


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from edgekit import api
    from edgekit.errors import CheckFailed, EdgekitError

    if args.samples < 1:
        raise EdgekitError("--samples must be at least 1")
    with Progress(TextColumn("validating"), BarColumn(), MofNCompleteColumn(),
                  console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("samples", total=None)
        result = api.validate(
            args.dir, data=args.data, samples=args.samples, port=args.port, board=args.board,
            seed=args.seed, float_model=args.float_model,
            on_sample=lambda i, n: progress.update(task, completed=i + 1, total=n))
    if args.json == "-":
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in _describe(result):
            print(line)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result.to_json(), f, indent=2)
    if not result.ok:
        print(f"edgekit validate: {result.samples - result.bit_exact} of {result.samples} "
              f"samples differ from the reference (first: sample {result.mismatched[0]})",
              file=sys.stderr)
        return CheckFailed.exit_code
    return 0
