"""`edgekit validate`: device outputs against TFLite's reference kernels."""

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
    write_json_file,
)

ORACLES = {"tflite": "TFLite's reference kernels", "tflm": "TFLite Micro"}


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
    add_json_options(parser, "the result")


def _describe(result) -> list[str]:
    oracle = ORACLES.get(getattr(result, "rounding", "tflite"), "the reference")
    lines = [(f"{result.board}: {result.bit_exact}/{result.samples} samples bit-exact with "
              f"{oracle}, max |diff| {result.max_abs_diff}")]
    m = result.float_metrics
    if m:
        lines.append(f"int8 on device vs float: RMSE {m['rmse']:.5g}, MAE {m['mae']:.5g}, "
                     f"cosine {m['cosine']:.5f}, L2-relative {m['l2_relative']:.4g}")
        if m.get("metric") == "accuracy":
            lines.append(f"accuracy: int8 on device {100 * m['int8']:.2f}%, "
                         f"float {100 * m['float_value']:.2f}%")
    return lines


def run(args: argparse.Namespace) -> int:
    from edgekit import api
    from edgekit.errors import CheckFailed, UsageError

    if args.samples < 1:
        raise UsageError("--samples must be at least 1")
    build_dir(args.dir)
    if args.json_file and args.json_file != "-":
        output_file(args.json_file)  # before the measurement, not after it
    with progress("validating", show=not json_to_stdout(args)) as bar:
        task = bar.add_task("loading the model and TensorFlow's reference", total=None)
        result = api.validate(
            args.dir, data=args.data, samples=args.samples, port=args.port, board=args.board,
            seed=args.seed, float_model=args.float_model,
            on_sample=lambda i, n: bar.update(task, completed=i + 1, total=n,
                                              description="samples on the device"))
    if json_to_stdout(args):
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        for line in _describe(result):
            print(line)
    write_json_file(args, result.to_json())
    if not result.ok:
        print(f"edgekit validate: {result.samples - result.bit_exact} of {result.samples} "
              f"samples differ from the reference (first: sample {result.mismatched[0]})",
              file=sys.stderr)
        return CheckFailed.exit_code
    return 0
