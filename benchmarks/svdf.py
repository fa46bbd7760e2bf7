"""SVDF layers on qemu-cortex-m4: instructions, arena against TFLite Micro's, bit-exactness.

For each int8 SVDF layer of the shapes below (built through the TFLite schema by
tests/kernels/support/sequence_models.py, no converter writes SVDF): `edgekit build` for
qemu-cortex-m4 (arm-dsp kernels: SMLAD feature and time dot products), executed
instructions of one invoke in QEMU (-icount shift=0, median of --runs after a warm-up, the
activation state carried from invoke to invoke), the device's outputs against TFLite's
reference kernels over serial, the arena of the memory plan (input, output and the
activation state, which stays alive over the whole schedule; the kernel needs no scratch),
the liveness lower bound, and TFLite Micro's smallest working arena (the tflite-micro
package's host interpreter, by bisection as benchmarks/lstm.py measures it: a 64-bit
build, so its persistent structures are pointer-sized; its two int32 scratch buffers,
batches x filters and batches x units, are in it).

TFLite Micro + CMSIS-NN's instruction count is not measured here: that needs a TFLM
firmware for qemu-cortex-m4 built from its sources, which this script does not do.

    python benchmarks/svdf.py [--runs N] [--samples N]   # writes benchmarks/results/svdf.md/.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from lstm import BOARD, tflm_min_arena

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "kernels"))

# name -> (batches, inputs, units, rank, memory): a first keyword-spotting SVDF layer on 40
# filterbank features, a deeper rank-2 layer, and a small one.
SHAPES = {"kws_40x64_rank1_mem8": (1, 40, 64, 1, 8), "deep_64x64_rank2_mem16": (1, 64, 64, 2, 16),
          "small_16x16_rank1_mem4": (1, 16, 16, 1, 4)}


def measure(name: str, work: Path, runs: int, samples: int) -> dict:
    from support.sequence_models import SvdfCase, svdf_model

    from edgekit import api

    print(f"measuring {name} ...", file=sys.stderr, flush=True)
    model = work / f"{name}.tflite"
    model.write_bytes(svdf_model(SvdfCase(*SHAPES[name], out_scale=1 / 32, seed=1)))
    report = api.build(model, BOARD, work / name).report
    prof = api.profile(work / name, runs=runs)
    check = api.validate(work / name, samples=samples)
    api.flash_stop(work / name)
    return dict(model=name, macs=report["macs"], instructions=prof.total_counts, arena=report["arena_bytes"],
                lower_bound=report["lower_bound_bytes"], tflm_arena=tflm_min_arena(model),
                flash=report["flash_bytes"], bit_exact=f"{check.bit_exact}/{check.samples}")


def table(rows: list[dict]) -> str:
    lines = ["| layer | MACs | instructions | arena B | lower bound B | TFLM arena B | × TFLM | flash B "
             "| bit-exact (TF ref) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['macs']:,} | {r['instructions']:,} | {r['arena']:,} | "
                     f"{r['lower_bound']:,} | {r['tflm_arena']:,} | {r['arena'] / r['tflm_arena']:.2f} | "
                     f"{r['flash']:,} | {r['bit_exact']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--runs", 3), ("--samples", 4)):
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "svdf.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory(prefix="edgekit-bench-svdf-") as tmp:
        rows = [measure(name, Path(tmp), args.runs, args.samples) for name in SHAPES]
    parts = __doc__.split("\n\n")
    text = f"# SVDF layers on {BOARD}\n\n{table(rows)}\n\nHow: {parts[1]}\n\n{parts[2]}\n"
    for path, body in ((args.out, text), (args.out.with_suffix(".json"), json.dumps(rows, indent=2) + "\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
