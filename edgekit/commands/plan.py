"""`edgekit plan MODEL [--board B] [--png F] [--json] [--planner NAME] [--tricks T]`.

Prints the static memory plan as an ASCII chart and a summary (arena bytes against the
liveness lower bound and each planner), or with --json one object: arena_bytes,
lower_bound_bytes, planners {name: bytes}, buffers [...] and the full plan.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edgekit.errors import ModelError, UsageError

DEFAULT_ALIGNMENT = 16  # the default board (qemu-cortex-m4) aligns its arena to 16 bytes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="int8 .tflite model")
    parser.add_argument("--board", help="take the arena alignment from this board "
                        f"(default: {DEFAULT_ALIGNMENT} bytes)")
    parser.add_argument("--png", metavar="F", help="also draw the plan (time x address) into F")
    parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
    parser.add_argument("--planner", metavar="NAME",
                        help="use only this planner, a name in edgekit.memory.PLANNERS such as "
                        "greedy_by_size, heuristic or search (default: all, keep the smallest)")
    parser.add_argument("--tricks", choices=("plain", "no_overlap", "all"), default="all",
                        help="plain: one buffer per tensor; no_overlap: + aliases and element-wise "
                        "in place; all: + conv/pool output overlapping its input (default)")
    parser.add_argument("--pixel-block", type=int, default=0, metavar="P",
                        help="prove conv/pool overlaps under the pixel-block kernel contract (blocks "
                        "of at most P output pixels) instead of whole rows (default 0 = rows)")
    parser.add_argument("--time-budget", type=float, default=2.0, metavar="S",
                        help="seconds for the search planner (default 2)")


def run(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from edgekit.kernels.lowering import memory_contracts
    from edgekit.load import load_tflite
    from edgekit.memory.plan import TRICK_SETS, plan_best
    from edgekit.memory.planners import PLANNERS
    from edgekit.memory.report import ascii_chart, save_png, summary

    path = Path(args.model)
    if path.is_dir():
        raise ModelError(f"{path} is a folder, not a .tflite model file")
    if path.suffix.lower() != ".tflite":
        raise UsageError(f"{path}: 'edgekit plan' reads .tflite models; quantize other formats first")
    if not path.is_file():
        raise ModelError(f"{path}: no such model file")
    if args.planner is not None and args.planner not in PLANNERS:
        raise UsageError(f"unknown planner {args.planner!r}: use one of {', '.join(PLANNERS)}")
    if args.time_budget < 0:
        raise UsageError("--time-budget must not be negative")
    if args.pixel_block < 0:
        raise UsageError("--pixel-block must be 0 (row contract) or a positive block size")
    alignment = DEFAULT_ALIGNMENT
    if args.board:
        from edgekit.boards import load_board

        alignment = load_board(args.board).arena_alignment
    graph = load_tflite(path)
    plan = plan_best(graph, alignment=alignment, contracts=memory_contracts(graph), time_budget=args.time_budget,
                     tricks=replace(TRICK_SETS[args.tricks], pixel_block=args.pixel_block),
                     planners=[args.planner] if args.planner else None)
    if args.png:
        try:
            save_png(plan, graph, args.png)
        except OSError as exc:
            raise UsageError(f"cannot write {args.png}: {exc.strerror or exc}") from None
    if args.json:
        data = plan.to_dict()
        final = replace(TRICK_SETS[args.tricks], pixel_block=args.pixel_block).name
        result = {
            "model": str(path.resolve()), "arena_bytes": plan.arena_bytes,
            "lower_bound_bytes": plan.lower_bound,
            "planners": {k.split("/")[0]: v for k, v in plan.planner_bytes.items()
                         if k.endswith("/" + final)},
            "planner_tricks": data.pop("planners"),
            "buffers": data.pop("buffers"),
        }
        result.update({k: v for k, v in data.items() if k not in result})
        json.dump(result, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    print(ascii_chart(plan, graph))
    print(summary(plan))
    print("activations only: `edgekit build` adds each kernel's scratch buffer to the arena "
          "(report.json's arena_bytes), and plans after the graph passes")
    return 0
