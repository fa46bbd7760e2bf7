"""What the float32 fallback costs: instructions per float op on an FPU core and on a core
with software float, and the float kernel code the linker kept.

For each mixed model of tests/corpus/make_corpus_float.py: `edgekit build` on
qemu-cortex-m4 (FPv4-SP, -mfloat-abi=hard) and qemu-riscv32 (RV32IMAC, no F extension:
the compiler's software float), then `edgekit profile` (QEMU's instruction count per op).
Reported per float op: instructions, float32 elements, instructions per element; per
build: the ek_f32_* code bytes (report.json float_code_bytes; libm and soft-float
helpers not included) and the arena.

Run: .venv/bin/python benchmarks/float_fallback.py
Writes benchmarks/results/float_fallback.md and float_fallback.json.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODELS = [ROOT / "tests" / "corpus" / "float_middle.tflite", ROOT / "tests" / "corpus" / "tflm_only" / "float_math.tflite"]
BOARDS = ["qemu-cortex-m4", "qemu-riscv32"]
RESULTS = Path(__file__).resolve().parent / "results"


def measure(model: Path, board: str, work: Path) -> dict[str, Any]:
    from edgekit import api

    out = work / f"{model.stem}-{board}"
    report = api.build(model, board, out).report
    layers = api.profile(out, runs=3).to_json()["layers"]
    counts = {layer["index"]: layer["counts"] for layer in layers}
    ops = [dict(index=o["index"], type=o["type"], elements=o["elements"], instructions=counts[o["index"]],
                per_element=round(counts[o["index"]] / o["elements"], 1)) for o in report["float_ops"]]
    return dict(model=model.stem, board=board, arena_bytes=report["arena_bytes"],
                float_code_bytes=report["float_code_bytes"], code_bytes=report["code_bytes"],
                total_instructions=sum(counts.values()), float_instructions=sum(o["instructions"] for o in ops),
                float_ops=ops)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["# float32 fallback cost (QEMU instruction counts, `edgekit profile`)", "",
             "| model | board | float op | elements | instructions | per element |", "|---|---|---|---:|---:|---:|"]
    for r in rows:
        for o in r["float_ops"]:
            lines.append(f"| {r['model']} | {r['board']} | {o['type']} #{o['index']} | {o['elements']:,} | "
                         f"{o['instructions']:,} | {o['per_element']} |")
    lines += ["", "| model | board | float share of instructions | ek_f32_* code B | all code B | arena B |",
              "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        share = 100 * r["float_instructions"] / r["total_instructions"]
        lines.append(f"| {r['model']} | {r['board']} | {share:.1f}% of {r['total_instructions']:,} | "
                     f"{r['float_code_bytes']:,} | {r['code_bytes']:,} | {r['arena_bytes']:,} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(model, board, Path(tmp)) for model in MODELS for board in BOARDS]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "float_fallback.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "float_fallback.md").write_text(markdown(rows))
    print(markdown(rows))


if __name__ == "__main__":
    main()
