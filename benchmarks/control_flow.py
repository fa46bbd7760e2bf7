"""Control-flow and stateful models on qemu-cortex-m4: arena, persistent state, flash and
emulated instructions per invoke, beside TFLite Micro's smallest arena (which holds its
variables and subgraph tensors too) and the main graph's liveness lower bound.

Models: tests/corpus/make_corpus_control.py (a WHILE loop, an IF branch, a streaming CNN
with a window variable). Instructions are QEMU -icount counts over the serial link, the
mean of 5 invokes of one sequence after RESET_STATE.

Run: .venv/bin/python benchmarks/control_flow.py
Writes benchmarks/results/control_flow.md and control_flow.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from tempfile import TemporaryDirectory

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ["while_loop", "if_branch", "streaming_cnn"]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from arena import tflm_in_child  # noqa: E402


def measure(name: str, work: Path) -> dict:
    import numpy as np

    from edgekit import api
    from edgekit.device.session import connect, read_build
    from edgekit.load import load_tflite
    from edgekit.reference import random_inputs

    path = CORPUS / f"{name}.tflite"
    build_dir = work / name
    report = api.build(path, "qemu-cortex-m4", build_dir).report
    state = next(int(line.split("=")[1].strip().rstrip("u;")) for line in
                 (build_dir / "src" / "model.c").read_text().splitlines() if "ek_model_state_bytes =" in line)
    graph = load_tflite(path)
    try:
        with connect(read_build(build_dir)) as link:
            clock = link.info().clock
            link.reset_state()
            counts = [clock.ticks_to_units(link.run([np.ascontiguousarray(s[0]).tobytes()])[1].total_ticks)
                      for s in random_inputs(graph, 5, seed=1)]
    finally:
        api.flash_stop(build_dir)
    return dict(model=name, arena_bytes=report["arena_bytes"], state_bytes=state,
                lower_bound_bytes=report.get("lower_bound_bytes"), weights_bytes=report["weights_bytes"],
                flash_bytes=report.get("flash_bytes"), instructions=round(sum(counts) / len(counts)),
                tflm_min_arena_bytes=_tflm_arena(path))


def _tflm_arena(path: Path) -> int | str:
    import subprocess

    try:
        return tflm_in_child(path)
    except subprocess.CalledProcessError as exc:  # the tflite-micro package crashes on some arenas
        return f"crashed ({exc.returncode})"


def markdown(rows: list[dict]) -> str:
    lines = ["# Control flow and state on qemu-cortex-m4", "",
             "| model | arena B | state B | main-graph lower bound B | TFLM min arena B (x86-64) "
             "| weights B | flash B | instructions/invoke |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['arena_bytes']} | {r['state_bytes']} | {r['lower_bound_bytes']} | "
                     f"{r['tflm_min_arena_bytes']} | {r['weights_bytes']} | {r['flash_bytes']} | "
                     f"{r['instructions']} |")
    lines += ["", "The arena includes each control-flow op's subgraph plans (its scratch) and the kernels' "
              "scratch; the state region is separate. TFLite Micro's figure is the tflite-micro "
              "package's smallest working arena (pointer-sized persistent structures of a 64-bit host); "
              "'crashed' means the package segfaulted while the bisection tried a too-small arena "
              "(seen with IF and with resource variables), so there is no figure.", ""]
    return "\n".join(lines)


def main() -> int:
    with TemporaryDirectory() as tmp:
        rows = [measure(name, Path(tmp)) for name in MODELS]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "control_flow.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "control_flow.md").write_text(markdown(rows))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
