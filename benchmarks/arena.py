"""Arena bytes: edgekit's memory planner against TFLite Micro on the MLPerf Tiny models.

For each model in ../shared/models: the liveness lower bound (no sharing tricks), the
greedy-by-size plan (TFLite Micro's planner algorithm, graph order, one buffer per tensor),
the best plan without overlaps (aliases + element-wise in place + op order, all planners),
the final edgekit plan (+ conv/pool outputs overlapping their dying input, proven by the
plan checker), and TFLite Micro's real minimum arena: the smallest `arena_size` with which
`tflite_micro.runtime.Interpreter.from_bytes(...)` allocates and invokes, by bisection, in
a child process (the tflite-micro PyPI package is a 64-bit x86-64 host build with reference
kernels, so its persistent structures are pointer-sized; an MCU build differs somewhat).

Second table: the arena of the real build on each emulated board (what `edgekit build`
plans: the build's passes, the board's kernels and their scratch), with and without the
residual-block fusion (edgekit/passes/fuse_residual.py), beside TFLite Micro + CMSIS-NN's
arena on the same board (TARGETS.md, re-measured 2026-12-02).

Run: .venv/bin/python benchmarks/arena.py [--board qemu-cortex-m4] [--time-budget 2]
Writes benchmarks/results/arena.md and arena.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT.parent / "shared" / "models"
NAMES = {"kws": "kws_ds_cnn_int8", "vww": "vww_mobilenet_int8", "ic": "ic_resnet8_int8",
         "ad": "ad_autoencoder_int8"}
GOAL = 0.6  # edgekit arena <= 0.6 x TFLite Micro's, on every model
IC_GOAL = 0.55  # issue 20: IC <= 0.55 x TFLite Micro's arena on every Arm board
ARM_BOARDS = ("qemu-cortex-m4", "qemu-cortex-m7", "qemu-cortex-m33", "qemu-cortex-m55")
BOARDS = (*ARM_BOARDS, "qemu-riscv32")  # TFLM was not measured on RISC-V


def tflm_min_arena(model: Path) -> int:
    """Smallest arena with which TFLM allocates and invokes (runs in this process)."""
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    from edgekit.load import load_tflite

    data = model.read_bytes()
    inputs = len(load_tflite(model).inputs)

    def works(size: int) -> bool:
        try:
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=size)
            for i in range(inputs):
                details = interpreter.get_input_details(i)
                interpreter.set_input(np.zeros(details["shape"], details["dtype"]), i)
            interpreter.invoke()
            return True
        except RuntimeError:
            return False

    lo, hi = 0, 10 * len(data)  # the package's own default arena is 10x the model size
    if not works(hi):
        raise SystemExit(f"TFLM cannot run {model.name} even with {hi} bytes")
    while hi - lo > 1:  # invariant: lo fails (or is 0), hi works
        mid = (lo + hi) // 2
        if works(mid):
            hi = mid
        else:
            lo = mid
    return hi


def tflm_in_child(model: Path) -> int:
    """TFLM prints its allocation failures on stdout; keep them out of our table."""
    out = subprocess.run([sys.executable, __file__, "--tflm-min", str(model)],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    return int(out.strip().splitlines()[-1])


def targets_tflm_m4() -> dict[str, int]:
    """TFLM + CMSIS-NN arena on Cortex-M4 (QEMU), from docs/TARGETS.md, for context."""
    path = ROOT.parent / "shared" / "docs" / "TARGETS.md"
    found = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) >= 7 and cells[0] in NAMES.values():
                found[cells[0]] = int(cells[4].replace(",", ""))
    return found


def targets_tflm_boards() -> dict[tuple[str, str], int]:
    """(model, board) -> TFLM + CMSIS-NN arena bytes, from TARGETS.md's per-board table
    (cells "instructions / arena / flash", boards in its header row)."""
    path = ROOT.parent / "shared" / "docs" / "TARGETS.md"
    found: dict[tuple[str, str], int] = {}
    boards: list[str] = []
    if not path.is_file():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == "model" and any(c.startswith("qemu-cortex-m7") for c in cells):
            boards = [c.split()[0] for c in cells[1:]]
        elif boards and cells[0] in NAMES.values() and len(cells) == len(boards) + 1:
            for board, cell in zip(boards, cells[1:]):
                parts = cell.split("/")
                if len(parts) == 3:
                    found[(cells[0], board)] = int(parts[1].strip().replace(",", ""))
    return found


def build_arena(key: str, board_name: str, fuse: bool, time_budget: float) -> int:
    """The arena `edgekit build` plans for this board (kernel scratch included), with the
    residual-block fusion or without it (every other pass as in the build)."""
    from edgekit.boards import load_board
    from edgekit.codegen.model import lower_graph
    from edgekit.load import load_tflite
    from edgekit.passes import DEFAULT_PASSES, fuse_residual_blocks, run_passes
    from edgekit.pipeline import arena_alignment, integer_rewrites, lowering_context, plan_memory

    board = load_board(board_name)
    graph = integer_rewrites(load_tflite(MODELS / f"{NAMES[key]}.tflite"))
    graph = run_passes(graph, [p for p in DEFAULT_PASSES if fuse or p is not fuse_residual_blocks])
    lowered = lower_graph(graph, lowering_context(board, "tflite"))
    plan = plan_memory(graph, lowered, arena_alignment(graph, board.arena_alignment), "best", time_budget)
    return plan.arena_bytes  # plan_memory has proved it with check_plan


def measure_boards(keys: list[str], time_budget: float) -> list[dict]:
    tflm = targets_tflm_boards()
    rows = []
    for key in keys:
        for board in BOARDS:
            unfused = build_arena(key, board, False, time_budget)
            fused = build_arena(key, board, True, time_budget)
            ref = tflm.get((NAMES[key], board))
            rows.append({"model": NAMES[key], "board": board, "unfused": unfused, "edgekit": fused,
                         "tflm": ref, "ratio_vs_tflm": fused / ref if ref else None,
                         "unfused_ratio_vs_tflm": unfused / ref if ref else None})
    return rows


def board_markdown(rows: list[dict]) -> list[str]:
    lines = ["", "## The build's arena on each emulated board (kernel scratch included)", "",
             ("`edgekit build`'s plan for the board (its passes, kernels and their scratch, "
              "`pipeline.plan_memory`, proved by `check_plan`), without and with the residual-block "
              "fusion (edgekit/passes/fuse_residual.py), beside TFLite Micro + CMSIS-NN's smallest "
              "arena on the same board (TARGETS.md, re-measured 2026-12-02; not measured on RISC-V)."),
             "", "| model | board | without fusion | edgekit | × without | TFLM + CMSIS-NN | × TFLM (without fusion) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        ref = (f"{r['tflm']:,} | {r['ratio_vs_tflm']:.3f} ({r['unfused_ratio_vs_tflm']:.3f})"
               if r["tflm"] else "n/a | n/a")
        lines.append(f"| {r['model']} | {r['board']} | {r['unfused']:,} | {r['edgekit']:,} | "
                     f"{r['edgekit'] / r['unfused']:.3f} | {ref} |")
    ic = [r for r in rows if r["model"] == NAMES["ic"] and r["board"] in ARM_BOARDS and r["tflm"]]
    if ic:
        worst = max(r["ratio_vs_tflm"] for r in ic)
        lines += ["", f"IC goal (issue 20): <= {IC_GOAL} x TFLM on every Arm board: "
                  f"{'met' if worst <= IC_GOAL else 'missed'} (worst {worst:.3f}). "
                  + ("No arena grew." if all(r["edgekit"] <= r["unfused"] for r in rows)
                     else "Some arena grew.")]
    return lines


def measure(key: str, alignment: int, time_budget: float, pixel_block: int) -> dict:
    from edgekit.kernels.lowering import memory_contracts
    from edgekit.load import load_tflite
    from edgekit.memory import ALL, NO_OVERLAP, check_plan, liveness_lower_bound, plan_best

    path = MODELS / f"{NAMES[key]}.tflite"
    graph = load_tflite(path)
    contracts = memory_contracts(graph)
    start = time.monotonic()
    no_overlap = plan_best(graph, alignment=alignment, contracts=contracts, time_budget=time_budget,
                           tricks=NO_OVERLAP)
    final = plan_best(graph, alignment=alignment, contracts=contracts, time_budget=time_budget)
    pixels = plan_best(graph, alignment=alignment, contracts=contracts, time_budget=time_budget,
                       tricks=replace(ALL, pixel_block=pixel_block))
    seconds = time.monotonic() - start
    for plan in (no_overlap, final, pixels):
        check_plan(plan, graph, contracts=contracts)
    tflm = tflm_in_child(path)
    return {
        "model": path.stem, "lower_bound": liveness_lower_bound(graph),
        "greedy_by_size": final.planner_bytes["greedy_by_size/plain"],
        "best_no_overlap": no_overlap.arena_bytes, "best_no_overlap_planner": no_overlap.planner,
        "edgekit": final.arena_bytes, "edgekit_planner": final.planner,
        "edgekit_pixel_block": pixels.arena_bytes, "pixel_block": pixel_block,
        "overlaps": [f"op {o.op} {o.kind}" for o in final.overlaps],
        "op_order_changed": final.op_order != sorted(final.op_order),
        "planner_bytes": final.planner_bytes, "tflm": tflm,
        "ratio_vs_tflm": final.arena_bytes / tflm, "ratio_pixel_block_vs_tflm": pixels.arena_bytes / tflm,
        "plan_seconds": round(seconds, 2),
    }


NOTES = [
    ("liveness lower bound: peak over ops (graph order) of the bytes of live activation tensors, "
     "no sharing (`edgekit.memory.liveness_lower_bound`)."),
    ("greedy-by-size: TFLite Micro's GreedyMemoryPlanner algorithm (largest first, lowest offset "
     "that fits) on one buffer per tensor in graph order, run by edgekit (`greedy_by_size/plain`). "
     "Ties are broken by tensor index; TFLM's own planner put 73,728 B in its head on VWW "
     "(models README) because it placed the two equal 48x48x8 buffers the other way round."),
    ("best without overlap: `plan_best(tricks=NO_OVERLAP)`: reshape aliases, concatenation "
     "slices, element-wise ops in place, valid op orders, all planners (greedy, heuristic, search)."),
    ("edgekit (rows): `plan_best()` with every trick, including conv/depthwise/pool outputs that "
     "start a proven number of bytes below their dying input under the row-wise kernel contract "
     "(edgekit/memory/overlap.py). This is the default and the contract the kernels were given."),
    ("edgekit (pixel blocks): the same under the finer, optional contract (blocks of at most P "
     "output pixels, `Tricks(pixel_block=P)`, `edgekit plan --pixel-block P`). Only valid if the "
     "kernels codegen calls honour it; not yet agreed with the kernels."),
    ("TFLM min arena: smallest `arena_size` for which `tflite_micro.runtime.Interpreter.from_bytes("
     "model, arena_size=...)` allocates and invokes (zeros input), found by bisection in a child "
     "process. The PyPI package is a 64-bit x86-64 host build with reference kernels: its arena "
     "also holds TFLM's persistent structures (pointer-sized here, smaller on a 32-bit MCU)."),
    ("TFLM M4: TFLM + CMSIS-NN on Cortex-M4 (QEMU), smallest arena for AllocateTensors, from "
     "docs/TARGETS.md (not measured by this script), for context."),
    ("Scratch: edgekit's numbers assume **no kernel scratch** (scratch_bytes = 0 for every op): "
     "the kernels' scratch sizes come later from the kernels' Python mirror and are added as "
     "per-op buffers alive during their op only. Kernels that need an im2col or padded-input "
     "buffer will raise these figures."),
    "Every edgekit plan in this table passed `edgekit.memory.check_plan`.",
    ("This table plans the model's graph as converted (no build passes): on IC, at op 2 the "
     "residual (16,384 B) is alive while conv 2 turns 16,384 B into 16,384 B with a two-row "
     "(1,024 B) overlap, so 33,792 B is a lower bound for every plan and every one of IC's 9 "
     "valid op orders (`planners.lower_bound` of each problem), and the plan reaches it. The "
     "build goes below it (second table): edgekit/passes/fuse_residual.py turns conv 1, conv 2 "
     "and the ADD into one RESIDUAL_BLOCK op that keeps 3-row windows of the residual and of "
     "conv 1's output and writes the ADD's output over the residual row by row, so neither "
     "conv output exists as a tensor (3,776 B of rows in the op's scratch instead of 16,384 B "
     "of conv 1 output); IC's peak moves to the second stage."),
]


def markdown(rows: list[dict], alignment: int, board: str, time_budget: float) -> str:
    m4 = targets_tflm_m4()
    p = rows[0]["pixel_block"] if rows else 0
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "# Arena bytes: edgekit memory planner vs TFLite Micro",
        "",
        (f"Measured {when} on {platform.machine()} with `benchmarks/arena.py` (board {board}: "
         f"arena alignment {alignment} B; search budget {time_budget} s per plan_best, seed 0)."),
        "",
        ("| model | lower bound | greedy-by-size | best without overlap | edgekit (rows) | "
         f"edgekit (pixel blocks of {p}) | TFLM host | rows / TFLM | pixels / TFLM | TFLM M4 | "
         "rows / TFLM M4 |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        ref = m4.get(r["model"])
        m4_cells = f"{ref:,} | {r['edgekit'] / ref:.3f}" if ref else "n/a | n/a"
        lines.append(
            f"| {r['model']} | {r['lower_bound']:,} | {r['greedy_by_size']:,} | "
            f"{r['best_no_overlap']:,} | {r['edgekit']:,} | {r['edgekit_pixel_block']:,} | "
            f"{r['tflm']:,} | {r['ratio_vs_tflm']:.3f} | {r['ratio_pixel_block_vs_tflm']:.3f} | "
            f"{m4_cells} |")
    goal = [r["model"] for r in rows if r["ratio_vs_tflm"] > GOAL]
    lines += ["", f"Goal: edgekit <= {GOAL} x TFLM on every model. Row contract, graph as converted "
              "(no build passes; the build's graphs and arenas are in the second table): "
              + (f"missed on {', '.join(goal)}." if goal else "met."), ""]
    lines += ["How each column was measured:", ""] + [f"- {note}" for note in NOTES]
    lines += ["", "Overlaps used by the final (rows) plans:", ""]
    for r in rows:
        lines.append(f"- {r['model']} ({r['edgekit_planner']}, op order "
                     f"{'changed' if r['op_order_changed'] else 'unchanged'}): "
                     f"{', '.join(r['overlaps']) or 'none'}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--board", default="qemu-cortex-m4")
    parser.add_argument("--time-budget", type=float, default=2.0)
    parser.add_argument("--pixel-block", type=int, default=2,
                        help="block size for the optional pixel-block column (default 2)")
    parser.add_argument("--models", nargs="*", default=list(NAMES), choices=list(NAMES))
    parser.add_argument("--tflm-min", metavar="MODEL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.tflm_min:
        print(tflm_min_arena(Path(args.tflm_min)))
        return 0
    from edgekit.boards import load_board

    alignment = load_board(args.board).arena_alignment
    rows = [measure(key, alignment, args.time_budget, args.pixel_block) for key in args.models]
    boards = measure_boards(args.models, args.time_budget)
    text = markdown(rows, alignment, args.board, args.time_budget) + "\n".join(board_markdown(boards)) + "\n"
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "arena.md").write_text(text, encoding="utf-8")
    (results / "arena.json").write_text(json.dumps({"planner": rows, "boards": boards}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
