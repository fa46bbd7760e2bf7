"""One model on one emulated board for the benchmark scripts: `edgekit build`, executed
instructions of one inference (`edgekit profile`, median of `runs` after a warm-up),
arena and flash from the build report, and the device's outputs checked bit-exact over
serial against the oracle of the rounding mode (TFLite's reference kernels, or TFLite
Micro). Also the results writer the scripts share."""

from __future__ import annotations

import json
from pathlib import Path


def measure(model: Path, board: str, rounding: str, out: Path, runs: int, samples: int) -> dict:
    from edgekit import api

    report = api.build(model, board, out, rounding=rounding).report
    try:
        prof = api.profile(out, runs=runs)
        check = api.validate(out, samples=samples)
    finally:
        api.flash_stop(out)
    return dict(board=board, rounding=rounding, macs=report["macs"], instructions=prof.total_counts,
                arena=report["arena_bytes"], flash=report["flash_bytes"],
                bit_exact=f"{check.bit_exact}/{check.samples}",
                layers=[(layer.type, layer.macs, layer.counts) for layer in prof.layers])


def write_results(path: Path, text: str, rows: list[dict]) -> None:
    """The markdown table at `path` and the raw rows beside it as .json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.with_suffix(".json").write_text(json.dumps(rows, indent=2) + "\n")
    print(text)
