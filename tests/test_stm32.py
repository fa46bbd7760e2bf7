"""The STM32 bare-metal BSP (firmware/bsp/stm32/): every STM32 board links KWS and VWW with
per-region sizes, and the image built for the two chips QEMU emulates runs there:
build -> flash --emulate -> validate (bit-exact) -> profile."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.boards import load_board
from edgekit.build import build
from edgekit.errors import EdgekitError
from edgekit.targets import target_for
from edgekit.targets.qemu_process import QemuProcess
from edgekit.targets.regions import RegionOverflow
from edgekit.targets.stm32 import emulator, parse_pin

STM32_BOARDS = ["nucleo_l4r5zi", "disco_l475vg_iot01a", "nucleo_f446re", "netduinoplus2",
                "disco_f746ng"]
EMULATED_CHIPS = ["disco_l475vg_iot01a", "netduinoplus2"]
PROBE = Path(__file__).parent / "firmware" / "bsp_probe.c"
TIMEOUT_S = 30


def _edgekit(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("model", ["kws", "vww"])
@pytest.mark.parametrize("board_name", STM32_BOARDS)
def test_links_with_sizes_per_region(board_name, model, mlperf_models, tmp_path):
    board = load_board(board_name)
    report = build(mlperf_models[model], board_name, tmp_path).report
    assert report["size_source"] == "elf" and report["fits"]
    regions = {r["name"]: r for r in report["regions"]}
    assert list(regions) == [r.name for r in board.regions]
    spec = board.stm32
    # Weights and code in flash; .data/.bss and the stack in the RAM region; the arena in
    # the first region of arena_regions it fits (all of these models fit the first).
    flash = regions[spec.code_region]
    assert flash["sections"][".rodata"] >= report["weights_bytes"]
    assert flash["used"] == report["flash_bytes"] <= flash["size"]
    arena = regions[spec.arena_regions[0]]
    assert arena["sections"][".ek_arena"] >= report["arena_bytes"]
    assert regions[spec.ram_region]["stack"] == spec.stack_bytes
    assert all(r["used"] <= r["size"] for r in regions.values())
    assert report["arena_region"] == spec.arena_regions[0]


@pytest.mark.qemu
@pytest.mark.parametrize("board_name", EMULATED_CHIPS)
def test_probe_on_the_emulated_chip(board_name, tmp_path):
    """The BSP on QEMU's model of the chip: startup, UART both ways, the fallback timer
    (DWT reads 0 there) reported as emulated with the TOML's instructions per tick."""
    board = load_board(board_name)
    target = target_for(board)
    target.write_files(tmp_path, {})
    (tmp_path / "src" / "main.c").write_text(PROBE.read_text())
    elf = target.build_elf(tmp_path)
    with QemuProcess(emulator(board), elf) as qemu:
        port = qemu.connect(TIMEOUT_S)
        try:
            text = port.read_until(b"ready\n").decode()
            assert text.endswith("ready\n"), text
            report = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
            payload = bytes(b for b in range(256) if b not in b"qF")
            port.write(payload)
            assert port.read(len(payload)) == payload
            port.write(b"q\x07")
            assert port.read(4) == b"bye\n"
        finally:
            port.close()
        assert qemu.wait(TIMEOUT_S) == 7
    assert report["board"] == board_name
    assert (report["data_ok"], report["bss_ok"], report["fpu"], report["timeout_ok"]) == ("1", "1", "9", "1")
    assert report["emulated"] == "1" and int(report["cpu_hz"]) == 1_000_000_000
    per_tick = int(report["num"]) / int(report["den"])
    assert per_tick == board.emulation.instructions_per_tick
    # The loop is 2 x 200000 instructions; SysTick's wrap handler (a few instructions every
    # 256 ticks) adds at most 0.5 %.
    instructions = int(report["loop_ticks"]) * per_tick
    assert 400_000 <= instructions <= 400_000 * 1.005 + 2 * per_tick


def test_board_header_has_the_chip_facts(tmp_path):
    """NUCLEO-L4R5ZI: 120 MHz needs Range 1 boost; LPUART1 on PG7/PG8 needs VDDIO2."""
    target = target_for(load_board("nucleo_l4r5zi"))
    target.write_files(tmp_path, {})
    header = (tmp_path / "src" / "bsp" / "ek_bsp_board.h").read_text()
    for line in ("#define EK_STM32_FAMILY_L4 1", "#define EK_STM32_L4_BOOST 1",
                 "#define EK_STM32_VDDIO2 1", "#define EK_STM32_UART_LPUART1 1",
                 "#define EK_STM32_UART_TX_PORT 6", "#define EK_STM32_UART_TX_PIN 7",
                 "#define EK_STM32_UART_RX_PIN 8", "#define EK_STM32_UART_AF 8",
                 "#define EK_STM32_PLL_N 60", "#define EK_STM32_FLASH_WS 5"):
        assert line in header, line
    link = (tmp_path / "ld" / "link.ld").read_text()
    assert 'REGION_ALIAS("REGION_ARENA", SRAM1);' in link
    assert "SRAM3 (rwx) : ORIGIN = 0x20040000, LENGTH = 0x60000" in link


@pytest.mark.qemu
def test_arena_moves_to_the_next_region_or_names_the_full_one(mlperf_models, tmp_path):
    """An F446 whose SRAM1 were 16 KB: KWS's 11.8 KB arena moves to SRAM2 (SRAM1 keeps
    .bss and the 8 KB stack); VWW's 40 KB arena fits nowhere, and the error names the
    last region tried and the bytes."""
    board = load_board("nucleo_f446re")
    small = tuple(dataclasses.replace(r, size=0x4000) if r.name == "SRAM1" else r
                  for r in board.regions)
    target = target_for(dataclasses.replace(board, regions=small))
    kws = build(mlperf_models["kws"], "nucleo_f446re", tmp_path / "kws", compile_elf=False)
    uses = {u.name: u for u in target.region_sizes(target.build_elf(kws.out_dir))}
    assert uses["SRAM2"].sections[".ek_arena"] >= kws.report["arena_bytes"]
    assert ".ek_arena" not in uses["SRAM1"].sections and uses["SRAM1"].stack == 8192
    vww = build(mlperf_models["vww"], "nucleo_f446re", tmp_path / "vww", compile_elf=False)
    with pytest.raises(RegionOverflow) as info:
        target.build_elf(vww.out_dir)
    over = info.value.over
    assert set(over) == {"SRAM2"} and over["SRAM2"] >= vww.report["arena_bytes"] - 0x4000
    assert f"SRAM2 by {over['SRAM2']:,} bytes" in str(info.value)


def test_does_not_fit_on_the_cli_exits_1(tmp_path):
    """A model whose weights pass the F446's 512 KB of flash: exit 1, FLASH and the bytes."""
    from tests.test_build import _big_fc_model

    model = _big_fc_model(tmp_path / "big.tflite", units=512, depth=1536)  # 768 KB
    result = _edgekit("build", str(model), "--board", "nucleo_f446re", "-o", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert not report["fits"] and report["size_source"] == "elf"
    flash = next(r for r in report["regions"] if r["name"] == "FLASH")
    assert "FLASH by" in line and f"{flash['used'] - flash['size']:,} bytes" in line


def test_arduino_project_stays_available(mlperf_models, tmp_path):
    result = build(mlperf_models["kws"], "nucleo_f446re", tmp_path, framework="arduino")
    ini = (tmp_path / "platformio.ini").read_text()
    assert "framework = arduino" in ini and "platform = ststm32" in ini
    assert result.report["size_source"] == "estimate"


@pytest.mark.slow
@pytest.mark.qemu
@pytest.mark.parametrize("board_name", EMULATED_CHIPS)
def test_build_flash_emulate_validate_profile(board_name, mlperf_models, tmp_path):
    """The ELF built for the silicon, run in QEMU's model of the chip, end to end."""
    out = tmp_path / "kws"
    result = _edgekit("build", str(mlperf_models["kws"]), "--board", board_name, "-o", str(out))
    assert result.returncode == 0, result.stderr
    elf = json.loads((out / "report.json").read_text())["elf"]
    flashed = _edgekit("flash", str(out), "--emulate", "--json", timeout=120)
    assert flashed.returncode == 0, flashed.stderr
    try:
        state = json.loads(flashed.stdout)
        assert state["kind"] == "emulated" and Path(state["elf"]) == Path(elf)
        valid = _edgekit("validate", str(out), "--samples", "3", "--json", timeout=300)
        assert valid.returncode == 0, valid.stderr
        report = json.loads(valid.stdout)
        assert report["bit_exact"] == report["samples"] == 3
        prof = _edgekit("profile", str(out), "--runs", "2", "--json-file", str(out / "p.json"),
                        timeout=300)
        assert prof.returncode == 0, prof.stderr
        profile = json.loads((out / "p.json").read_text())
        assert profile["emulated"] and profile["unit"] == "instructions"
        counts = [layer["counts"] for layer in profile["layers"]]
        assert len(counts) == 13 and all(c > 0 for c in counts[:10])
        # KWS runs ~3.59 M instructions (qemu-cortex-m4: 3,590,160); the L475's SysTick
        # wrap handler adds < 0.5 %.
        assert 3.58e6 < profile["total_counts"] < 3.61e6
    finally:
        _edgekit("flash", str(out), "--stop", timeout=60)


@pytest.mark.slow
def test_platformio_builds_the_same_firmware_offline(mlperf_models, tmp_path):
    """`pio run` through the project's local platform gives the same per-region sizes."""
    from edgekit.targets.platformio import pio_env, run_platformio

    result = build(mlperf_models["kws"], "disco_l475vg_iot01a", tmp_path)
    run_platformio(tmp_path, env=pio_env(tmp_path / ".pio-core"))
    elf = tmp_path / ".pio" / "build" / "disco_l475vg_iot01a" / "firmware.elf"
    target = target_for(load_board("disco_l475vg_iot01a"))
    assert [u.to_json() for u in target.region_sizes(elf)] == result.report["regions"]


def test_an_unknown_pin_is_a_board_error():
    board = load_board("nucleo_f446re")
    assert parse_pin(board, "PG8") == (6, 8)
    with pytest.raises(EdgekitError, match="P<A-K><0-15>"):
        parse_pin(board, "PZ99")
