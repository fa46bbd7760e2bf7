"""`edgekit export` numbers: arenas shared between models, the arena split over two
sections, and the weights copied to RAM at boot, on the MLPerf Tiny models.

- shared: the arena of several models in one image that never run at the same time
  (one buffer) against separate arenas (their sum) and against `--concurrent` (disjoint).
- split: KWS, IC and VWW with a small fast section (as a DTCM would be) before SRAM: the
  bytes in each and the total against the one-region plan.
- weights to RAM: KWS exported for qemu-cortex-m4 (cmake, arm-none-eabi-gcc), run in QEMU:
  timer ticks of one invoke (x40 = executed instructions under -icount) with the weights
  in flash and in RAM, and the ELF's sections. Under -icount QEMU's time is executed
  instructions, and its machines model no flash wait states (nor caches): every access
  costs the same, so the instruction count is the only thing that can differ, and the
  speed-up on silicon cannot be measured here (the emulated STM32 boards were not run).

Run: .venv/bin/python benchmarks/export.py
Writes benchmarks/results/export.md and export.json.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "export"))  # the user-side program of the export tests
MODELS = ROOT.parent / "shared" / "models"
FILES = {"kws": "kws_ds_cnn_int8", "vww": "vww_mobilenet_int8", "ic": "ic_resnet8_int8", "ad": "ad_autoencoder_int8"}
SPLITS = {"kws": 4096, "ic": 16384, "vww": 32768}
TICK_INSTRUCTIONS = 40


def model(name: str) -> Path:
    return MODELS / f"{FILES[name]}.tflite"


def shared(work: Path) -> list[dict[str, object]]:
    from edgekit.export import ExportRequest, export_models

    rows = []
    for group in (["ad", "kws"], ["kws", "ic"], ["ic", "vww"], ["ad", "kws", "ic", "vww"]):
        base = dict(models=[model(n) for n in group], board="qemu-cortex-m4", names=group)
        one = export_models(ExportRequest(**base, out_dir=work / "s")).report  # type: ignore[arg-type]
        both = export_models(ExportRequest(**base, out_dir=work / "c", concurrent=[group])).report  # type: ignore[arg-type]
        rows.append({"models": "+".join(group), "alone": [m["arena_bytes"] for m in one["models"]],
                     "shared": one["arena_shared_bytes"], "separate": one["arena_separate_bytes"],
                     "concurrent": both["arena_shared_bytes"]})
    return rows


def split(work: Path) -> list[dict[str, object]]:
    from edgekit.boards import load_board
    from edgekit.boards.model import Memory, MemorySection
    from edgekit.export import ExportRequest, export_models

    rows = []
    for name, fast in SPLITS.items():
        sections = (MemorySection("dtcm", ".ek_dtcm", fast, "ram", 0), MemorySection("sram", "", 1 << 22, "ram", 1),
                    MemorySection("flash", "", 1 << 22, "flash"))
        board = dataclasses.replace(load_board("qemu-cortex-m4"), memory=Memory(sections, "sram", "flash"))
        report = export_models(ExportRequest(models=[model(name)], board=board, out_dir=work / "p", names=[name],
                                             arena_sections=["dtcm", "sram"])).report
        m = report["models"][0]
        parts = {p["section"]: p["bytes"] for p in m["arena_parts"]}
        rows.append({"model": name, "dtcm_capacity": fast, "one_region": m["arena_one_region_bytes"],
                     "dtcm": parts.get("dtcm", 0), "sram": parts.get("sram", 0), "total": m["arena_bytes"]})
    return rows


def weights_to_ram(work: Path) -> list[dict[str, object]]:
    import numpy as np
    from app import qemu_app, run_qemu_lines, sample_bytes  # type: ignore[import-not-found]

    from edgekit.export import ExportRequest, export_models

    rows = []
    for to_ram in (False, True):
        out = work / f"w{int(to_ram)}"
        export_models(ExportRequest(models=[model("kws")], board="qemu-cortex-m4", out_dir=out / "kws",
                                    format="cmake", names=["kws"], weights_to_ram=to_ram))
        sample = [[np.zeros((1, 49, 10, 1), np.int8)]]
        elf = qemu_app(out, out / "kws", ["kws"], "kws", sample_bytes(sample), 1, timing=True)
        ticks = [int(line.split()[1]) for line in run_qemu_lines(elf) if line.startswith("t ")]
        sizes = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True,
                               timeout=60).stdout
        section = {parts[0]: int(parts[1]) for parts in (line.split() for line in sizes.splitlines())
                   if len(parts) >= 2 and parts[0].startswith(".") and parts[1].isdigit()}
        rows.append({"weights": "RAM (.data)" if to_ram else "flash (.rodata)", "invoke_ticks": ticks[0],
                     "invoke_instructions": ticks[0] * TICK_INSTRUCTIONS, "text": section.get(".text", 0),
                     "rodata": section.get(".rodata", 0), "data": section.get(".data", 0)})
    return rows


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        results = {"shared": shared(work), "split": split(work), "weights_to_ram": weights_to_ram(work)}
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "export.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# edgekit export", "", "Measured by benchmarks/export.py (qemu-cortex-m4, 16-byte alignment).", "",
             "## Several models in one image", "",
             "| models | alone | shared (one buffer) | separate (sum) | --concurrent |", "|---|---|---:|---:|---:|"]
    lines += [f"| {r['models']} | {', '.join(f'{a:,}' for a in r['alone'])} | {r['shared']:,} | "  # type: ignore[union-attr]
              f"{r['separate']:,} | {r['concurrent']:,} |" for r in results["shared"]]
    lines += ["", "## Arena over two sections", "",
              "| model | fast capacity | one region | fast part | slow part | total |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['model']} | {r['dtcm_capacity']:,} | {r['one_region']:,} | {r['dtcm']:,} | {r['sram']:,} | "
              f"{r['total']:,} |" for r in results["split"]]
    lines += ["", "## Weights copied to RAM at boot (KWS, qemu-cortex-m4)", "",
              "QEMU models no flash wait states: the same instructions run either way.", "",
              "| weights | invoke ticks | instructions | .text | .rodata | .data |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {r['weights']} | {r['invoke_ticks']:,} | {r['invoke_instructions']:,} | {r['text']:,} | "
              f"{r['rodata']:,} | {r['data']:,} |" for r in results["weights_to_ram"]]
    (out / "export.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
