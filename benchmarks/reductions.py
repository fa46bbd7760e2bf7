"""Executed instructions of int8 MEAN/SUM layers on qemu-cortex-m4, Arm DSP path against
the portable C (ek_reduce.c), the way benchmarks/kernels.py measures the MLPerf layers.

The layers are the global average pools Keras writes as MEAN over (1, 2) (the head of
MobileNet-style and squeeze-excitation networks), at sizes those networks use, plus the
corpus' reductions.tflite layers. Both variants are run in one firmware each under
`qemu-system-arm -M mps2-an386 -icount shift=0`; every output is compared with TFLite
Micro (TF 2.21's BUILTIN_REF int8 SUM is wrong, see edgekit/kernels/reduce.py).

    .venv/bin/python benchmarks/reductions.py [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "kernels"))

from support.harness import random_inputs
from support.qemu_harness import QemuCase, run_cases
from support.reference import run_oracle
from support.tflite_builder import extract_op
from test_qemu_reduce_dsp import reduce_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite, load_tflite_bytes

LAYERS = [("MEAN", (1, 7, 7, 64), (1, 2), True), ("MEAN", (1, 5, 5, 128), (1, 2), False),
          ("MEAN", (1, 16, 16, 32), (1, 2), True), ("MEAN", (1, 4, 4, 256), (1, 2), False),
          ("SUM", (1, 8, 8, 48), (1, 2), True)]


def _cases(rng: np.random.Generator) -> tuple[list[str], list[QemuCase], list[bytes]]:
    names, cases, models = [], [], []
    for op_type, shape, axes, keep in LAYERS:
        models.append(reduce_model(op_type, shape, axes, keep, rng))
        names.append(f"{op_type} {shape} axes {axes}")
    graph = load_tflite(REPO / "tests" / "corpus" / "reductions.tflite")
    for op in graph.ops:
        if op.type == "MEAN":
            models.append(extract_op(graph, op))
            names.append(f"reductions.tflite op {op.index} MEAN {tuple(graph.tensors[op.inputs[0]].shape)}")
    for model in models:
        g = load_tflite_bytes(model)
        cases.append(QemuCase(g, g.ops[0], random_inputs(g, g.ops[0], rng)))
    return names, cases, models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "reductions.md")
    args = parser.parse_args()
    names, cases, models = _cases(np.random.default_rng(0))
    expected = [run_oracle(m, c.inputs, "tflm")[0] for m, c in zip(models, cases)]
    dsp = run_cases(cases, LoweringContext(rounding="tflm", variant="arm-dsp"))
    portable = run_cases(cases, LoweringContext(rounding="tflm", variant="portable"), extra_cflags=["-UEK_ARM_DSP"])
    lines = ["| layer | elements | portable instr | arm-dsp instr | speed-up | bit-exact |",
             "|---|---:|---:|---:|---:|---|"]
    ok = True
    for name, c, d, p, e in zip(names, cases, dsp, portable, expected):
        exact = all(np.array_equal(r.outputs[0], np.asarray(e).reshape(r.outputs[0].shape)) for r in (d, p))
        ok &= exact
        n = c.graph.tensors[c.op.inputs[0]].num_elements
        lines.append(f"| {name} | {n:,} | {p.instructions:,} | {d.instructions:,} | "
                     f"{p.instructions / max(d.instructions, 1):.2f}x | {'yes' if exact else 'NO'} |")
    text = "\n".join(["# int8 MEAN/SUM on qemu-cortex-m4 (executed instructions, resolution 40)", "", *lines])
    args.out.write_text(text + "\n")
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
