"""The build-system files of each export format, around the same src/ and include/.

c: the sources only. cmake: a static library target. arduino: a library (library.properties,
src/ with the public header, an example sketch). espidf: a component. zephyr: a module.
platformio: library.json. Only `c` and `cmake` are built by their own tools in edgekit's
tests; the others are checked for structure and compiled with plain gcc (docs/export.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgekit import __version__
from edgekit.boards import Board
from edgekit.codegen.render import render

FORMATS = ("c", "cmake", "arduino", "espidf", "zephyr", "platformio")
LIB_VERSION = "1.0.0"


def _values(out: Path, group: str, names: list[str], report: dict[str, Any]) -> dict[str, Any]:
    return {"group": group, "GROUP": group.upper(), "names": names, "version": __version__,
            "lib_version": LIB_VERSION, "sources": sorted(p.name for p in (out / "src").glob("*.c")),
            "arena_bytes": report["arena_shared_bytes"], "weights_bytes": report["weights_bytes"]}


def _write(files: dict[Path, str]) -> list[Path]:
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return list(files)


def _c(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    return {}


def _cmake(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    return {out / "CMakeLists.txt": render("export/CMakeLists.txt.j2", values)}


def _arduino(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    sketch = f"{values['group']}_example"
    return {out / "library.properties": render("export/library.properties.j2", values),
            out / "examples" / sketch / f"{sketch}.ino": render("export/example.ino.j2", values)}


def _espidf(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    return {out / "CMakeLists.txt": render("export/idf_CMakeLists.txt.j2", values),
            out / "idf_component.yml": render("export/idf_component.yml.j2", values)}


def _zephyr(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    return {out / "zephyr" / "module.yml": render("export/zephyr_module.yml.j2", values),
            out / "CMakeLists.txt": render("export/zephyr_CMakeLists.txt.j2", values),
            out / "Kconfig": render("export/Kconfig.j2", values)}


def _platformio(out: Path, values: dict[str, Any], board: Board) -> dict[Path, str]:
    manifest = {
        "name": values["group"], "version": LIB_VERSION,
        "description": f"The int8 model(s) {', '.join(values['names'])} as plain C "
                       f"(edgekit {__version__} export)",
        "keywords": ["tinyml", "int8", "edgekit"], "frameworks": "*", "platforms": "*",
        "build": {"srcDir": "src", "includeDir": "include"},
    }
    return {out / "library.json": json.dumps(manifest, indent=2) + "\n"}


_WRITERS: dict[str, Callable[[Path, dict[str, Any], Board], dict[Path, str]]] = {
    "c": _c, "cmake": _cmake, "arduino": _arduino, "espidf": _espidf, "zephyr": _zephyr,
    "platformio": _platformio,
}


def write_format(fmt: str, out: Path, group: str, names: list[str], report: dict[str, Any],
                 board: Board) -> list[Path]:
    return _write(_WRITERS[fmt](out, _values(out, group, names, report), board))
