"""One export: models → their C, the kernels they call, their arenas and a build system."""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from edgekit import __version__
from edgekit.boards import Board, load_board
from edgekit.boards.model import MemorySection
from edgekit.codegen.model import Symbols, model_context
from edgekit.codegen.render import render
from edgekit.errors import UsageError
from edgekit.export import layout
from edgekit.export.formats import FORMATS, write_format
from edgekit.export.kernels import CONFIG_HEADER, kernel_config, kernel_files
from edgekit.export.names import check_names, default_name
from edgekit.export.sections import resolve_sections, weights_placement
from edgekit.pipeline import CompiledModel, compile_model

REPORT = "export.json"
_CTYPES = {"int8": ("int8_t", "INT8", "i8"), "uint8": ("uint8_t", "UINT8", "u8"),
           "int16": ("int16_t", "INT16", "i16"), "int32": ("int32_t", "INT32", "i32"),
           "float32": ("float", "FLOAT32", "f32")}


@dataclass
class ExportRequest:
    models: list[Path]
    board: str | Board  # a catalogue name, or a Board (tests give one a [memory] table)
    out_dir: Path
    format: str = "c"
    names: list[str] = field(default_factory=list)  # one per model, or empty: from the file names
    concurrent: list[list[str]] = field(default_factory=list)  # groups of names that may run together
    arena_sections: list[str] = field(default_factory=list)  # one, or two to split (faster first)
    weights_section: str | None = None
    weights_to_ram: bool = False
    rounding: str = "tflite"
    planner: str = "best"
    calib: str | None = None


@dataclass
class ExportResult:
    out_dir: Path
    report: dict[str, Any]
    files: list[Path]


def _io(graph: Any, io: dict[str, Any]) -> dict[str, Any]:
    if io["dtype"] not in _CTYPES:
        raise UsageError(f"model I/O tensor {io['name']!r} is {io['dtype']}: export supports "
                         f"{', '.join(_CTYPES)}")
    ctype, enum, member = _CTYPES[io["dtype"]]
    return {**io, "ctype": ctype, "type_enum": enum, "member": member}


def _compile(request: ExportRequest, board: Board) -> list[CompiledModel]:
    from edgekit.build import int8_model_bytes

    compiled = []
    for model in request.models:
        path, data = int8_model_bytes(Path(model), request.out_dir / "quantized", request.calib)
        compiled.append(compile_model(path, data, board, request.rounding, request.planner))
    return compiled


def _names(request: ExportRequest) -> list[str]:
    if request.names and len(request.names) != len(request.models):
        raise UsageError(f"--name gives {len(request.names)} name(s) for {len(request.models)} model(s): "
                         "give one per model, in order")
    names = list(request.names) or [default_name(Path(m)) for m in request.models]
    check_names(names)
    return names


def _groups(request: ExportRequest, names: list[str]) -> list[frozenset[str]]:
    groups = []
    for group in request.concurrent:
        unknown = [n for n in group if n not in names]
        if unknown:
            raise UsageError(f"--concurrent names {unknown[0]!r}, which is no model of this export "
                             f"(models: {', '.join(names)})")
        groups.append(frozenset(group))
    return groups


def export_models(request: ExportRequest) -> ExportResult:
    if request.format not in FORMATS:
        raise UsageError(f"unknown export format {request.format!r}: use one of {', '.join(FORMATS)}")
    if not request.models:
        raise UsageError("export needs at least one model")
    board = load_board(request.board) if isinstance(request.board, str) else request.board
    names = _names(request)
    groups = _groups(request, names)
    arena_sections, weights_section = resolve_sections(board, request.arena_sections, request.weights_section,
                                                       request.weights_to_ram)
    compiled = _compile(request, board)
    alignment = board.arena_alignment
    arenas, plans = [], []
    for name, model in zip(names, compiled):
        arena, plan = layout.split_model(name, model, arena_sections, alignment)
        arenas.append(arena)
        plans.append(plan)
    group = names[0] if len(names) == 1 else f"{names[0]}_shared"
    buffers = layout.share(arenas, groups, alignment, f"{group}_arena")
    layout.check_capacity(buffers)
    weights_total = sum(_weights_bytes(m) for m in compiled)
    shared_ram = sum(b.bytes for b in buffers if b.section.name == weights_section.name)
    placement = weights_placement(weights_section, weights_total, request.weights_to_ram, shared_ram)

    out = request.out_dir
    src, include = out / "src", out / ("src" if request.format == "arduino" else "include")
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(include, ignore_errors=True)
    src.mkdir(parents=True)
    include.mkdir(parents=True, exist_ok=True)
    arena_header = f"{group}_arena.h"
    written: list[Path] = []
    model_reports = []
    headers: list[str] = []
    for name, model, arena, plan in zip(names, compiled, arenas, plans):
        symbols = Symbols(prefix=name, arena_pointer=partial(layout.pointer, arena, buffers))
        ctx = model_context(model.graph, plan, model.ctx, model.model_hash, model.lowered, symbols)
        shared_with = [n for n in names if n != name and not any(name in g and n in g for g in groups)]
        values = {**ctx.context, "name": name, "NAME": name.upper(), "arena_header": arena_header,
                  "weights_bytes": ctx.weights_bytes, "shared_with": shared_with,
                  "inputs": [_io(model.graph, io) for io in ctx.context["inputs"]],
                  "outputs": [_io(model.graph, io) for io in ctx.context["outputs"]],
                  "regions": [{"name": p.section.name, "section": p.section.section or "the default section",
                               "macro": p.section.name.upper(), "bytes": p.bytes} for p in arena.parts],
                  "arena_parts": [{"pointer": layout.pointer(arena, buffers, p.start), "bytes": p.bytes}
                                  for p in arena.parts if p.bytes],
                  "weights_attribute": placement.attribute(name), "weights_note": placement.note}
        files = {include / f"{name}.h": render("export/model.h.j2", values),
                 src / f"{name}_model.c": render("export/model.c.j2", values),
                 src / f"{name}_data.h": render("export/model_data.h.j2", values),
                 src / f"{name}_data.c": render("export/model_data.c.j2", values)}
        for path, text in files.items():
            path.write_text(text)
            written.append(path)
        headers += [h for h in ctx.context["headers"] if h not in headers]
        model_reports.append({
            "name": name, "model": str(model.model_path), "model_hash": model.model_hash,
            "arena_bytes": arena.arena_bytes, "arena_one_region_bytes": model.plan.arena_bytes,
            "planner": plan.planner, "weights_bytes": ctx.weights_bytes, "ops": len(ctx.ops),
            "op_types": sorted({op["type"] for op in ctx.ops}),
            "arena_parts": [{"section": p.section.name, "offsets": [p.start, p.end], "bytes": p.bytes,
                             "base": arena.bases[p.section.name]} for p in arena.parts],
        })
    buffer_values = [{"symbol": b.symbol, "bytes": b.bytes, "section": b.section.section,
                      "users": ", ".join(b.users)} for b in buffers]
    arena_values = {"header": arena_header, "source": f"{group}_arena.c", "guard": f"{group.upper()}_ARENA_H",
                    "models": names, "buffers": buffer_values, "alignment": alignment, "version": __version__}
    for path, template in ((src / arena_header, "export/arena.h.j2"), (src / f"{group}_arena.c", "export/arena.c.j2")):
        path.write_text(render(template, arena_values))
        written.append(path)
    for kernel in kernel_files(headers):
        shutil.copyfile(kernel, src / kernel.name)
        written.append(src / kernel.name)
    config = src / CONFIG_HEADER
    config.write_text(kernel_config(board.kernel_variant))
    written.append(config)

    report = _report(request, board, names, groups, model_reports, buffers, arena_sections, placement,
                     weights_total, [p.name for p in written if p.parent == src and p.name.startswith("ek_")])
    written += write_format(request.format, out, group, names, report, board)
    (out / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    return ExportResult(out_dir=out, report=report, files=written)


def _weights_bytes(model: CompiledModel) -> int:
    return model.generated.weights_bytes


def _report(request: ExportRequest, board: Board, names: list[str], groups: list[frozenset[str]],
            models: list[dict[str, Any]], buffers: list[layout.Buffer], arena_sections: Sequence[MemorySection],
            placement: Any, weights_total: int, kernels: list[str]) -> dict[str, Any]:
    regions: dict[str, dict[str, Any]] = {}
    for buffer in buffers:
        regions.setdefault(buffer.section.name, {"section": buffer.section.section, "kind": buffer.section.kind,
                                                 "capacity_bytes": buffer.section.bytes, "arena_bytes": 0,
                                                 "weights_bytes": 0})["arena_bytes"] += buffer.bytes
    wsec = placement.section
    regions.setdefault(wsec.name, {"section": wsec.section, "kind": wsec.kind, "capacity_bytes": wsec.bytes,
                                   "arena_bytes": 0, "weights_bytes": 0})["weights_bytes"] += weights_total
    separate = sum(-(-m["arena_bytes"] // board.arena_alignment) * board.arena_alignment for m in models)
    return {
        "edgekit_version": __version__, "format": request.format, "board": board.name,
        "kernel_variant": board.kernel_variant, "rounding": request.rounding,
        "models": models, "concurrent": [sorted(g) for g in groups],
        "arena_sections": [s.name for s in arena_sections],
        "arena_shared_bytes": sum(b.bytes for b in buffers), "arena_separate_bytes": separate,
        "weights_bytes": weights_total, "weights_section": wsec.name, "weights_to_ram": request.weights_to_ram,
        "regions": regions, "kernels": sorted(kernels),
    }
