"""LSTM models on qemu-cortex-m4: instructions, arena against TFLite Micro's, bit-exactness.

For each converter-built LSTM of tests/corpus/lstm (tests/corpus/make_corpus_lstm.py):
`edgekit build` for qemu-cortex-m4 (arm-dsp kernels), executed instructions of one
inference in QEMU (-icount shift=0, as benchmarks/models.py; median of --runs after a
warm-up, the LSTM state carried from invoke to invoke as on the device), the device's
outputs against TFLite's reference kernels over serial, the arena of the memory plan (the
LSTM's hidden and cell state, its gate scratch and the sequence tensors, all planned), the
liveness lower bound, and TFLite Micro's smallest working arena (the tflite-micro package's
host interpreter, by bisection as in benchmarks/arena.py: a 64-bit build, so its persistent
structures are pointer-sized).

TFLite Micro + CMSIS-NN's instruction count for these models is not measured here: that
needs a TFLM firmware for qemu-cortex-m4 built from its sources, which this script does not
do (benchmarks/models.py quotes TARGETS.md's TFLM figures for the MLPerf models only).

    python benchmarks/lstm.py [--runs N] [--samples N]   # writes benchmarks/results/lstm.md/.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LSTM = REPO / "tests" / "corpus" / "lstm"
NAMES = ("mnist_lstm", "kws_lstm", "lstm_time_major")
BOARD = "qemu-cortex-m4"


_PROBE = """
import sys, numpy as np
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
interpreter = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
details = interpreter.get_input_details(0)
interpreter.set_input(np.zeros(details["shape"], details["dtype"]), 0)
interpreter.invoke()
"""


def tflm_min_arena(model: Path) -> int:
    """Smallest arena with which TFLite Micro allocates and invokes, each probe in a child
    process (TFLM's LSTM crashes rather than failing cleanly in an arena too small)."""
    import subprocess

    def works(size: int) -> bool:
        probe = subprocess.run([sys.executable, "-c", _PROBE, str(model), str(size)],
                               capture_output=True, timeout=120)
        return probe.returncode == 0

    low, high = 256, 1 << 16
    while not works(high):
        low, high = high, high * 2
    while high - low > 16:
        mid = (low + high) // 2
        low, high = (low, mid) if works(mid) else (mid, high)
    return high


def measure(model: Path, work: Path, runs: int, samples: int) -> dict:
    from edgekit import api

    print(f"measuring {model.stem} ...", file=sys.stderr, flush=True)
    result = api.build(model, BOARD, work / model.stem)
    report = result.report
    prof = api.profile(work / model.stem, runs=runs)
    check = api.validate(work / model.stem, samples=samples)
    api.flash_stop(work / model.stem)
    lstm = next(layer for layer in prof.layers if layer.type == "UNIDIRECTIONAL_SEQUENCE_LSTM")
    return dict(model=model.stem, macs=report["macs"], instructions=prof.total_counts,
                lstm_instructions=lstm.counts, arena=report["arena_bytes"],
                lower_bound=report["lower_bound_bytes"], tflm_arena=tflm_min_arena(model),
                flash=report["flash_bytes"], bit_exact=f"{check.bit_exact}/{check.samples}")


def table(rows: list[dict]) -> str:
    lines = ["| model | instructions | of which LSTM | arena B | lower bound B | TFLM arena B | × TFLM "
             "| flash B | bit-exact (TF ref) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['instructions']:,} | {r['lstm_instructions']:,} | {r['arena']:,} | "
                     f"{r['lower_bound']:,} | {r['tflm_arena']:,} | {r['arena'] / r['tflm_arena']:.2f} | "
                     f"{r['flash']:,} | {r['bit_exact']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--runs", 3), ("--samples", 3)):
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lstm.md")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with tempfile.TemporaryDirectory(prefix="edgekit-bench-lstm-") as tmp:
        rows = [measure(LSTM / f"{name}.tflite", Path(tmp), args.runs, args.samples) for name in NAMES]
    parts = __doc__.split("\n\n")
    text = f"# LSTM models on {BOARD}\n\n{table(rows)}\n\nHow: {parts[1]}\n\n{parts[2]}\n"
    for path, body in ((args.out, text), (args.out.with_suffix(".json"), json.dumps(rows, indent=2) + "\n")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body)
    print(text)
    return 0

if __name__ == "__main__":
    sys.exit(main())
