"""Compile and link a project with the flags of its ek_build.json; read an ELF's sizes.

A gcc-driven target (host, qemu, gcc-bare-metal) writes ek_build.json into the project
(`BUILD_FILE`); both the project's local PlatformIO builder
(templates/platformio/platform/builder/main.py) and `compile_firmware` here read it, so
`pio run` and the direct build compile the same sources with the same flags.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from edgekit.errors import BuildError, CheckFailed, InternalError, ToolError
from edgekit.targets.flags import define_flags
from edgekit.tool_log import log_command

BUILD_FILE = "ek_build.json"
ELF_NAME = "firmware.elf"
BUILD_DIR = ".edgekit-build"  # objects and the ELF, inside the project


def read_description(project_dir: Path | str) -> dict[str, Any]:
    path = Path(project_dir) / BUILD_FILE
    try:
        desc: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise BuildError(f"{project_dir} is not an edgekit project ({BUILD_FILE} missing)") from None
    except ValueError as exc:
        raise BuildError(f"{path} is corrupt: {exc}") from None
    return desc


def require_tool(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolError(
            f"{tool} not found: install the cross toolchain (Debian: gcc-arm-none-eabi "
            "libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)"
        )
    return path


def first_error(output: str) -> str:
    """The compiler's first real error line (else the last line): what a user needs."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for wanted in ("error:", "undefined reference", "error"):
        for line in lines:
            if wanted in line.lower() and not line.startswith("collect2"):
                return line
    return lines[-1] if lines else "(no output)"


def _run(cmd: list[str], cwd: Path, what: str, timeout_s: float) -> None:
    try:
        proc = subprocess.run(cmd, check=False, cwd=cwd, capture_output=True, text=True, timeout=timeout_s)
        log_command(cmd, proc.stdout + proc.stderr)
    except subprocess.TimeoutExpired:
        raise ToolError(f"{what} took longer than {timeout_s:.0f} s") from None
    if proc.returncode != 0:
        output = proc.stderr + proc.stdout
        overflows = [f"region {m.group(1)} by {int(m.group(2)):,} bytes" for m in _OVERFLOW.finditer(output)]
        if overflows:  # the model is too big for the board: the user's limit, not our bug
            raise CheckFailed(f"{what}: the firmware does not fit: {'; '.join(overflows)}")
        raise InternalError(f"{what} failed: {first_error(output)}")


# GNU ld: "region `RAM' overflowed by 1234 bytes".
_OVERFLOW = re.compile(r"region [`']([^']+)' overflowed by (\d+) bytes")


def project_sources(project_dir: Path) -> list[Path]:
    """Every C file under src/ of the project, relative to it, in a stable order."""
    return sorted(p.relative_to(project_dir) for p in (project_dir / "src").rglob("*.c"))


def default_elf(project_dir: Path | str) -> Path:
    return Path(project_dir).resolve() / BUILD_DIR / ELF_NAME


def compile_firmware(
    project_dir: Path | str, board_name: str | None = None, *,
    out_dir: Path | str | None = None, jobs: int = 2, timeout_s: float = 300.0,
    extra_ldflags: Sequence[str] = (),
) -> Path:
    """Compile and link the project with the flags of its ek_build.json; the ELF path.

    `board_name` is only checked against the project's board when given. Objects and the
    ELF go to `out_dir` (default <project>/.edgekit-build). `extra_ldflags` go to this
    link only (the STM32 target's --noinhibit-exec, to measure what does not fit).
    """
    project_dir = Path(project_dir).resolve()
    desc = read_description(project_dir)
    if board_name is not None and board_name != desc["board"]:
        raise BuildError(f"{project_dir} was generated for {desc['board']}, not {board_name}")
    out = Path(out_dir) if out_dir is not None else project_dir / BUILD_DIR
    out.mkdir(parents=True, exist_ok=True)
    cc = require_tool(desc["cc"])
    sources = project_sources(project_dir)
    if not sources:
        raise BuildError(f"{project_dir}/src has no C sources")
    objects = compile_all(project_dir, cc, compile_flags(desc), sources, out / "obj", jobs,
                          timeout_s)
    elf = out / ELF_NAME
    _run([cc, *link_flags(desc), *extra_ldflags, "-o", str(elf), *map(str, objects),
          *(f"-l{lib}" for lib in desc["libs"])],
         project_dir, f"linking {ELF_NAME}", timeout_s)
    return elf


def compile_all(project_dir: Path, cc: str, cflags: list[str], sources: list[Path],
                obj_dir: Path, jobs: int, timeout_s: float) -> list[Path]:
    """Compile each source (relative to project_dir) to obj_dir; the object files."""
    objects = [obj_dir / src.with_suffix(".o") for src in sources]

    def compile_one(pair: tuple[Path, Path]) -> None:
        src, obj = pair
        obj.parent.mkdir(parents=True, exist_ok=True)
        _run([cc, *cflags, "-c", str(src), "-o", str(obj)], project_dir, f"compiling {src}",
             timeout_s)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        list(pool.map(compile_one, zip(sources, objects)))
    return objects


def compile_flags(desc: dict[str, Any]) -> list[str]:
    """Compiler flags of a description (paths relative to the project)."""
    return [*desc["cflags"], *desc["warnings"], *define_flags(desc["defines"]),
            *(f"-I{d}" for d in desc["include_dirs"])]


def link_flags(desc: dict[str, Any]) -> list[str]:
    flags = [*desc["ldflags"], *(f"-L{d}" for d in desc["lib_dirs"])]
    if desc["ldscript"]:
        flags += ["-T", desc["ldscript"]]
    return flags


# --- sizes -----------------------------------------------------------------------

_SECTION = re.compile(
    r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)\s"
)


def elf_size(elf: Path | str) -> dict[str, int]:
    """Bytes of code, constants, initialized and zeroed data of an ELF.

    From the section headers (readelf -S): allocated + executable → text; allocated,
    read-only → rodata; allocated, writable, with contents → data; NOBITS → bss (the
    stack reservation of picolibc's .stack counts as bss). flash = text + rodata + data
    (the .data image lives in flash), ram = data + bss. picolibc's RISC-V linker script
    keeps constants inside .text, so there rodata is 0 and text includes them. GNU
    readelf reads the ELF of every architecture.
    """
    readelf = shutil.which("readelf") or require_tool("arm-none-eabi-readelf")
    proc = subprocess.run([readelf, "-S", "-W", str(elf)], check=False, capture_output=True,
                          text=True, timeout=30)
    if proc.returncode != 0:
        raise ToolError(f"cannot read {elf}: {first_error(proc.stderr)}")
    sizes = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
    for line in proc.stdout.splitlines():
        m = _SECTION.match(line)
        if not m:
            continue
        _name, kind, _addr, size_hex, flags = m.groups()
        size = int(size_hex, 16)
        if "A" not in flags or size == 0:
            continue
        if kind == "NOBITS":
            sizes["bss"] += size
        elif "X" in flags:
            sizes["text"] += size
        elif "W" in flags:
            sizes["data"] += size
        else:
            sizes["rodata"] += size
    sizes["flash"] = sizes["text"] + sizes["rodata"] + sizes["data"]
    sizes["ram"] = sizes["data"] + sizes["bss"]
    return sizes


def symbol_bytes(elf: Path | str, prefix: str) -> int:
    """Bytes of the functions and objects of an ELF whose names start with `prefix`
    (readelf -s: what the linker kept after --gc-sections), e.g. one kernel family's code."""
    readelf = shutil.which("readelf") or require_tool("arm-none-eabi-readelf")
    proc = subprocess.run([readelf, "-s", "-W", str(elf)], check=False, capture_output=True,
                          text=True, timeout=30)
    if proc.returncode != 0:
        raise ToolError(f"cannot read {elf}: {first_error(proc.stderr)}")
    total = 0
    for line in proc.stdout.splitlines():
        fields = line.split()
        # Num: Value Size Type Bind Vis Ndx Name
        if len(fields) == 8 and fields[3] in ("FUNC", "OBJECT") and fields[7].startswith(prefix):
            total += int(fields[2], 0)
    return total
