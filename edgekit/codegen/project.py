"""Write a complete project for a board: the generated sources, runtime and kernels,
plus what the board's target adds (edgekit/targets/: BSP, board header, linker script,
platformio.ini and, for gcc-built targets, ek_build.json and a local platform).

Layout of a project (`write_project`):

    platformio.ini        qemu/host/gcc-bare-metal: local platform; Arduino: registry platform
    ek_build.json         compile/link flags of gcc-built targets (edgekit/targets/gcc.py)
    platform/             local PlatformIO platform (builder/main.py reads ek_build.json)
    packages/tool-scons/  SCons stand-in so `pio run` works offline (docs/targets.md)
    ld/                   linker scripts (Cortex-M bare-metal boards)
    src/                  generated model.c/h, model_data.c, main.c ...
    src/bsp/              the board's BSP files and its generated ek_bsp_board.h
    src/runtime/          firmware/runtime/*.c *.h
    src/kernels/          firmware/kernels/*.c *.h
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from edgekit.boards.model import Board
from edgekit.errors import EdgekitError
from edgekit.resources import data_dir
from edgekit.targets import target_for

SOURCES_MANIFEST = ".edgekit-sources.json"  # generated files in src/, for the next rewrite


def _copy_sources(src_dir: Path, dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(src_dir.glob("*")):
        if path.suffix in (".c", ".h") and path.is_file():
            shutil.copyfile(path, dest / path.name)


def _previous_sources(out: Path) -> list[str]:
    """Names of the generated sources an earlier write_project put in src/."""
    try:
        names = json.loads((out / SOURCES_MANIFEST).read_text())
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str) and "/" not in n and not n.startswith(".")]


def write_project(
    out_dir: Path | str, board: Board, sources: dict[str, str],
    defines: dict[str, str] | None = None,
) -> Path:
    """Write the project for `board` into out_dir; returns out_dir.

    `sources` maps file names (model.c, model.h, model_data.c, main.c, ...) to their text;
    they go to src/. `defines` are extra preprocessor macros for every source.
    """
    out = Path(out_dir)
    for name in sources:
        if "/" in name or "\\" in name or name.startswith("."):
            raise EdgekitError(f"generated source name {name!r} must be a plain file name")
    target = target_for(board)
    out.mkdir(parents=True, exist_ok=True)
    src = out / "src"
    # Stale files from an earlier build (another board's BSP, a source the new model no
    # longer has) must not be compiled; files a user added to src/ are left alone.
    for sub in ("bsp", "runtime", "kernels"):
        shutil.rmtree(src / sub, ignore_errors=True)
    for name in _previous_sources(out):
        if name not in sources:
            (src / name).unlink(missing_ok=True)
    firmware = data_dir("firmware")
    _copy_sources(firmware / "runtime", src / "runtime")
    _copy_sources(firmware / "kernels", src / "kernels")
    for name, text in sources.items():
        (src / name).write_text(text)
    (out / SOURCES_MANIFEST).write_text(json.dumps(sorted(sources), indent=1) + "\n")
    target.write_files(out, defines or {})
    return out
