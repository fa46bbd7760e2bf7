"""`edgekit export MODEL [MODEL ...] --board B --format F -o DIR [--name N ...]`.

Writes the model(s) as a C library for the user's own firmware (docs/export.md) and prints
the arena per model and per section, shared against separate, or with --json export.json.
"""

from __future__ import annotations

import argparse
import json

from edgekit.commands._common import add_model_options, console


def _names(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", metavar="MODEL", nargs="+", help="int8 .tflite (several: one image)")
    parser.add_argument("--board", required=True, help="the board the library is for (see `edgekit boards`)")
    parser.add_argument("--format", default="c", choices=("c", "cmake", "arduino", "espidf", "zephyr", "platformio"),
                        help="c: files only; cmake: a library target; arduino, espidf, zephyr, platformio: "
                        "that tool's library layout (default c)")
    parser.add_argument("-o", "--output", metavar="DIR", dest="out", required=True, help="folder to write")
    parser.add_argument("--name", action="append", default=[], metavar="NAME",
                        help="C name of a model (prefix of its API: NAME_init ...); once per model, in "
                        "order (default: from the file name)")
    parser.add_argument("--concurrent", action="append", default=[], type=_names, metavar="A,B",
                        help="models that may run at the same time (their arenas do not overlap); "
                        "repeatable. Others share one arena")
    parser.add_argument("--arena-section", type=_names, default=[], metavar="S[,S2]",
                        help="the board's [memory] section for the arena; two (faster first) split it")
    parser.add_argument("--weights-section", metavar="S", help="the board's [memory] section for the weights")
    parser.add_argument("--weights-to-ram", action="store_true",
                        help="put the weights in .data: the startup code copies them to RAM at boot")
    add_model_options(parser)
    parser.add_argument("--json", action="store_true", help="print export.json's object on stdout")


def run(args: argparse.Namespace) -> int:
    from edgekit import api

    result = api.export(args.models, args.board, args.out, format=args.format, names=args.name,
                        concurrent=args.concurrent, arena_sections=args.arena_section,
                        weights_section=args.weights_section, weights_to_ram=args.weights_to_ram,
                        rounding=args.rounding, planner=args.planner, calib=args.calib)
    report = result.report
    if args.json:
        print(json.dumps(report))
        return 0
    from rich.table import Table

    models = Table(title=f"export → {result.out_dir} ({report['format']}, {report['board']})")
    for column in ("model", "ops", "arena", "weights", "arena parts"):
        models.add_column(column, justify="left" if column in ("model", "arena parts") else "right")
    for m in report["models"]:
        parts = ", ".join(f"{p['section']} {p['bytes']:,} @ {p['base']:,}" for p in m["arena_parts"])
        models.add_row(m["name"], str(m["ops"]), f"{m['arena_bytes']:,}", f"{m['weights_bytes']:,}", parts)
    regions = Table(title="bytes per section")
    for column in ("section", "kind", "arena", "weights", "capacity"):
        regions.add_column(column, justify="left" if column in ("section", "kind") else "right")
    for name, r in report["regions"].items():
        regions.add_row(name, r["kind"], f"{r['arena_bytes']:,}", f"{r['weights_bytes']:,}", f"{r['capacity_bytes']:,}")
    out = console()
    out.print(models)
    out.print(regions)
    if len(report["models"]) > 1:
        out.print(f"arena: {report['arena_shared_bytes']:,} bytes shared, {report['arena_separate_bytes']:,} "
                  "as separate arenas")
    return 0
