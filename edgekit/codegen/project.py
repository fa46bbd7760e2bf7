"""Write a complete PlatformIO project for a board: sources, BSP, runtime, kernels.

Layout of a project (`write_project`):

    platformio.ini        emulated/host: local platform; real boards: registry platform
    ek_build.json         compile/link flags (emulated and host; edgekit/device/toolchain.py)
    platform/             local PlatformIO platform (builder/main.py reads ek_build.json)
    packages/tool-scons/  SCons stand-in so `pio run` works offline (docs/EMULATION.md)
    ld/                   linker scripts (Cortex-M QEMU boards)
    src/                  generated model.c/h, model_data.c, main.c ...
    src/bsp/              the board's BSP files and its generated ek_bsp_board.h
    src/runtime/          firmware/runtime/*.c *.h
    src/kernels/          firmware/kernels/*.c *.h

The BSP's board header and the linker script's memory map are generated from the
board's TOML, so each board fact lives in one place.
"""

from __future__ import annotations

import json
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

from edgekit.codegen.render import render
from edgekit.device.toolchain import (
    BUILD_FILE,
    SOURCE_DIRS,
    WARN_FLAGS,
    build_description,
    kernel_defines,
)
from edgekit.errors import BoardError, EdgekitError
from edgekit.resources import data_dir

# PlatformIO upload protocol names that equal a board's `upload` value.
_PIO_UPLOAD_PROTOCOLS = {"esptool", "stlink", "jlink", "picotool", "teensy-cli", "mbed", "sam-ba"}
_CYCLE_TIMERS = {"dwt", "ccount", "mcycle", "mpccr"}
SOURCES_MANIFEST = ".edgekit-sources.json"  # generated files in src/, for the next rewrite


def bsp_dir() -> Path:
    return data_dir("firmware") / "bsp"


def bsp_files(board: Any) -> list[Path]:
    """The files of firmware/bsp/ that make up the board's BSP (its header is generated)."""
    root = bsp_dir()
    names = ["ek_bsp.h"]
    if board.kind == "host":
        names += ["common/ek_bsp_consts.c", "host/ek_bsp_host.c"]
    elif board.kind == "emulated":
        names += ["common/ek_bsp_consts.c", "common/ek_bsp_getc.c", "common/ek_bsp_poll.h"]
        uart = board.qemu.uart
        if uart == "cmsdk-apb-uart" and board.arch.startswith("cortex-m"):
            names += ["cmsdk/ek_bsp_cmsdk.c", "cortexm/ek_cortexm_startup.c"]
        elif uart == "ns16550a" and board.qemu.exit == "sifive-test":
            names += ["riscv-virt/ek_bsp_virt.c"]
        else:
            raise BoardError(f"board {board.name!r}: no BSP for UART {uart!r} on {board.arch}")
    else:
        framework = board.platformio.framework
        if framework != "arduino":
            raise BoardError(f"board {board.name!r}: no BSP for framework {framework!r} yet")
        names += ["common/ek_bsp_consts.c", "arduino/ek_bsp_arduino.cpp"]
        if board.timer == "dwt":
            names += ["cortexm/ek_dwt.h"]
    return [root / name for name in names]


def _ratio(value: float) -> tuple[int, int]:
    frac = Fraction(value).limit_denominator(1000)
    return frac.numerator, frac.denominator


def _timer_macro(timer: str) -> str:
    return "EK_BSP_TIMER_" + timer.upper().replace("-", "_")


def framework_defines(board: Any) -> dict[str, str]:
    """The board's [platformio] defines ("NAME=VALUE") as a dict."""
    pairs = (d.partition("=") for d in board.platformio.defines)
    return {name: value or "1" for name, _, value in pairs}


def bsp_board_header(board: Any) -> str:
    """ek_bsp_board.h for the board: name, clocks, what a tick is, peripheral addresses."""
    lines = [f'#define EK_BSP_BOARD_NAME "{board.name}"']
    if board.kind == "host":
        macros = {"EK_BSP_EMULATED": "0", "EK_BSP_CPU_HZ": "0u", "EK_BSP_TICK_HZ": "1000000u",
                  "EK_BSP_TICK_UNIT": '"us"', "EK_BSP_UNITS_PER_TICK_NUM": "1u",
                  "EK_BSP_UNITS_PER_TICK_DEN": "1u"}
    elif board.kind == "emulated":
        qemu = board.qemu
        num, den = _ratio(qemu.instructions_per_tick)
        # -icount shift=0: one executed instruction per virtual ns.
        tick_hz = round(1e9 / qemu.instructions_per_tick)
        macros = {"EK_BSP_EMULATED": "1", "EK_BSP_CPU_HZ": f"{board.cpu_hz}u",
                  "EK_BSP_TICK_HZ": f"{tick_hz}u", "EK_BSP_TICK_UNIT": '"instructions"',
                  "EK_BSP_UNITS_PER_TICK_NUM": f"{num}u", "EK_BSP_UNITS_PER_TICK_DEN": f"{den}u",
                  "EK_BSP_UART_BASE": f"0x{qemu.uart_base:08X}u"}
        if board.timer == "cmsdk-timer":
            macros["EK_BSP_CMSDK_TIMER_BASE"] = f"0x{qemu.timer_base:08X}u"
        elif board.timer == "fpgaio-counter":
            macros["EK_BSP_FPGAIO_COUNTER"] = f"0x{qemu.timer_base:08X}u"
        elif board.timer != "mcycle":
            raise BoardError(f"board {board.name!r}: the QEMU BSP has no {board.timer!r} timer")
        if qemu.exit_base is not None:
            macros["EK_BSP_TEST_FINISHER"] = f"0x{qemu.exit_base:08X}u"
    else:
        if board.timer in _CYCLE_TIMERS:
            tick_hz, unit = board.cpu_hz, '"cycles"'
        elif board.timer == "rp2040-timer":  # the cores' micros() reads this 1 MHz TIMER
            tick_hz, unit = 1_000_000, '"us"'
        else:
            raise BoardError(f"board {board.name!r}: the Arduino BSP has no {board.timer!r} timer")
        macros = {"EK_BSP_EMULATED": "0", "EK_BSP_ARDUINO": "1",
                  "EK_BSP_CPU_HZ": f"{board.cpu_hz}u", "EK_BSP_TICK_HZ": f"{tick_hz}u",
                  "EK_BSP_TICK_UNIT": unit, "EK_BSP_UNITS_PER_TICK_NUM": "1u",
                  "EK_BSP_UNITS_PER_TICK_DEN": "1u", _timer_macro(board.timer): "1",
                  "EK_BSP_BAUD": f"{board.serial.baud if board.serial else 115200}u"}
    lines += [f"#define {name} {value}" for name, value in macros.items()]
    body = "\n".join(lines)
    return (f"/* Generated by edgekit from boards/{board.name}.toml: do not edit. */\n"
            "#ifndef EK_BSP_BOARD_H\n#define EK_BSP_BOARD_H\n\n"
            f"{body}\n\n#endif /* EK_BSP_BOARD_H */\n")


def bsp_linker_script(board: Any) -> str | None:
    """link.ld for a Cortex-M QEMU board: its code and ram regions + the shared sections."""
    if board.kind != "emulated" or not board.arch.startswith("cortex-m"):
        return None
    qemu = board.qemu
    code, ram = qemu.code, qemu.ram
    if qemu.vtor != code.base:
        raise BoardError(f"board {board.name!r}: the vector table (VTOR 0x{qemu.vtor:x}) must"
                         " start the code region")
    return (
        f"/* Generated by edgekit from boards/{board.name}.toml: do not edit. */\n"
        "MEMORY\n{\n"
        f"    CODE (rx) : ORIGIN = 0x{code.base:08X}, LENGTH = 0x{code.size:X}\n"
        f"    RAM (rwx) : ORIGIN = 0x{ram.base:08X}, LENGTH = 0x{ram.size:X}\n"
        "}\n"
        'REGION_ALIAS("REGION_TEXT", CODE);\nREGION_ALIAS("REGION_RODATA", CODE);\n'
        'REGION_ALIAS("REGION_RAM", RAM);\n'
        "__ram_end = ORIGIN(RAM) + LENGTH(RAM);\n"
        "__stack_min = 0x10000;\n"
        "INCLUDE ek_cortexm_sections.ld\n"
    )


def write_bsp(board: Any, dest: Path) -> list[Path]:
    """Copy the board's BSP into `dest` with its generated ek_bsp_board.h; the files."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for src in bsp_files(board):
        shutil.copyfile(src, dest / src.name)
        written.append(dest / src.name)
    header = dest / "ek_bsp_board.h"
    header.write_text(bsp_board_header(board))
    return [*written, header]


def write_linker_scripts(board: Any, dest: Path) -> Path | None:
    """ld/link.ld + the shared section layout, or None when the board needs none."""
    script = bsp_linker_script(board)
    if script is None:
        return None
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(bsp_dir() / "cortexm" / "ek_cortexm_sections.ld",
                    dest / "ek_cortexm_sections.ld")
    (dest / "link.ld").write_text(script)
    return dest / "link.ld"


def _copy_tree(src: Path, dest: Path) -> None:
    """Copy a template folder, dotfiles included (tool-scons needs its .piopm)."""
    shutil.copytree(src, dest, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


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


def render_platformio_ini(board: Any, defines: dict[str, str] | None = None) -> str:
    local = board.kind in ("emulated", "host")
    context: dict[str, Any] = {"board": board, "env_name": board.name, "local": local}
    if not local:
        pio = board.platformio
        context.update(
            pio=pio,
            upload_protocol=board.upload if board.upload in _PIO_UPLOAD_PROTOCOLS else "",
            baud=board.serial.baud if board.serial is not None else 0,
            include_dirs=list(SOURCE_DIRS[1:]) + ["src"],
            defines=sorted({**kernel_defines(board), **framework_defines(board),
                            **(defines or {})}.items()),
            ldscript=Path(pio.ldscript).name if pio.ldscript else "",
            warnings=[f for f in WARN_FLAGS if f != "-Werror"],
        )
    return render("platformio.ini.j2", context)


def write_project(
    out_dir: Path | str, board: Any, sources: dict[str, str],
    defines: dict[str, str] | None = None,
) -> Path:
    """Write the PlatformIO project for `board` into out_dir; returns out_dir.

    `sources` maps file names (model.c, model.h, model_data.c, main.c, ...) to their text;
    they go to src/. `defines` are extra preprocessor macros for every source.
    """
    out = Path(out_dir)
    for name in sources:
        if "/" in name or "\\" in name or name.startswith("."):
            raise EdgekitError(f"generated source name {name!r} must be a plain file name")
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
    write_bsp(board, src / "bsp")
    _copy_sources(firmware / "runtime", src / "runtime")
    _copy_sources(firmware / "kernels", src / "kernels")
    for name, text in sources.items():
        (src / name).write_text(text)
    (out / SOURCES_MANIFEST).write_text(json.dumps(sorted(sources), indent=1) + "\n")
    (out / "platformio.ini").write_text(render_platformio_ini(board, defines))
    if board.kind == "real" and board.platformio.ldscript:
        shutil.copyfile(bsp_dir() / "arduino" / board.platformio.ldscript,
                        out / Path(board.platformio.ldscript).name)
    if board.kind in ("emulated", "host"):
        (out / BUILD_FILE).write_text(
            json.dumps(build_description(board, defines), indent=2) + "\n")
        write_linker_scripts(board, out / "ld")
        templates = data_dir("templates") / "platformio"
        _copy_tree(templates / "platform", out / "platform")
        _copy_tree(templates / "packages", out / "packages")
    return out
