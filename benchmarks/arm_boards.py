"""The MLPerf Tiny models on the emulated Arm DSP boards: M4 beside M7 and M33.

For each model and each of qemu-cortex-m4 (mps2-an386), qemu-cortex-m7 (mps2-an500) and
qemu-cortex-m33 (mps2-an505): `edgekit build` (arm-dsp kernels), executed instructions of
one inference from `edgekit profile` (-icount shift=0, CMSDK timer0, 40 instructions a
tick; median of --runs), MAC/instruction, the planned arena and the device's outputs
checked bit-exact against TFLite's reference kernels (benchmarks/board_run.py). With --before (a JSON
this script wrote for another tree, e.g. main) each figure gets the ratio to it, which is
how "M7 and M33 no worse than M4" and "no arena grows" are checked.

    python benchmarks/arm_boards.py [--runs N] [--samples N] [--before FILE] [--out FILE]

The raw rows go beside the table as .json (the --before input of another run).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from board_run import measure, write_results

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO.parent / "shared" / "models"
BOARDS = ("qemu-cortex-m4", "qemu-cortex-m7", "qemu-cortex-m33")
NAMES = ("kws_ds_cnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8")


def table(rows: list[dict], before: dict[tuple[str, str], dict]) -> str:
    lines = ["| model | board | MACs | instructions | MAC/instr | arena B | instr. × before | arena × before "
             "| bit-exact |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = before.get((r["model"], r["board"]))
        ratio_i = f"{r['instructions'] / b['instructions']:.3f}" if b else "-"
        ratio_a = f"{r['arena'] / b['arena']:.3f}" if b else "-"
        lines.append(f"| {r['model']} | {r['board']} | {r['macs']:,} | {r['instructions']:,} | "
                     f"{r['macs'] / r['instructions']:.2f} | {r['arena']:,} | {ratio_i} | {ratio_a} | {r['bit_exact']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="JSON of another tree's run, for the ratios")
    parser.add_argument("--before-label", default="another tree", help="what --before measured")
    parser.add_argument("--samples", type=int, default=2, help="inputs checked bit-exact on the device")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "arm_boards.md")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    before = {}
    if args.before:
        before = {(r["model"], r["board"]): r for r in json.loads(args.before.read_text())}
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgekit-bench-") as tmp:
        for name in NAMES:
            for board in BOARDS:
                print(f"measuring {name} on {board} ...", file=sys.stderr, flush=True)
                row = measure(MODELS / f"{name}.tflite", board, "tflite", Path(tmp) / f"{name}-{board}",
                              args.runs, args.samples)
                rows.append({"model": name, **{k: v for k, v in row.items() if k != "layers"}})
    against = f"\n\n`× before`: against {args.before_label}." if before else ""
    text = (f"# The MLPerf Tiny models on the emulated Arm DSP boards\n\n{table(rows, before)}{against}\n\n"
            f"How: {__doc__.split(chr(10) + chr(10))[1]}\n")
    write_results(args.out, text, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
