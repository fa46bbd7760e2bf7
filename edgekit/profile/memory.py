"""The build's memory plan as a PNG, for the profile's HTML report.

The plan is computed again from the build's int8 model with the build's board, rounding
and the default planner (codegen does not store the plan); it is shown only when it comes out with the
arena size report.json recorded, so the picture is the plan that was flashed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from edgekit.device.session import BuildInfo
from edgekit.errors import EdgekitError


def plan_png(build: BuildInfo) -> tuple[bytes | None, str]:
    """(PNG bytes or None, a note saying what it is or why it is missing)."""
    from edgekit.memory.report import save_png
    from edgekit.pipeline import compile_model

    try:
        path = build.model_path
        compiled = compile_model(path, path.read_bytes(), build.board,
                                 rounding=build.report.get("rounding", "tflite"),
                                 planner="best")  # report's "planner" names the winner
    except (EdgekitError, OSError) as exc:  # a missing model must not fail the profile
        return None, f"memory plan not shown: {exc}"
    plan = compiled.plan.plan
    recorded = build.report.get("arena_bytes")
    if recorded is not None and plan.arena_bytes != recorded:
        return None, (f"memory plan not shown: re-planning gave {plan.arena_bytes:,} bytes, "
                      f"the build has {recorded:,}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "plan.png"
        save_png(plan, compiled.graph, out)
        return out.read_bytes(), f"memory plan: arena {plan.arena_bytes:,} bytes"
