"""Boards built by edgekit itself: its own BSP family + linker script, the cross gcc.

The project gets the BSP family of the board's `bsp` (firmware/bsp/<bsp>/bsp.toml), its
rendered ek_bsp_board.h and linker script, ek_build.json (`build_description`: the one
place that knows the compile and link flags) and the local PlatformIO platform that
builds from ek_build.json offline. The qemu target is this plus QEMU; a real board
family adds a flasher by subclassing (docs/targets.md).
"""

from __future__ import annotations

import importlib
import json
import shlex
import shutil
from abc import abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import edgekit.targets.gcc as gcc
from edgekit.boards.model import Board, MemoryRegion
from edgekit.codegen.render import render
from edgekit.errors import BoardError
from edgekit.kernels.variants import kernel_variant
from edgekit.resources import data_dir
from edgekit.targets.base import Flashed, Target
from edgekit.targets.bsp import BspFamily, bsp_family, write_bsp, write_linker_script
from edgekit.targets.flags import SOURCE_DIRS, WARNINGS, firmware_opt_flags
from edgekit.targets.regions import RegionUse, elf_sections, region_usage

STACK_RESERVE = 0x10000  # bytes the linker keeps for the stack (link fails otherwise)


def local_platform_ini(board: Board) -> str:
    """platformio.ini of a project that `pio run` builds offline with platform/."""
    return render("platformio.ini.j2", {"board": board, "env_name": board.name, "local": True})


def copy_local_platform(project: Path) -> list[Path]:
    """platform/ (builder reading ek_build.json) + packages/tool-scons (offline SCons)."""
    templates = data_dir("templates") / "platformio"
    written = []
    for name in ("platform", "packages"):
        # dotfiles included: tool-scons needs its .piopm
        shutil.copytree(templates / name, project / name, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        written.append(project / name)
    return written


def plain_makefile(description: dict[str, Any]) -> str:
    """A Makefile that builds the firmware with make alone, from the same description (and
    so the same compiler and flags) as edgekit's own compile and the PlatformIO platform."""
    def words(flags: list[str]) -> str:
        return " ".join(shlex.quote(flag) for flag in flags)

    return render("build/Makefile.j2", {
        "board": description["board"], "cc": description["cc"],
        "cflags": words(gcc.compile_flags(description)), "ldflags": words(gcc.link_flags(description)),
        "libs": words([f"-l{lib}" for lib in description["libs"]]), "ldscript": description["ldscript"],
    })


class GccBuildTarget(Target):
    """A target whose ELF edgekit compiles with gcc from ek_build.json (host and bare metal)."""

    @abstractmethod
    def family(self) -> BspFamily:
        """The BSP family whose files and templates the project gets."""

    def header_context(self) -> dict[str, Any]:
        """Values the family's ek_bsp_board.h template needs besides the board."""
        return {}

    def linker_context(self) -> dict[str, Any]:
        return {}

    def description(self, defines: Mapping[str, str]) -> dict[str, Any]:
        """Compiler, flags, linker script (and QEMU command) of the build: ek_build.json.
        Paths are relative to the project folder."""
        board = self.board
        cpu = list(board.cflags)
        return {
            "board": board.name,
            "kind": board.kind,
            "cc": board.cc,
            "ar": board.tool("ar"),
            "ranlib": board.tool("ranlib"),
            "size": board.tool("size"),
            "cflags": cpu + firmware_opt_flags(),
            "warnings": list(WARNINGS),
            "defines": {**kernel_variant(board.kernel_variant).defines, **defines},
            "include_dirs": list(SOURCE_DIRS),
            "ldflags": list(cpu),
            "ldscript": None,
            "lib_dirs": [],
            "libs": ["m"],
            "qemu": None,
        }

    def write_files(self, project: Path, defines: Mapping[str, str]) -> list[Path]:
        family = self.family()
        written = write_bsp(self.board, family, project / "src" / "bsp", self.header_context())
        script = write_linker_script(self.board, family, project / "ld", self.linker_context())
        if script is not None:
            written.append(script)
        ini = project / "platformio.ini"
        ini.write_text(local_platform_ini(self.board))
        description = self.description(defines)
        build_file = project / gcc.BUILD_FILE
        build_file.write_text(json.dumps(description, indent=2) + "\n")
        makefile = project / "Makefile"
        makefile.write_text(plain_makefile(description))
        return [*written, ini, build_file, makefile, *copy_local_platform(project)]

    def can_build(self) -> bool:
        return shutil.which(self.board.cc) is not None

    def build_elf(self, project: Path, *, jobs: int = 2, timeout_s: float = 300.0) -> Path:
        return gcc.compile_firmware(project, self.board.name, jobs=jobs, timeout_s=timeout_s)


class GccBareMetalTarget(GccBuildTarget):
    """A Cortex-M or RISC-V board with edgekit's own startup code, BSP and linker script."""

    kind = "gcc-bare-metal"

    def family(self) -> BspFamily:
        if self.board.bsp is None:
            raise BoardError(f"board {self.board.name!r}: target {self.kind} needs `bsp`")
        return bsp_family(self.board.bsp)

    def linker_context(self) -> dict[str, Any]:
        code, ram = self.memory()
        return {"code": code, "ram": ram, "stack_reserve": STACK_RESERVE}

    def memory(self) -> tuple[MemoryRegion, MemoryRegion]:
        """The code and ram regions the firmware links into (the TOML's [[regions]])."""
        board = self.board
        regions = {r.name: r for r in board.regions or ()}
        if "code" not in regions or "ram" not in regions:
            raise BoardError(f"board {board.name!r}: target {self.kind} needs [[regions]] "
                             "named 'code' and 'ram'")
        return regions["code"], regions["ram"]

    def region_sizes(self, elf: Path) -> list[RegionUse]:
        """Bytes in the code and ram regions; on Cortex-M the ram region also holds the
        STACK_RESERVE the linker script keeps (picolibc's RISC-V script has a .stack
        section, counted like any other)."""
        code, ram = self.memory()
        stack = STACK_RESERVE if self.board.arch.startswith("cortex-m") else 0
        return region_usage(elf_sections(elf, self.board.tool("objdump")), [code, ram],
                            stack_region=ram.name, stack_bytes=stack)

    def flash_region(self) -> str:
        return self.memory()[0].name

    def description(self, defines: Mapping[str, str]) -> dict[str, Any]:
        desc = super().description(defines)
        board = self.board
        if board.arch.startswith("cortex-m"):
            if self.family().linker is None:
                raise BoardError(f"board {board.name!r}: BSP family {board.bsp!r} has no linker script")
            desc["cflags"] += ["--specs=nano.specs"]
            desc["ldflags"] += ["--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles",
                                "-Wl,--gc-sections"]
            desc["ldscript"] = "ld/link.ld"
            desc["lib_dirs"] = ["ld"]
        elif board.arch == "riscv32":
            # picolibc's own linker script, placed by defsyms (docs/targets.md).
            code, ram = self.memory()
            desc["cflags"] += ["--specs=picolibc.specs"]
            desc["ldflags"] += ["--specs=picolibc.specs", "-Wl,--gc-sections"] + [
                f"-Wl,--defsym={sym}=0x{value:x}"
                for sym, value in (("__flash", code.base), ("__flash_size", code.size),
                                   ("__ram", ram.base), ("__ram_size", ram.size),
                                   ("__stack_size", STACK_RESERVE))
            ]
        else:
            raise BoardError(f"board {board.name!r}: no bare-metal build for arch {board.arch!r}")
        return desc

    def flash(self, project: Path, port: str | None = None) -> Flashed:
        """Flash with edgekit/targets/flashers/<upload>.py: its `flash(board, elf, port)`."""
        upload = self.board.upload
        try:
            module = importlib.import_module(f"edgekit.targets.flashers.{upload.replace('-', '_')}")
        except ModuleNotFoundError:
            raise BoardError(f"board {self.board.name!r}: no flasher for upload {upload!r} "
                             f"(edgekit/targets/flashers/{upload.replace('-', '_')}.py)") from None
        flasher: Callable[[Board, Path, str | None], Flashed] = module.flash
        return flasher(self.board, self.firmware(project), port)
