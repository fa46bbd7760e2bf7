"""`edgekit quantize MODEL --calib DATA -o OUT.tflite [--report F] [--eval DATA] ...`"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgekit.errors import UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL",
                        help="float model: Keras 3 .keras, legacy .h5, SavedModel folder, float .tflite")
    parser.add_argument("--calib", metavar="DATA",
                        help="calibration data: .npz (array x or the only array) / .npy, a folder of "
                             "images, or 'random[:N]' (ruins accuracy; warns)")
    parser.add_argument("-o", "--output", metavar="OUT.tflite", required=True, help="output model")
    parser.add_argument("--report", metavar="F.csv|F.json",
                        help="per-layer float vs int8 error (SQNR, RMSE, max error, scale, zero point)")
    parser.add_argument("--eval", metavar="DATA", dest="eval_data",
                        help=".npz with x and y: accuracy (or RMSE) of float vs int8, reference kernels")
    parser.add_argument("--io", choices=("int8", "uint8"), default="int8",
                        help="input/output type of the int8 model (uint8 for camera pipelines)")
    parser.add_argument("--mode", choices=("int8", "float16", "dynamic"), default="int8",
                        help="int8: full integer (default); float16/dynamic: not for microcontrollers")
    parser.add_argument("--activations", choices=("int8", "int16"), default="int8",
                        help="int16: int16x8 (int16 activations and I/O, int8 weights, int64 bias); "
                             "--report then shows int8 and int16 errors side by side")
    parser.add_argument("--quantizer", choices=("auto", "tf", "edgekit"), default="auto",
                        help="who quantizes to int8: tf (TF's converter; ai-edge-quantizer for a float "
                             ".tflite), edgekit (edgekit's own, for graphs those cannot take: WHILE "
                             "loops, rolled GRU/SimpleRNN), auto (default: tf unless known not to work "
                             "or it fails, then edgekit)")
    parser.add_argument("--per-tensor", action="store_true",
                        help="per-tensor weight scales instead of per-channel (conv and dense)")
    parser.add_argument("--max-calib", type=int, default=500, metavar="N",
                        help="use at most N calibration samples (default 500)")
    images = parser.add_argument_group("image folders: value = ((pixel * scale + offset) - mean) / std")
    images.add_argument("--scale", type=float, default=1.0 / 255.0, help="default 1/255")
    images.add_argument("--offset", type=float, default=0.0, help="default 0")
    images.add_argument("--mean", type=float, default=0.0, help="default 0")
    images.add_argument("--std", type=float, default=1.0, help="default 1")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")


def run(args: argparse.Namespace) -> int:
    from edgekit import api
    from edgekit.quantize.calib import ImageMapping

    if args.report:
        from edgekit.quantize.report import check_report_path

        check_report_path(Path(args.report))
        if args.mode != "int8":
            raise UsageError("--report compares float with int8; it needs --mode int8")
    if args.std == 0:
        raise UsageError("--std must not be 0")
    if args.max_calib < 1:
        raise UsageError("--max-calib must be at least 1")
    result = api.quantize(
        args.model, args.calib, args.output, mode=args.mode, io=args.io, per_tensor=args.per_tensor,
        report=args.report, eval_data=args.eval_data, max_calib_samples=args.max_calib,
        image_mapping=ImageMapping(args.scale, args.offset, args.mean, args.std),
        activations=args.activations, quantizer=args.quantizer)
    if args.json:
        print(json.dumps(result.to_json()))
        return 0

    from rich.console import Console

    console = Console()
    if result.layers is not None:
        console.print(result.layers.rich_table())
        console.print(f"per-layer report written to {args.report}")
    size = f"{result.size_bytes:,} bytes"
    if result.float_size_bytes:
        size += f" (float .tflite {result.float_size_bytes:,} bytes, " \
                f"{result.float_size_bytes / result.size_bytes:.1f}x)"
    console.print(f"wrote {result.output}: {size}, {len(result.ops)} ops "
                  f"({', '.join(sorted(set(result.ops)))})")
    if result.mode == "int8":
        console.print(f"full integer: every tensor integer, {result.io} input and output, batch 1; "
                      f"calibrated on {result.calib_samples} samples")
    else:
        console.print(f"[bold yellow]{result.warning}[/]")
    for note in result.notes:
        console.print(f"note: {note}")
    if result.evaluation is not None:
        console.print(result.evaluation.describe())
    return 0
