"""STM32 boards (firmware/bsp/stm32/): the gcc bare-metal build with the chip's memory map,
its clock tree and UART in the board header, per-region sizes of the linked ELF, and the
same ELF in QEMU (`edgekit flash --emulate`) for the chips QEMU emulates.

Every fact comes from the board's TOML: [[regions]] is the memory map, [stm32] the clock
tree, the UART and which region holds what, [qemu] how to emulate the chip.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

from edgekit.boards.model import Board, MemoryRegion, Stm32
from edgekit.errors import BoardError, EdgekitError
from edgekit.targets import gcc
from edgekit.targets.base import Flashed
from edgekit.targets.bsp import BspFamily, bsp_family, write_linker_script
from edgekit.targets.gcc_bare_metal import GccBareMetalTarget
from edgekit.targets.qemu_process import (
    QemuMachine,
    read_background,
    start_background,
    stop_background,
)
from edgekit.targets.regions import RegionOverflow, RegionUse, elf_sections, region_usage

# The clock-tree source of each chip family (the F7's RCC is the F4's, plus over-drive).
RCC_FILES = {"l4": "stm32/ek_stm32_rcc_l4.c", "f4": "stm32/ek_stm32_rcc_f4.c",
             "f7": "stm32/ek_stm32_rcc_f4.c"}
EMULATED_TIMERS = ("systick", "tim2")
_PIN = re.compile(r"^P([A-K])(\d{1,2})$")


def chip(board: Board) -> Stm32:
    if board.stm32 is None:
        raise BoardError(f"board {board.name!r}: BSP 'stm32' needs an [stm32] table")
    return board.stm32


def parse_pin(board: Board, pin: str) -> tuple[int, int]:
    """'PB6' -> (1, 6): GPIO port index (A = 0) and pin number."""
    m = _PIN.match(pin)
    if m is None or int(m.group(2)) > 15:
        raise BoardError(f"board {board.name!r}: pin {pin!r} is not P<A-K><0-15>")
    return ord(m.group(1)) - ord("A"), int(m.group(2))


def emulated_units_per_tick(board: Board) -> tuple[int, int]:
    """Instructions per tick of the timer the BSP falls back to where DWT does not count.

    From the [emulation] table for the chips QEMU has; for the others (never emulated) SysTick
    on the rated core clock, one instruction per virtual ns as on the QEMU boards."""
    value = (Fraction(board.emulation.instructions_per_tick) if board.emulation is not None
             else Fraction(1000, board.cpu_mhz or 1))
    value = value.limit_denominator(1000)
    return value.numerator, value.denominator


def regions(board: Board) -> dict[str, MemoryRegion]:
    return {region.name: region for region in board.regions or ()}


def emulator(board: Board) -> QemuMachine:
    """QEMU's model of the board's chip ([emulation]); BoardError when there is none."""
    qemu = board.emulation
    if qemu is None:
        raise BoardError(f"{board.name} cannot be emulated: QEMU has no model of its chip "
                         "(emulated STM32 boards: disco_l475vg_iot01a, netduinoplus2)")
    return QemuMachine(binary=qemu.binary, machine=qemu.machine, extra_args=tuple(qemu.args))


class Stm32Target(GccBareMetalTarget):
    """gcc bare-metal on an STM32, with the arena in the fastest region it fits."""

    kind = "stm32"

    def family(self) -> BspFamily:
        base = bsp_family("stm32")
        return dataclasses.replace(base, files=(*base.files, RCC_FILES[chip(self.board).family]))

    def write_files(self, project: Path, defines: Mapping[str, str]) -> list[Path]:
        if "EK_POWER_SENSOR" in defines:
            raise BoardError(f"{self.board.name}: the bare-metal STM32 BSP has no I2C driver for"
                             " a power sensor yet; build with --framework arduino")
        return super().write_files(project, defines)

    def memory(self) -> tuple[MemoryRegion, MemoryRegion]:
        spec, named = chip(self.board), regions(self.board)
        return named[spec.code_region], named[spec.ram_region]

    def header_context(self) -> dict[str, Any]:
        board, spec = self.board, chip(self.board)
        return {"chip": spec, "tx": parse_pin(board, spec.uart_tx),
                "rx": parse_pin(board, spec.uart_rx), "emu_timer": spec.emulated_timer,
                "emu_units": emulated_units_per_tick(board),
                "baud": board.serial.baud if board.serial is not None else 115200,
                "ts": parse_pin(board, spec.timestamp_pin) if spec.timestamp_pin else None}

    def linker_context(self, arena: str | None = None) -> dict[str, Any]:
        spec, named = chip(self.board), regions(self.board)
        code, ram = self.memory()
        return {"regions": list(self.board.regions or ()), "code": code, "ram": ram,
                "arena": named[arena or spec.arena_regions[0]], "stack_bytes": spec.stack_bytes}

    def build_elf(self, project: Path, *, jobs: int = 2, timeout_s: float = 300.0) -> Path:
        """Link with the arena in each of [stm32].arena_regions in turn; the first that fits.

        When none does, RegionOverflow says which regions lack how many bytes, measured
        from an ELF linked with ld's --noinhibit-exec."""
        overflow: RegionOverflow | None = None
        for arena in chip(self.board).arena_regions:
            write_linker_script(self.board, self.family(), project / "ld",
                                self.linker_context(arena))
            try:
                return gcc.compile_firmware(project, self.board.name, jobs=jobs,
                                            timeout_s=timeout_s)
            except EdgekitError as exc:
                if not str(exc).startswith("linking"):
                    raise  # a compiler error, not a memory map that is too small
                overflow = self._measure_overflow(project, arena, jobs, timeout_s)
                if overflow is None:
                    raise
                if arena not in overflow.over:
                    break  # another region is full: moving the arena does not help
        assert overflow is not None
        raise overflow

    def _measure_overflow(self, project: Path, arena: str, jobs: int, timeout_s: float
                          ) -> RegionOverflow | None:
        """The failed link again, kept (--noinhibit-exec) to measure; None if it fits. The
        ELF goes beside the real one, so that nothing takes it for a flashable image."""
        elf = gcc.compile_firmware(project, self.board.name, jobs=jobs, timeout_s=timeout_s,
                                   out_dir=project / gcc.BUILD_DIR / "does-not-fit",
                                   extra_ldflags=["-Wl,--noinhibit-exec"])
        uses = self.region_sizes(elf, arena)
        return RegionOverflow(self.board.name, uses, elf) if any(u.over for u in uses) else None

    def flash_region(self) -> str:
        return chip(self.board).code_region

    def region_sizes(self, elf: Path, arena: str | None = None) -> list[RegionUse]:
        """Bytes per [[regions]] entry; `arena`: the region the arena was linked into
        (known to the linker script, needed where an overflow put it past its end)."""
        spec = chip(self.board)
        placement = {".data": spec.ram_region, ".bss": spec.ram_region}
        if arena is not None:
            placement[".ek_arena"] = arena
        return region_usage(elf_sections(elf, self.board.tool("objdump")),
                            list(self.board.regions or ()), stack_region=spec.ram_region,
                            stack_bytes=spec.stack_bytes, placement=placement)

    # --- the same image in QEMU ------------------------------------------------------

    def emulate(self, project: Path) -> Flashed:
        """Start the project's ELF (built for the silicon) in QEMU's model of the chip."""
        machine = emulator(self.board)
        elf = self.firmware(project)
        state = start_background(machine, elf, project, board=self.board.name)
        return Flashed(port=str(state["url"]), link_url=str(state["url"]), elf=elf,
                       pid=int(state["pid"]))

    def stop(self, project: Path) -> bool:
        return stop_background(project)

    def open_link(self, project: Path) -> AbstractContextManager[str]:
        return self._emulated_or_real(project)

    @contextmanager
    def _emulated_or_real(self, project: Path) -> Iterator[str]:
        """The QEMU that `flash --emulate` left running, else the board on its USB port."""
        state = read_background(project)
        if state is not None:
            yield str(state["url"])
            return
        with super().open_link(project) as port:
            yield port

