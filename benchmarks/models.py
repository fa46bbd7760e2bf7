"""Whole-model benchmark on qemu-cortex-m4: edgekit beside TFLite Micro + CMSIS-NN.

For each MLPerf Tiny model: `edgekit build` for qemu-cortex-m4 (arm-dsp kernels), the
firmware run in QEMU (-icount shift=0: one virtual ns per executed instruction; CMSDK
timer0, 40 instructions per tick), executed instructions of one inference after a
warm-up (median of --runs), arena bytes from the memory plan, flash = .text + .rodata +
.data of the whole firmware ELF (model, kernels, protocol runtime, libc), and a
bit-exactness check of the device's outputs against TFLite's reference kernels over
serial. TFLM figures are TARGETS.md's (measured 2026-11-22 with the same compiler,
flags, QEMU machine and timer).

    python benchmarks/models.py [--runs N] [--samples N] [--out benchmarks/results/models.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MODELS = REPO.parent / "shared" / "models"
BOARD = "qemu-cortex-m4"

# TARGETS.md: TFLite Micro + CMSIS-NN on qemu-cortex-m4 (instructions, arena, flash).
TFLM = {
    "kws_ds_cnn_int8": (7_699_880, 22_832, 117_296),
    "vww_mobilenet_int8": (24_101_880, 100_720, 396_652),
    "ic_resnet8_int8": (29_863_280, 55_008, 161_856),
    "ad_autoencoder_int8": (582_920, 3_024, 340_340),
}
GOALS = "instructions ≤ 0.6×, arena ≤ 0.6×, flash ≤ 0.8× TFLM+CMSIS-NN; ≥ 0.8 MAC/instruction on conv models"


def measure(model: Path, work: Path, runs: int, samples: int) -> dict:
    from edgekit import api

    result = api.build(model, BOARD, work / model.stem)
    report = result.report
    prof = api.profile(work / model.stem, runs=runs)
    check = api.validate(work / model.stem, samples=samples)
    api.flash_stop(work / model.stem)
    if model.stem == PROFILED:
        _write_profile(prof, model)
    return dict(model=model.stem, macs=report["macs"], instructions=prof.total_counts,
                arena=report["arena_bytes"], flash=report["flash_bytes"], weights=report["weights_bytes"],
                lower_bound=report["lower_bound_bytes"], tflite_bytes=model.stat().st_size,
                bit_exact=f"{check.bit_exact}/{check.samples}",
                layers=[(layer.type, layer.macs, layer.counts) for layer in prof.layers])


PROFILED = "kws_ds_cnn_int8"  # its per-layer profile goes to the README


def _write_profile(prof, model: Path) -> None:
    """The per-layer table and bar chart of one model, as `edgekit profile` prints them."""
    from edgekit.profile.render import headers, rows, summary_lines, write_png

    out = REPO / "benchmarks" / "results"
    name = f"profile_kws_{BOARD}"
    write_png(prof, out / f"{name}.png")
    head = headers(prof)
    lines = [f"# {model.stem} on {BOARD}: `edgekit profile` (per layer)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows(prof)]
    lines += ["", *summary_lines(prof)]
    (out / f"{name}.md").write_text("\n".join(lines) + "\n")


def table(rows: list[dict]) -> str:
    lines = [
        "| model | MACs | instructions | × TFLM | MACs/instr | arena B | × TFLM | lower bound | flash B | × TFLM "
        "| weights B | .tflite B | bit-exact |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        instr, arena, flash = TFLM[r["model"]]
        lines.append(
            f"| {r['model']} | {r['macs']:,} | {r['instructions']:,} | {r['instructions'] / instr:.2f} | "
            f"{r['macs'] / r['instructions']:.2f} | {r['arena']:,} | {r['arena'] / arena:.2f} | {r['lower_bound']:,} | "
            f"{r['flash']:,} | {r['flash'] / flash:.2f} | {r['weights']:,} | {r['tflite_bytes']:,} | {r['bit_exact']} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=3, help="inputs checked bit-exact on the device")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "models.md")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgekit-bench-") as tmp:
        for name in TFLM:
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            rows.append(measure(MODELS / f"{name}.tflite", Path(tmp), args.runs, args.samples))
    text = (f"# edgekit on {BOARD} vs TFLite Micro + CMSIS-NN\n\n{table(rows)}\n\nGoals: {GOALS}.\n\n"
            f"How: {__doc__.split(chr(10) + chr(10))[1]}\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
