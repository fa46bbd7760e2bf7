"""`edgekit verify MODEL [--board host] [--samples N | --inputs FILE] [--calib DATA] [--json]`."""

from __future__ import annotations

import argparse
import json

from edgekit.commands._common import progress, renamed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="int8 .tflite, or a float model with --calib")
    parser.add_argument("--board", default="host", help="where the generated C runs (default: host)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--samples", type=int, default=10, help="random seeded input samples (default 10)")
    group.add_argument("--data", metavar="FILE", dest="inputs", help=".npy/.npz input samples")
    renamed(group, "--inputs", "--data", "inputs")
    parser.add_argument("--calib", metavar="DATA",
                        help="calibration data to quantize a float model first (as build --calib)")
    parser.add_argument("--rounding", choices=["tflite", "tflm"], default="tflite",
                        help="oracle: TF reference kernels (default) or TFLite Micro")
    parser.add_argument("--debug", action="store_true", help="on a mismatch, find the first op that differs")
    parser.add_argument("--sanitize", action="store_true", help="build with AddressSanitizer + UBSan")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from edgekit.errors import CheckFailed
    from edgekit.verify import verify_model

    with progress("verifying", show=not args.json) as bar:
        # One step with elapsed time: loading TensorFlow alone takes seconds.
        bar.add_task("build, host run and TFLite's reference", total=None)
        result = verify_model(args.model, board=args.board, samples=args.samples, inputs=args.inputs,
                              rounding=args.rounding, debug=args.debug, sanitize=args.sanitize,
                              seed=args.seed, calib=args.calib)
    if args.json:
        print(json.dumps(result.to_json()))
    else:
        oracle = "TFLite Micro" if result.rounding == "tflm" else "TFLite reference kernels"
        print(f"{result.model}: {result.bit_exact}/{result.samples} samples bit-exact with {oracle}; "
              f"max |diff| {result.max_abs_diff}")
        if result.first_mismatch:
            m = result.first_mismatch
            print(f"first differing op: #{m['op']} {m['type']} (tensor {m['tensor']}): "
                  f"{m['differing_bytes']} bytes differ, max |diff| {m['max_abs_diff']}")
    if not result.ok:
        raise CheckFailed(f"{result.samples - result.bit_exact} of {result.samples} samples differ "
                          f"(max |diff| {result.max_abs_diff})")
    return 0
