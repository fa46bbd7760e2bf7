"""The MLPerf Tiny models on qemu-cortex-m55 (mps3-an547): edgekit's MVE kernels (variant
arm-mve) beside TFLite Micro + CMSIS-NN with MVE (issue #20's figures, same QEMU machine,
-O2, -icount shift=0, FPGAIO counter at 50 instructions per tick).

For each model and rounding mode: `edgekit build`, executed instructions of one inference
(median of --runs after a warm-up), arena bytes of the memory plan, flash of the whole ELF,
and the device's outputs checked bit-exact against the oracle of the mode over serial
(benchmarks/board_run.py). Run it from a tree whose qemu-cortex-m55 board is still on
arm-dsp to get the "before" column (--label).

    python benchmarks/mve.py [--runs 3] [--samples 2] [--label arm-mve] [--out benchmarks/results/mve.md]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from board_run import measure, write_results

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO.parent / "shared" / "models"
BOARD = "qemu-cortex-m55"
# Issue #20: TFLite Micro + CMSIS-NN (MVE) on qemu-cortex-m55: instructions, arena, flash.
TFLM_MVE = {
    "kws_ds_cnn_int8": (1_812_500, 27_352, 105_508),
    "vww_mobilenet_int8": (6_557_900, 100_776, 384_860),
    "ic_resnet8_int8": (4_913_100, 55_032, 146_756),
    "ad_autoencoder_int8": (149_900, 9_700, 302_744),
}
GOAL = 0.6  # issue #20: instructions and arena <= 0.6x TFLM + CMSIS-NN MVE


def table(rows: list[dict], before: dict[str, dict]) -> str:
    lines = ["| model | rounding | MACs | instr. (arm-dsp, before) | instr. (arm-mve) | TFLM+CMSIS-NN | × TFLM "
             f"(goal ≤ {GOAL}) | MAC/instr. | arena B | × TFLM | flash B | × TFLM | bit-exact |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        t = TFLM_MVE[r["model"]]
        old = before.get(f"{r['model']}/{r['rounding']}", {}).get("instructions")
        lines.append(f"| {r['model']} | {r['rounding']} | {r['macs']:,} | {f'{old:,}' if old else '—'} | "
                     f"{r['instructions']:,} | {t[0]:,} | {r['instructions'] / t[0]:.2f} | "
                     f"{r['macs'] / r['instructions']:.2f} | {r['arena']:,} | {r['arena'] / t[1]:.2f} | "
                     f"{r['flash']:,} | {r['flash'] / t[2]:.2f} | {r['bit_exact']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--roundings", nargs="+", default=["tflite", "tflm"])
    ap.add_argument("--models", nargs="+", default=list(TFLM_MVE))
    ap.add_argument("--label", default="arm-mve", help="arm-dsp: write the 'before' rows only")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "mve.md")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ek-mve-") as tmp:
        for name in args.models:
            for rounding in args.roundings:
                row = measure(MODELS / f"{name}.tflite", BOARD, rounding, Path(tmp) / f"{name}-{rounding}",
                              args.runs, args.samples)
                row.update(model=name, variant=args.label)
                rows.append(row)
                print(f"{name} {rounding}: {row['instructions']:,} instructions, arena {row['arena']:,}, "
                      f"bit-exact {row['bit_exact']}", flush=True)
    before_path = args.out.with_name("mve_before.json")
    if args.label != "arm-mve":
        before_path.write_text(json.dumps(rows, indent=2) + "\n")
        return
    before = ({f"{r['model']}/{r['rounding']}": r for r in json.loads(before_path.read_text())}
              if before_path.exists() else {})
    write_results(args.out, table(rows, before), rows)


if __name__ == "__main__":
    main()
