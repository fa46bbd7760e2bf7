"""Turn a parsed TOML table into the frozen dataclasses of model.py, checking as it goes.

The dataclass fields are the schema: a missing key, an unknown key (a typo) or a value
of the wrong type is a BoardError naming the file and the dotted field, never a
KeyError deep in codegen. Checks that need more than a type (allowed values, sizes,
consistency) are in `check_board`.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any, Union

from edgekit.boards import model
from edgekit.errors import BoardError

_HINTS: dict[type, dict[str, Any]] = {}
_NOT_FROM_TOML = {"path"}  # Board fields the loader fills in, never the file


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, vars(model))
    return _HINTS[cls]


def build(cls: type, table: dict[str, Any], file: Path, prefix: str = "") -> Any:
    """Build dataclass `cls` from `table`; every key must be a field and vice versa."""
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in _NOT_FROM_TOML}
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise _error(file, prefix + unknown[0], f"unknown field (known: {', '.join(fields)})")
    values = {}
    for name, field in fields.items():
        where = prefix + name
        if name not in table:  # TOML has no null: an absent optional field is None
            if field.default is dataclasses.MISSING and not _optional(_hints(cls)[name]):
                raise _error(file, where, "missing")
            values[name] = None if field.default is dataclasses.MISSING else field.default
            continue
        values[name] = _convert(_hints(cls)[name], table[name], file, where)
    return cls(**values)


def _optional(hint: Any) -> bool:
    return type(None) in typing.get_args(hint)


def _convert(hint: Any, value: Any, file: Path, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):  # "X | None": absent means None, present means X
        (inner,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(inner, value, file, where)
    if origin is tuple:  # tuple[X, ...] from a TOML array
        if not isinstance(value, list):
            raise _error(file, where, f"must be an array, got {_type_name(value)}")
        (item_hint, _) = typing.get_args(hint)
        return tuple(_convert(item_hint, v, file, f"{where}[{i}]") for i, v in enumerate(value))
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        if not isinstance(value, dict):
            raise _error(file, where, f"must be a table, got {_type_name(value)}")
        return build(hint, value, file, prefix=where + ".")
    if hint is float:  # TOML writes 40 for 40.0; accept both, never a bool
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif isinstance(value, hint):
        return value
    raise _error(file, where, f"must be {_type_name_of(hint)}, got {_type_name(value)}")


def _type_name(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "an array", dict: "a table"}.get(type(value), type(value).__name__)


def _type_name_of(hint: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        hint, getattr(hint, "__name__", str(hint)))


def _error(file: Path, where: str, problem: str) -> BoardError:
    return BoardError(f"board file {file}: field '{where}' {problem}")


_VID_PID = re.compile(r"^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}$")


def check_board(board: model.Board, file: Path) -> None:
    """Value checks a type cannot express. Raises BoardError naming file and field."""

    def require(ok: bool, where: str, problem: str) -> None:
        if not ok:
            raise _error(file, where, problem)

    def one_of(value: str, allowed: tuple[str, ...], where: str) -> None:
        require(value in allowed, where, f"is {value!r}, must be one of: {', '.join(allowed)}")

    require(board.name == file.stem, "name", f"is {board.name!r} but the file is {file.name}")
    one_of(board.arch, model.ARCHES, "arch")
    one_of(board.kernel_variant, model.KERNEL_VARIANTS, "kernel_variant")
    one_of(board.upload, model.UPLOAD_METHODS, "upload")
    one_of(board.timer, model.TIMERS, "timer")
    one_of(board.target, model.TARGETS, "target")
    _check_target(board, require)
    for where in ("flash_bytes", "ram_bytes", "usable_ram_bytes", "arena_alignment"):
        require(getattr(board, where) > 0, where, "must be positive")
    require(board.usable_ram_bytes <= board.ram_bytes, "usable_ram_bytes",
            f"({board.usable_ram_bytes}) exceeds ram_bytes ({board.ram_bytes})")
    alignment = board.arena_alignment
    require(alignment & (alignment - 1) == 0, "arena_alignment", "must be a power of two")
    require(bool(board.source.strip()), "source", "must say where the facts come from")
    if board.memory is not None:
        _check_memory(board.memory, require)

    if board.is_host:
        require(board.cpu_mhz is None, "cpu_mhz", "must be absent for the host")
        require(board.toolchain == "host", "toolchain", "must be 'host' for the host board")
        return
    require(board.cpu_mhz is not None, "cpu_mhz", "missing (only the host board may omit it)")
    require(board.cpu_mhz is not None and board.cpu_mhz > 0, "cpu_mhz", "must be positive")
    require(board.toolchain != "host", "toolchain", "'host' is only for the host board")

    if board.qemu is not None:
        _check_qemu(board, board.qemu, require, one_of)
        return
    for section in ("power", "serial"):
        require(getattr(board, section) is not None, section, "missing (a real board needs it)")
    assert board.power is not None and board.serial is not None
    for where in ("active_mw", "idle_mw", "supply_v"):
        require(getattr(board.power, where) > 0, f"power.{where}", "must be positive")
    require(board.power.idle_mw < board.power.active_mw, "power.idle_mw",
            "must be below power.active_mw")
    require(board.serial.baud > 0, "serial.baud", "must be positive")
    require(len(board.serial.usb_vid_pid) > 0, "serial.usb_vid_pid", "must list at least one")
    for i, pair in enumerate(board.serial.usb_vid_pid):
        require(bool(_VID_PID.match(pair)), f"serial.usb_vid_pid[{i}]",
                f"is {pair!r}, must be VVVV:PPPP in hex")
    if board.flasher is not None:
        flasher = board.flasher
        require(board.upload in model.FLASHER_UPLOADS, "flasher",
                f"is read by the flashers of upload {', '.join(model.FLASHER_UPLOADS)} only")
        require(len(flasher.probe_usb_vid_pid) > 0, "flasher.probe_usb_vid_pid",
                "must list at least one")
        for field in ("probe_usb_vid_pid", "serial_usb_vid_pid"):
            for i, pair in enumerate(getattr(flasher, field)):
                require(bool(_VID_PID.match(pair)), f"flasher.{field}[{i}]",
                        f"is {pair!r}, must be VVVV:PPPP in hex")
        if board.upload == "openocd":
            for where in ("openocd_interface", "openocd_target"):
                require(getattr(flasher, where) is not None, f"flasher.{where}",
                        "missing (openocd needs it)")


def _check_memory(memory: model.Memory, require: Any) -> None:
    """[memory]: named sections, each once, and defaults that name them (edgekit export)."""
    names = [section.name for section in memory.sections]
    require(len(set(names)) == len(names), "memory.sections", "has a repeated name")
    for i, section in enumerate(memory.sections):
        require(section.kind in model.MEMORY_KINDS, f"memory.sections[{i}].kind",
                f"is {section.kind!r}, must be one of: {', '.join(model.MEMORY_KINDS)}")
        require(section.bytes > 0, f"memory.sections[{i}].bytes", "must be positive")
        require(_C_SECTION.match(section.section) is not None, f"memory.sections[{i}].section",
                "must be empty or a linker section name (letters, digits, . and _)")
    for where in ("arena", "weights"):
        name = getattr(memory, where)
        require(name is None or name in names, f"memory.{where}",
                f"names no [[memory.sections]] entry (have: {', '.join(names)})")
    arena = memory.section(memory.arena) if memory.arena else None
    require(arena is None or arena.kind == "ram", "memory.arena", "must name a 'ram' section")


_C_SECTION = re.compile(r"^(\.?[A-Za-z0-9_.]+)?$")


def _check_target(board: model.Board, require: Any) -> None:
    """The tables each target reads are there (docs/targets.md)."""
    target = board.target
    require((target == "host") == board.is_host, "target", "is 'host' for (only) the host board")
    require((target == "qemu") == (board.qemu is not None), "target",
            "is 'qemu' for (only) a board with a [qemu] table")
    # A bare-metal board may keep its [platformio] table: the Arduino build of it
    # (`edgekit build --framework arduino`).
    require(target != "platformio-arduino" or board.platformio is not None, "platformio",
            "is needed by target 'platformio-arduino'")
    require(target in ("platformio-arduino", "gcc-bare-metal", "stm32") or board.platformio is None,
            "platformio", "is only for targets 'platformio-arduino', 'gcc-bare-metal' and 'stm32'")
    if board.platformio is not None:
        require(board.platformio.framework == "arduino", "platformio.framework",
                "must be 'arduino' (target 'platformio-arduino')")
    needs_bsp = target in ("qemu", "gcc-bare-metal", "stm32")
    require((board.bsp is not None) == needs_bsp, "bsp",
            "names the firmware/bsp/ family of (only) targets 'qemu', 'gcc-bare-metal', 'stm32'")
    region_names = {region.name for region in board.regions or ()}
    require((target in ("gcc-bare-metal", "stm32")) == (board.regions is not None), "regions",
            "are the memory map of (only) targets 'gcc-bare-metal' and 'stm32'")
    if target == "gcc-bare-metal":
        require({"code", "ram"} <= region_names, "regions", "need regions named 'code' and 'ram'")
    require((target == "stm32") == (board.stm32 is not None), "stm32",
            "is the chip set-up of (only) target 'stm32'")
    require(board.emulation is None or target == "stm32", "emulation",
            "is for real boards of target 'stm32' whose chip QEMU models")
    if board.stm32 is not None:
        _check_stm32(board, board.stm32, region_names, require)


def _check_stm32(board: model.Board, chip: model.Stm32, region_names: set[str],
                 require: Any) -> None:
    require(board.bsp == "stm32", "bsp", "must be 'stm32' for target 'stm32'")
    require(chip.family in model.STM32_FAMILIES, "stm32.family",
            f"is {chip.family!r}, must be one of: {', '.join(model.STM32_FAMILIES)}")
    require(chip.emulated_timer in model.STM32_EMULATED_TIMERS, "stm32.emulated_timer",
            f"must be one of: {', '.join(model.STM32_EMULATED_TIMERS)}")
    for where in ("code_region", "ram_region"):
        require(getattr(chip, where) in region_names, f"stm32.{where}",
                f"names no [[regions]] entry (have: {', '.join(sorted(region_names))})")
    require(len(chip.arena_regions) > 0 and set(chip.arena_regions) <= region_names,
            "stm32.arena_regions", "must name [[regions]] entries")
    require(chip.code_region not in chip.arena_regions, "stm32.arena_regions",
            "cannot hold the flash region")
    for where in ("apb1_div", "apb2_div"):
        require(getattr(chip, where) in (1, 2, 4, 8, 16), f"stm32.{where}", "must be 1, 2, 4, 8 or 16")
    if chip.family == "l4":
        require(chip.pll_r in (2, 4, 6, 8), "stm32.pll_r", "must be 2, 4, 6 or 8 on the L4")
    else:
        for where in ("hse_hz", "pll_p", "pll_q", "pwr_vos"):
            require(getattr(chip, where) is not None, f"stm32.{where}", "missing (F4/F7)")
        require(chip.pll_p in (2, 4, 6, 8), "stm32.pll_p", "must be 2, 4, 6 or 8")
    require(chip.stack_bytes > 0, "stm32.stack_bytes", "must be positive")


def _check_qemu(board: model.Board, qemu: model.Qemu, require: Any, one_of: Any) -> None:
    require(board.upload == "qemu", "upload", "must be 'qemu' for an emulated board")
    one_of(qemu.uart, model.QEMU_UARTS, "qemu.uart")
    one_of(qemu.exit, model.QEMU_EXITS, "qemu.exit")
    require((qemu.exit == "sifive-test") == (qemu.exit_base is not None), "qemu.exit_base",
            "is needed by (and only by) the sifive-test exit")
    require(qemu.instructions_per_tick > 0, "qemu.instructions_per_tick", "must be positive")
    names = [region.name for region in qemu.regions]
    require(len(set(names)) == len(names), "qemu.regions", "has a repeated name")
    for needed in ("code", "ram"):
        require(needed in names, "qemu.regions", f"needs a region named {needed!r}")
    for i, region in enumerate(qemu.regions):
        require(region.size > 0, f"qemu.regions[{i}].size", "must be positive")
        require(region.base >= 0 and region.end <= 1 << 32, f"qemu.regions[{i}]",
                "must lie in the 32-bit address space")
    code, ram = qemu.code, qemu.ram
    require(code.end <= ram.base or ram.end <= code.base, "qemu.regions", "code and ram overlap")
    require(code.base <= qemu.vtor < code.end, "qemu.vtor", "must lie in the code region")
