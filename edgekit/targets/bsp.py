"""edgekit's BSP families: firmware/bsp/<family>/bsp.toml says which files make it up and
which templates render its board header (ek_bsp_board.h) and linker script.

A new MCU family is a folder with its C and a bsp.toml, plus its templates; no code here
changes (docs/targets.md).
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.boards.model import Board
from edgekit.codegen.render import render
from edgekit.errors import BoardError
from edgekit.resources import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

MANIFEST = "bsp.toml"
HEADER = "ek_bsp_board.h"


def bsp_root() -> Path:
    return data_dir("firmware") / "bsp"


@dataclass(frozen=True)
class BspFamily:
    name: str
    files: tuple[str, ...]  # relative to firmware/bsp/
    header: str  # template of ek_bsp_board.h (relative to templates/)
    linker: str | None = None  # template of link.ld, if the family links with its own
    linker_files: tuple[str, ...] = ()  # copied beside link.ld (INCLUDEd by it)
    timer_files: Mapping[str, tuple[str, ...]] | None = None  # extra files per `timer`

    def files_for(self, board: Board) -> list[Path]:
        """The family's files for `board`, ek_bsp.h first."""
        names = ["ek_bsp.h", *self.files, *(self.timer_files or {}).get(board.timer, ())]
        return [bsp_root() / name for name in names]


def bsp_family(name: str) -> BspFamily:
    """The family `name` from its firmware/bsp/<name>/bsp.toml; BoardError if none."""
    path = bsp_root() / name / MANIFEST
    if "/" in name or not path.is_file():
        known = sorted(p.parent.name for p in bsp_root().glob(f"*/{MANIFEST}"))
        raise BoardError(f"no BSP family {name!r} (firmware/bsp/{name}/{MANIFEST}); "
                         f"known: {', '.join(known)}")
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    try:
        return BspFamily(
            name=name, files=tuple(table["files"]), header=str(table["header"]),
            linker=table.get("linker"), linker_files=tuple(table.get("linker_files", ())),
            timer_files={k: tuple(v) for k, v in table.get("timer_files", {}).items()},
        )
    except (KeyError, TypeError) as exc:
        raise BoardError(f"{path}: bad BSP manifest ({exc})") from None


def write_bsp(board: Board, family: BspFamily, dest: Path, context: Mapping[str, Any]) -> list[Path]:
    """Copy the family's files for `board` into dest with the rendered ek_bsp_board.h."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for src in family.files_for(board):
        shutil.copyfile(src, dest / src.name)
        written.append(dest / src.name)
    header = dest / HEADER
    header.write_text(render(family.header, {"board": board, **context}))
    return [*written, header]


def write_linker_script(board: Board, family: BspFamily, dest: Path,
                        context: Mapping[str, Any]) -> Path | None:
    """dest/link.ld (+ the files it includes), or None when the family has no script."""
    if family.linker is None:
        return None
    dest.mkdir(parents=True, exist_ok=True)
    for name in family.linker_files:
        shutil.copyfile(bsp_root() / name, dest / Path(name).name)
    script = dest / "link.ld"
    script.write_text(render(family.linker, {"board": board, **context}))
    return script
