"""Build firmware with the board's compiler, measure its size, and drive PlatformIO.

`build_description(board)` is the one place that knows the compile and link flags of
an emulated or host build. `write_project` stores it in the project as ek_build.json;
both the project's PlatformIO builder (templates/platformio/platform/builder/main.py)
and `compile_firmware` here read that file, so `pio run` and the direct build compile
the same sources with the same flags.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from edgekit.errors import BoardError, BuildError, InternalError, ToolError
from edgekit.tool_log import log_command

BUILD_FILE = "ek_build.json"
# Folders of a project (relative to it) that hold C sources and headers.
SOURCE_DIRS = ("src", "src/bsp", "src/runtime", "src/kernels")
OPT_FLAGS = ["-O2", "-std=c99", "-ffunction-sections", "-fdata-sections"]
WARN_FLAGS = ["-Wall", "-Wextra", "-Werror"]
STACK_RESERVE = 0x10000  # bytes the linker keeps for the stack (link fails otherwise)
# The kernels' ISA switches (firmware/kernels/ek_common.h: EK_ARM_DSP is the one feature
# macro of the DSP path; the M55 has the DSP extension too, plus Helium).
KERNEL_DEFINES = {
    "portable": {},
    "arm-dsp": {"EK_ARM_DSP": "1"},
    "arm-mve": {"EK_ARM_DSP": "1", "EK_ARM_MVE": "1"},
    "esp-nn-like": {"EK_ESP_NN": "1"},
}
PIO_ENV = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "36500",
    "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
}


def kernel_defines(board: Any) -> dict[str, str]:
    """Preprocessor switches that select the kernels' ISA paths for the board."""
    return dict(KERNEL_DEFINES[board.kernel_variant])


def build_description(board: Any, defines: dict[str, str] | None = None) -> dict[str, Any]:
    """Compiler, flags, linker script and QEMU command of an emulated or host build.

    Paths are relative to the project folder. Real boards build with their vendor
    PlatformIO platform instead (BoardError here).
    """
    if board.kind == "real":
        raise BoardError(
            f"board {board.name!r} builds with PlatformIO's {board.platformio.platform} "
            "platform on a machine that can download it, not with edgekit's direct build"
        )
    all_defines = {**kernel_defines(board), **(defines or {})}
    cpu = list(board.cflags)
    desc: dict[str, Any] = {
        "board": board.name,
        "kind": board.kind,
        "cc": board.cc,
        "ar": board.tool("ar"),
        "ranlib": board.tool("ranlib"),
        "size": board.tool("size"),
        "cflags": cpu + OPT_FLAGS,
        "warnings": list(WARN_FLAGS),
        "defines": all_defines,
        "include_dirs": list(SOURCE_DIRS),
        "ldflags": list(cpu),
        "ldscript": None,
        "lib_dirs": [],
        "libs": ["m"],
        "qemu": None,
    }
    if board.kind == "host":
        desc["ldflags"] += ["-Wl,--gc-sections"]
        return desc
    if board.arch.startswith("cortex-m"):
        desc["cflags"] += ["--specs=nano.specs"]
        desc["ldflags"] += ["--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles",
                            "-Wl,--gc-sections"]
        desc["ldscript"] = "ld/link.ld"
        desc["lib_dirs"] = ["ld"]
    elif board.arch == "riscv32":
        # picolibc's own linker script, placed by defsyms (docs/EMULATION.md).
        code, ram = board.qemu.code, board.qemu.ram
        desc["cflags"] += ["--specs=picolibc.specs"]
        desc["ldflags"] += ["--specs=picolibc.specs", "-Wl,--gc-sections"] + [
            f"-Wl,--defsym={sym}=0x{value:x}"
            for sym, value in (("__flash", code.base), ("__flash_size", code.size),
                               ("__ram", ram.base), ("__ram_size", ram.size),
                               ("__stack_size", STACK_RESERVE))
        ]
    else:
        raise BoardError(f"board {board.name!r}: no direct build for arch {board.arch!r}")
    from edgekit.device.qemu import qemu_machine  # light module; avoids an import cycle

    desc["qemu"] = qemu_machine(board).base_command()
    return desc


def read_description(project_dir: Path) -> dict[str, Any]:
    path = Path(project_dir) / BUILD_FILE
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BuildError(f"{project_dir} is not an edgekit project ({BUILD_FILE} missing)") from None
    except ValueError as exc:
        raise BuildError(f"{path} is corrupt: {exc}") from None


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolError(
            f"{tool} not found: install the cross toolchain (Debian: gcc-arm-none-eabi "
            "libnewlib-arm-none-eabi gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf)"
        )
    return path


def _first_error(output: str) -> str:
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
        raise InternalError(f"{what} failed: {_first_error(proc.stderr + proc.stdout)}")


def project_sources(project_dir: Path) -> list[Path]:
    """Every C file under src/ of the project, relative to it, in a stable order."""
    return sorted(p.relative_to(project_dir) for p in (project_dir / "src").rglob("*.c"))


def compile_firmware(
    project_dir: Path | str, board: Any = None, *, out_dir: Path | str | None = None,
    jobs: int = 2, timeout_s: float = 300.0,
) -> Path:
    """Compile and link the project with the flags of its ek_build.json; the ELF path.

    `board` is only checked against the project's board when given. Objects and the
    ELF go to `out_dir` (default <project>/.edgekit-build).
    """
    project_dir = Path(project_dir).resolve()
    desc = read_description(project_dir)
    if board is not None and board.name != desc["board"]:
        raise BuildError(f"{project_dir} was generated for {desc['board']}, not {board.name}")
    out = Path(out_dir) if out_dir is not None else project_dir / ".edgekit-build"
    out.mkdir(parents=True, exist_ok=True)
    cc = _require(desc["cc"])
    sources = project_sources(project_dir)
    if not sources:
        raise BuildError(f"{project_dir}/src has no C sources")
    objects = _compile_all(project_dir, cc, compile_flags(desc), sources, out / "obj", jobs,
                           timeout_s)
    elf = out / "firmware.elf"
    _run([cc, *link_flags(desc), "-o", str(elf), *map(str, objects),
          *(f"-l{lib}" for lib in desc["libs"])],
         project_dir, "linking firmware.elf", timeout_s)
    return elf


def _compile_all(project_dir: Path, cc: str, cflags: list[str], sources: list[Path],
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


def check_compile_real_board(
    project_dir: Path | str, board: Any, *, jobs: int = 2, timeout_s: float = 300.0,
) -> list[Path]:
    """Compile (no link) the C sources of a real board's project with the board's cross
    compiler and CPU flags, -Werror: what can be checked without the vendor framework.

    The framework BSP (C++ against Arduino.h) is left out; it builds only where PlatformIO
    can download the platform. Returns the object files.
    """
    project_dir = Path(project_dir).resolve()
    if board.kind != "real":
        raise BoardError(f"board {board.name!r} is not a real board: use compile_firmware")
    cc = _require(board.cc)
    cflags = [*board.cflags, *OPT_FLAGS, *WARN_FLAGS,
              *(f"-D{k}={v}" for k, v in sorted(kernel_defines(board).items())),
              *(f"-I{d}" for d in SOURCE_DIRS)]
    sources = project_sources(project_dir)
    return _compile_all(project_dir, cc, cflags, sources, project_dir / ".edgekit-build" / "obj",
                        jobs, timeout_s)


def compile_flags(desc: dict[str, Any]) -> list[str]:
    """Compiler flags of a description (paths relative to the project)."""
    return [
        *desc["cflags"], *desc["warnings"],
        *(f"-D{k}={v}" for k, v in sorted(desc["defines"].items())),
        *(f"-I{d}" for d in desc["include_dirs"]),
    ]  # fmt: skip


def link_flags(desc: dict[str, Any]) -> list[str]:
    flags = [*desc["ldflags"], *(f"-L{d}" for d in desc["lib_dirs"])]
    if desc["ldscript"]:
        flags += ["-T", desc["ldscript"]]
    return flags


# --- sizes -----------------------------------------------------------------------

_SECTION = re.compile(
    r"^\s*\[\s*\d+\]\s+(\S+)\s+(\S+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)\s+\S+\s+(\S*)\s"
)


def toolchain_available(board: Any) -> bool:
    """True when edgekit can compile the board's firmware here (emulated boards, host)."""
    return board.kind in ("emulated", "host") and shutil.which(board.cc) is not None


def elf_size(elf: Path | str, board: Any = None) -> dict[str, int]:
    """Bytes of code, constants, initialized and zeroed data of an ELF.

    From the section headers (readelf -S): allocated + executable → text; allocated,
    read-only → rodata; allocated, writable, with contents → data; NOBITS → bss (the
    stack reservation of picolibc's .stack counts as bss). flash = text + rodata + data
    (the .data image lives in flash), ram = data + bss. picolibc's RISC-V linker script
    keeps constants inside .text, so there rodata is 0 and text includes them.
    `board` is accepted for symmetry; GNU readelf reads every ELF.
    """
    del board  # sections are read the same way for every architecture
    readelf = shutil.which("readelf") or _require("arm-none-eabi-readelf")
    proc = subprocess.run([readelf, "-S", "-W", str(elf)], check=False, capture_output=True,
                          text=True, timeout=30)
    if proc.returncode != 0:
        raise ToolError(f"cannot read {elf}: {_first_error(proc.stderr)}")
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


# --- PlatformIO ------------------------------------------------------------------


def pio_env(core_dir: Path | str | None = None, extra: dict[str, str] | None = None
            ) -> dict[str, str]:
    """The environment for an offline `pio` run (no telemetry, no upgrade checks)."""
    env = dict(os.environ)
    env.update(PIO_ENV)
    if core_dir is not None:
        env["PLATFORMIO_CORE_DIR"] = str(core_dir)
    env.update(extra or {})
    return env


def find_pio() -> str:
    """The `pio` executable: beside this Python (a venv) or on PATH."""
    import sys

    beside = Path(sys.executable).parent / "pio"
    if beside.is_file():
        return str(beside)
    found = shutil.which("pio") or shutil.which("platformio")
    if found is None:
        raise ToolError("PlatformIO (pio) not found: pip install platformio")
    return found


def run_platformio(
    project_dir: Path | str, target: str | None = None, *, env: dict[str, str] | None = None,
    timeout_s: float = 600.0,
) -> subprocess.CompletedProcess[str]:
    """`pio run [-t target]` in the project with the offline environment.

    For the long-running `upload` target on emulated boards use `start_platformio`.
    """
    cmd = [find_pio(), "run", "-d", str(project_dir)]
    if target:
        cmd += ["-t", target]
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout_s,
                              env=env if env is not None else pio_env(), start_new_session=True)
        log_command(cmd, proc.stdout + proc.stderr)
    except subprocess.TimeoutExpired:
        raise ToolError(f"'pio run' took longer than {timeout_s:.0f} s in {project_dir}") from None
    if proc.returncode != 0:
        raise ToolError(f"'pio run' failed in {project_dir}: "
                           f"{_first_error(proc.stdout + proc.stderr)}")
    return proc


def start_platformio(project_dir: Path | str, target: str, *, env: dict[str, str] | None = None
                     ) -> subprocess.Popen[str]:
    """Start `pio run -t target` in its own process group (kill the group to stop it)."""
    cmd = [find_pio(), "run", "-d", str(project_dir), "-t", target]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env if env is not None else pio_env(), start_new_session=True)
