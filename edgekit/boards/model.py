"""The typed shape of a board: what codegen, device and planner code read.

The field names below are the TOML keys (the loader checks every key against them),
so a TOML file and this module describe the same thing once. Derived values are
properties, never stored twice.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from edgekit.kernels.variants import VARIANT_NAMES, kernel_variant

# Allowed values of the enumerated fields. Extending one is a code change on purpose:
# codegen and the firmware templates must know what each value means.
ARCHES = (
    "cortex-m0plus",
    "cortex-m4",
    "cortex-m7",
    "cortex-m33",
    "cortex-m55",
    "xtensa-lx6",
    "xtensa-lx7",
    "riscv32",
    "host",
)
KERNEL_VARIANTS = VARIANT_NAMES  # edgekit/kernels/variants.py: only variants with kernels
# How edgekit builds, flashes and reaches the board: one module of edgekit/targets/ each
# (docs/targets.md).
TARGETS = ("host", "qemu", "gcc-bare-metal", "stm32", "platformio-arduino")
# How the firmware counts time: dwt = DWT CYCCNT; systick = SysTick (24-bit);
# rp2040-timer = the RP2040's 64-bit TIMER at 1 MHz (micros() on its Arduino cores);
# ccount = Xtensa CCOUNT; mcycle = RISC-V mcycle/minstret CSRs; mpccr = ESP32-C3's
# machine performance counter CSR 0x7E2 (it has no standard mcycle);
# cmsdk-timer = CMSDK APB timer0; fpgaio-counter = MPS2/MPS3 FPGAIO COUNTER register;
# clock = the host's clock_gettime (host builds only).
TIMERS = ("dwt", "systick", "rp2040-timer", "ccount", "mcycle", "mpccr", "cmsdk-timer", "fpgaio-counter", "clock")
# PlatformIO upload protocols (plus qemu: start the ELF in QEMU; local: run on the host).
UPLOAD_METHODS = ("esptool", "stlink", "jlink", "picotool", "teensy-cli", "mbed", "sam-ba", "qemu",
                  "local", "openocd", "bossac")
QEMU_EXITS = ("semihosting", "sifive-test")
QEMU_UARTS = ("cmsdk-apb-uart", "ns16550a", "stm32-usart")
STM32_FAMILIES = ("l4", "f4", "f7")  # firmware/bsp/stm32/ek_stm32_rcc_<l4|f4>.c
STM32_EMULATED_TIMERS = ("systick", "tim2")


@dataclass(frozen=True)
class PlatformIO:
    """The registry ids a user's PlatformIO needs: `platform`, `board`, `framework`."""

    platform: str
    board: str
    framework: str
    # Extra -D for this framework's build ("EK_WEIGHTS_IN_PROGMEM=1").
    defines: tuple[str, ...] = ()
    # A linker script of firmware/bsp/arduino/ that replaces the board's (board_build.ldscript).
    ldscript: str | None = None
    # The framework's own flash and RAM (its core, Serial, libc) in an otherwise empty
    # sketch: edgekit cannot build the framework here, so Arduino sizes are an estimate
    # of weights + kernels + this baseline, and baseline_source says where it comes from.
    baseline_flash_bytes: int | None = None
    baseline_ram_bytes: int | None = None
    baseline_source: str | None = None


@dataclass(frozen=True)
class Power:
    """Datasheet power model: mW while computing at cpu_mhz, and mW while idle."""

    active_mw: float
    idle_mw: float
    supply_v: float
    idle_mode: str  # which datasheet mode idle_mw is (e.g. "Stop 2", "Light-sleep")
    source: str  # datasheet name + table
    checked: bool  # true once compared with the current datasheet revision


# `upload` values with a flasher of their own (edgekit/targets/flashers/<upload>.py).
FLASHER_UPLOADS = ("openocd", "picotool", "teensy-cli", "bossac")


@dataclass(frozen=True)
class Flasher:
    """What the board's flasher (its `upload`) looks for: the USB ids of the probe (or
    boot loader), what the tool must report about the chip, the OpenOCD scripts."""

    probe_usb_vid_pid: tuple[str, ...]  # debug probe or ROM/boot loader, "VVVV:PPPP"
    chip: str | None = None  # text the tool prints for the right chip ("nRF52840")
    openocd_interface: str | None = None  # "interface/jlink.cfg"
    openocd_target: str | None = None  # "target/nrf52.cfg"
    # The bare-metal firmware's serial port when it is not the board's [serial] one: a
    # USB-serial adapter on the UART pins of boards whose own USB is the chip's.
    serial_usb_vid_pid: tuple[str, ...] = ()
    source: str = ""  # where the ids and names come from


@dataclass(frozen=True)
class Serial:
    """Serial link: baud rate and the USB VID:PID pairs used to find the port."""

    baud: int
    usb_vid_pid: tuple[str, ...]  # "0483:374B" (hex, as lsusb prints them)

    @property
    def usb_ids(self) -> tuple[tuple[int, int], ...]:
        """(vid, pid) as integers, the form pyserial's list_ports reports."""
        return tuple((int(v, 16), int(p, 16)) for v, p in (s.split(":") for s in self.usb_vid_pid))


@dataclass(frozen=True)
class MemoryRegion:
    name: str
    base: int
    size: int

    @property
    def end(self) -> int:
        return self.base + self.size


@dataclass(frozen=True)
class Qemu:
    """How to run the board in QEMU (facts from ../shared/docs/EMULATION.md, checked there)."""

    binary: str  # qemu-system-arm / qemu-system-riscv32
    machine: str  # -M value
    args: tuple[str, ...]  # extra arguments (icount, semihosting, bios)
    uart: str  # one of QEMU_UARTS
    uart_base: int
    timer_base: int | None  # memory-mapped timer register base; None for CSR timers
    instructions_per_tick: float  # executed instructions per timer tick under -icount
    vtor: int  # where the vector table must be linked (Arm); reset PC (RISC-V)
    exit: str  # one of QEMU_EXITS: how the guest ends QEMU
    exit_base: int | None  # MMIO address of the exit device (sifive-test), else None
    regions: tuple[MemoryRegion, ...] = ()  # target qemu: must include "code" and "ram"

    def region(self, name: str) -> MemoryRegion:
        for region in self.regions:
            if region.name == name:
                return region
        raise KeyError(name)

    @property
    def code(self) -> MemoryRegion:
        return self.region("code")

    @property
    def ram(self) -> MemoryRegion:
        return self.region("ram")


@dataclass(frozen=True)
class Stm32:
    """An STM32 board's chip set-up for firmware/bsp/stm32/ (reference manuals RM0351,
    RM0432, RM0090, RM0390, RM0385): clock tree, the debug probe's UART, which memory
    region holds what."""

    family: str  # one of STM32_FAMILIES
    pll_m: int  # PLL input divider
    pll_n: int  # VCO multiplier
    flash_wait_states: int  # FLASH_ACR LATENCY at the rated clock
    apb1_div: int  # APB1 prescaler (1, 2, 4, 8, 16)
    apb2_div: int
    uart: str  # USART1, USART2 or LPUART1 (the ST-LINK virtual COM port)
    uart_tx: str  # "PB6"
    uart_rx: str
    uart_af: int  # GPIO alternate function of both pins
    code_region: str  # [[regions]] name: vectors, code, weights, the .data image
    ram_region: str  # .data, .bss, heap and stack
    arena_regions: tuple[str, ...]  # where the tensor arena may go, fastest first
    stack_bytes: int  # the least stack the linker leaves (ASSERT)
    emulated_timer: str  # one of STM32_EMULATED_TIMERS: the tick source where DWT does not count
    pll_r: int | None = None  # L4: SYSCLK divider; F446: PLLR
    pll_p: int | None = None  # F4/F7: SYSCLK divider
    pll_q: int | None = None  # F4/F7: 48 MHz domain divider
    boost: bool = False  # L4+: Range 1 boost (above 80 MHz)
    vddio2: bool = False  # L4+: port G is powered from VDDIO2 (PWR_CR2 IOSV)
    hse_hz: int | None = None  # F4/F7: HSE crystal or bypass clock
    # MLPerf Tiny energy mode: the GPIO the EEMBC energy monitor watches for timestamps
    # (the Arduino header's D7, as the reference submissions use it); None: no energy mode.
    timestamp_pin: str | None = None
    hse_bypass: bool = False  # HSE from an external clock (the ST-LINK's MCO)
    pwr_vos: int | None = None  # F4/F7: PWR_CR VOS bits for scale 1
    overdrive: bool = False  # F446/F7: over-drive for 180/216 MHz


MEMORY_KINDS = ("ram", "flash")


@dataclass(frozen=True)
class MemorySection:
    """A linker section an exported model may put its arena or weights in ([memory] of the
    board TOML; `edgekit export --arena-section/--weights-section NAME`)."""

    name: str  # what the options name: "sram", "dtcm", "psram", "flash"
    section: str  # the input section of the C attribute: ".bss.ek_sram"; "" = the default one
    bytes: int  # what edgekit's data may take there
    kind: str  # one of MEMORY_KINDS: an arena only goes to "ram"
    speed: int = 0  # access speed rank, 0 fastest: the region split puts the hot tensors first


@dataclass(frozen=True)
class Memory:
    sections: tuple[MemorySection, ...]
    arena: str | None = None  # default --arena-section
    weights: str | None = None  # default --weights-section

    def section(self, name: str) -> MemorySection | None:
        for section in self.sections:
            if section.name == name:
                return section
        return None


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    arch: str  # one of ARCHES
    cpu_mhz: int | None  # None only for `host`
    flash_bytes: int  # flash the firmware image may use (emulated: the code region)
    ram_bytes: int  # RAM of the chip (emulated: the ram region)
    usable_ram_bytes: int  # RAM left for the tensor arena after the firmware's own needs
    kernel_variant: str  # one of KERNEL_VARIANTS
    arena_alignment: int  # bytes, power of two
    upload: str  # one of UPLOAD_METHODS
    timer: str  # one of TIMERS
    toolchain: str  # GCC triplet prefix ("arm-none-eabi") or "host" for the system cc
    cflags: tuple[str, ...]  # CPU flags for that compiler (-mcpu=..., -mfpu=...)
    source: str  # where the board facts come from
    platformio: PlatformIO | None = None  # real boards
    power: Power | None = None  # real boards
    serial: Serial | None = None  # real boards
    qemu: Qemu | None = None  # emulated boards
    target: str = ""  # one of TARGETS (required: the loader rejects a file without it)
    bsp: str | None = None  # edgekit's own BSP family, firmware/bsp/<bsp>/ (qemu, gcc-bare-metal)
    # "NAME=VALUE" macros of ek_bsp_board.h that the BSP family needs from this board
    # (gcc-bare-metal: the UART pins of the nRF52 family).
    bsp_defines: tuple[str, ...] = ()
    regions: tuple[MemoryRegion, ...] | None = None  # gcc-bare-metal: "code" and "ram" to link into
    stm32: Stm32 | None = None  # target stm32: the chip's set-up (firmware/bsp/stm32/)
    emulation: Qemu | None = None  # a real board whose chip QEMU models: `flash --emulate`
    flasher: Flasher | None = None  # gcc-bare-metal: the probe and chip its flasher expects
    memory: Memory | None = None  # sections an exported model may use (edgekit export)
    path: Path | None = None  # the TOML file it was read from (not a TOML key)

    @property
    def emulated(self) -> bool:
        return self.qemu is not None

    @property
    def is_host(self) -> bool:
        return self.arch == "host"

    @property
    def kind(self) -> str:
        """One of: host, emulated, real."""
        return "host" if self.is_host else "emulated" if self.emulated else "real"

    @property
    def has_dsp(self) -> bool:
        """Arm DSP extension (SMLAD, SXTB16, SSAT) kernels apply."""
        return "__ARM_FEATURE_DSP" in kernel_variant(self.kernel_variant).isa_features

    @property
    def cpu_hz(self) -> int | None:
        return None if self.cpu_mhz is None else self.cpu_mhz * 1_000_000

    def tool(self, name: str) -> str:
        """Name of a toolchain program: tool("gcc") -> "arm-none-eabi-gcc" (host: "cc")."""
        if self.toolchain == "host":
            return "cc" if name == "gcc" else name
        return f"{self.toolchain}-{name}"

    @property
    def cc(self) -> str:
        return self.tool("gcc")

    def to_dict(self) -> dict[str, Any]:
        """Every field as plain JSON types, plus the derived flags scripts filter on."""
        data = asdict(self)
        data["path"] = None if self.path is None else str(self.path)
        data.update(kind=self.kind, emulated=self.emulated, has_dsp=self.has_dsp,
                    cc=self.cc)
        return _jsonable(data)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value
