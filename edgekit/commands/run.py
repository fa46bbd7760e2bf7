"""`edgekit run MODEL --board B`: build → flash → validate → profile, with one summary.

Each step is the command of the same name; the first that fails stops the run with its
own exit status. An emulated board's QEMU is stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edgekit.commands._common import progress


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="int8 .tflite, or a float model with --calib")
    parser.add_argument("--board", required=True, help="target board (see `edgekit boards`)")
    parser.add_argument("-o", "--output", metavar="DIR", dest="out",
                        help="project folder (default build/<model>-<board>/)")
    parser.add_argument("--calib", metavar="DATA", help="calibration data to quantize a float model")
    parser.add_argument("--rounding", choices=["tflite", "tflm"], default="tflite",
                        help="match TF's reference kernels (default) or TFLite Micro bit for bit")
    parser.add_argument("--samples", type=int, default=10, help="random inputs to validate (default 10)")
    parser.add_argument("--runs", type=int, default=5, help="inferences to profile (default 5)")
    parser.add_argument("--port", help="serial port (real boards; default: found by USB id)")
    parser.add_argument("--json", action="store_true", help="print one JSON object with every step")


def run(args: argparse.Namespace) -> int:
    from edgekit import api
    from edgekit.build import require_fit
    from edgekit.errors import CheckFailed, UsageError

    if args.samples < 1 or args.runs < 1:
        raise UsageError("--samples and --runs must be at least 1")
    with progress("run", show=not args.json) as bar:
        task = bar.add_task("build", total=4)
        built = api.build(args.model, args.board, args.out, calib=args.calib, rounding=args.rounding)
        require_fit(built)
        out = Path(built.out_dir)
        bar.update(task, completed=1, description="flash")
        flashed = api.flash(out, port=args.port)
        try:
            bar.update(task, completed=2, description="validate")
            port = args.port if flashed.kind != "emulated" else None
            checked = api.validate(out, samples=args.samples, port=port)
            bar.update(task, completed=3, description="profile")
            prof = api.profile(out, runs=args.runs, port=port)
            prof.describe_build(built.report, str(out.resolve()))
        finally:
            if flashed.kind == "emulated":
                api.flash_stop(out)
    report = built.report
    if args.json:
        print(json.dumps({"build": {k: report[k] for k in ("model", "board", "build_id", "arena_bytes",
                                                           "weights_bytes", "flash_bytes", "ram_bytes",
                                                           "project")},
                          "validate": checked.to_json(), "profile": prof.to_json()}))
    else:
        oracle = "TFLite Micro" if report["rounding"] == "tflm" else "TFLite's reference kernels"
        print(f"{Path(report['model']).name} on {report['board']} (build {report['build_id']}, {out})")
        print(f"  size:     arena {report['arena_bytes']:,} B, flash {report['flash_bytes']:,} B, "
              f"RAM {report['ram_bytes']:,} B")
        print(f"  validate: {checked.bit_exact}/{checked.samples} samples bit-exact with {oracle}")
        print(f"  profile:  {prof.total_counts:,} {prof.unit} per inference "
              f"({prof.total_us:,.1f} µs at {prof.cpu_hz / 1e6:g} MHz"
              f"{', emulated' if prof.emulated else ''}), median of {prof.runs}")
    if not checked.ok:
        print(f"edgekit run: {checked.samples - checked.bit_exact} of {checked.samples} samples differ "
              "from the reference", file=sys.stderr)
        return CheckFailed.exit_code
    return 0
