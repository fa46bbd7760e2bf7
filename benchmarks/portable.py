"""The MLPerf Tiny models on the portable C path (qemu-riscv32, RV32IMAC), beside main's figures.

For each model: `edgekit build` for qemu-riscv32 (portable kernels: no SIMD), executed
instructions of one inference (the board's mcycle/minstret counter, `edgekit profile`,
median of --runs after a warm-up), arena bytes from the memory plan, flash of the whole
ELF, and the device's outputs checked bit-exact over serial against TFLite's reference
kernels (--rounding tflite) or TFLite Micro (--rounding tflm). BEFORE holds the same
measurement of the tree before the blocked portable kernels (2026-12-02).

    python benchmarks/portable.py [--models kws vww ic ad] [--rounding tflite] [--board qemu-riscv32]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from board_run import measure, write_results

REPO = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO.parent / "shared" / "models"
RESULTS = REPO / "benchmarks" / "results"
MODELS = {"kws": "kws_ds_cnn_int8", "vww": "vww_mobilenet_int8", "ic": "ic_resnet8_int8",
          "ad": "ad_autoencoder_int8"}
# qemu-riscv32 instructions per inference before this work (main at 8ed384b, same method).
BEFORE = {"kws": 37_576_700, "vww": 97_222_035, "ic": 118_152_016, "ad": 2_205_111}
GOAL = "KWS <= 9.4 M instructions (>= 0.28 MAC/instruction); VWW, IC, AD >= 4x faster than before"


def markdown(rows: list[dict]) -> str:
    lines = ["# MLPerf Tiny on the portable C path", "",
             "| model | board | rounding | MACs | instructions | MAC/instr | before | speed-up | arena B | flash B "
             "| bit-exact |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        before = BEFORE.get(r["model"], 0) if r["board"] == "qemu-riscv32" else 0
        was = f"{before:,}" if before else "–"
        gain = f"{before / r['instructions']:.2f}×" if before else "–"
        lines.append(f"| {r['model']} | {r['board']} | {r['rounding']} | {r['macs']:,} | {r['instructions']:,} | "
                     f"{r['macs'] / r['instructions']:.3f} | {was} | {gain} | {r['arena']:,} | "
                     f"{r['flash']:,} | {r['bit_exact']} |")
    lines += ["", f"Goals (issue #20): {GOAL}.", "", "How: " + __doc__.split("\n\n")[1].replace("\n", " "), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--board", default="qemu-riscv32")
    parser.add_argument("--rounding", default="tflite", choices=["tflite", "tflm"])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=2, help="inputs checked bit-exact on the device")
    parser.add_argument("--out", type=Path, default=RESULTS / "portable.md")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgekit-portable-") as tmp:
        for key in args.models:
            print(f"measuring {key} on {args.board} ...", file=sys.stderr, flush=True)
            row = measure(MODELS_DIR / f"{MODELS[key]}.tflite", args.board, args.rounding,
                          Path(tmp) / key, args.runs, args.samples)
            rows.append({"model": key, **row})
    write_results(args.out, markdown(rows), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
