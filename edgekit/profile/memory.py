"""The build's memory plan as a PNG, for the profile's HTML report.

`edgekit build` saves the plan it compiled into memory_plan.png beside report.json, so
the picture is the plan that was flashed.
"""

from __future__ import annotations

from edgekit.device.session import BuildInfo


def plan_png(build: BuildInfo) -> tuple[bytes | None, str]:
    """(PNG bytes or None, a note saying what it is or why it is missing)."""
    path = build.dir / "memory_plan.png"
    if not path.is_file():
        return None, "memory plan not shown: the build has no memory_plan.png (rebuild it)"
    return path.read_bytes(), f"memory plan: arena {build.report.get('arena_bytes', 0):,} bytes"


def plan_legend(build: BuildInfo) -> str:
    """The legend of the build's memory_plan.txt (letter → offset, size, steps, tensor)."""
    path = build.dir / "memory_plan.txt"
    if not path.is_file():
        return ""
    text = path.read_text()
    start = text.find("legend")
    return text[start:].rstrip() if start >= 0 else ""
