"""Find and read boards/<name>.toml: `load_board`, `list_boards`, `board_names`."""

from __future__ import annotations

import dataclasses
import difflib
import sys
from pathlib import Path
from typing import Any

from edgekit.boards.model import Board
from edgekit.boards.schema import build, check_board
from edgekit.errors import BoardError
from edgekit.resources import data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib


def _folder(directory: Path | str | None) -> Path:
    return data_dir("boards") if directory is None else Path(directory)


def board_names(directory: Path | str | None = None) -> list[str]:
    """Names of the boards in the catalog (file stems), sorted; files are not parsed."""
    return sorted(path.stem for path in _folder(directory).glob("*.toml"))


def load_board(name: str, directory: Path | str | None = None) -> Board:
    """The board `name`, validated. Unknown name: BoardError naming the close matches."""
    folder = _folder(directory)
    path = folder / f"{name}.toml"
    if "/" in name or "\\" in name or not path.is_file():
        names = board_names(folder)
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        raise BoardError(f"unknown board {name!r}; {hint}'edgekit boards' lists all {len(names)}")
    return read_board(path)


def list_boards(directory: Path | str | None = None) -> list[Board]:
    """Every board in the catalog, validated, sorted by name."""
    folder = _folder(directory)
    return [read_board(folder / f"{name}.toml") for name in board_names(folder)]


def read_board(path: Path) -> Board:
    """Parse and validate one board file."""
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BoardError(f"board file {path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise BoardError(f"board file {path}: not valid TOML ({exc})") from None
    table = _with_emulated_sizes(table, path)
    board = build(Board, table, path)
    check_board(board, path)
    return dataclasses.replace(board, path=path.resolve())


def _with_emulated_sizes(table: dict[str, Any], path: Path) -> dict[str, Any]:
    """An emulated board's flash and RAM are its code and ram regions: one fact, one place.

    The TOML must not repeat them; the loader copies the region sizes into the fields.
    """
    qemu = table.get("qemu")
    if not isinstance(qemu, dict) or not isinstance(qemu.get("regions"), list):
        return table  # not emulated, or malformed: build() reports the problem
    sizes = {r.get("name"): r.get("size") for r in qemu["regions"] if isinstance(r, dict)}
    table = dict(table)
    for field, region in (("flash_bytes", "code"), ("ram_bytes", "ram")):
        if field in table:
            raise BoardError(f"board file {path}: field '{field}' must be absent for an emulated"
                             f" board (it is the size of the {region!r} region in [qemu])")
        if region not in sizes:
            raise BoardError(f"board file {path}: field 'qemu.regions' needs a region named"
                             f" {region!r}")
        table[field] = sizes[region]
    return table


def with_framework(board: Board, framework: str | None) -> Board:
    """The board built another way: "arduino" = its [platformio] project (target
    platformio-arduino) instead of edgekit's own BSP; None = as its TOML says."""
    if framework is None:
        return board
    if framework != "arduino":
        raise BoardError(f"unknown framework {framework!r}: use arduino (or leave it out)")
    if board.platformio is None:
        raise BoardError(f"board {board.name!r} has no [platformio] table: no Arduino build")
    return dataclasses.replace(board, target="platformio-arduino")
