"""edgekit/targets/: every board has one, and each kind of target writes its files and
builds (host and QEMU boards end to end: tests/test_bsp.py, test_project.py, test_build.py).

The gcc-bare-metal target has no board in the catalog yet; here it builds a real board
family defined by the test (an MPS2 AN386 described as bare metal, without [qemu]) and
the image runs in QEMU's mps2-an386.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import jinja2
import pytest

import edgekit.targets.bsp as bsp_module
from edgekit.boards import list_boards, load_board
from edgekit.boards.catalog import read_board
from edgekit.codegen.render import _environment
from edgekit.errors import BoardError
from edgekit.kernels.variants import VARIANTS
from edgekit.resources import data_dir
from edgekit.targets import TARGET_CLASSES, GccBareMetalTarget, target_for
from edgekit.targets.bsp import HEADER
from edgekit.targets.gcc import BUILD_FILE
from edgekit.targets.qemu_process import QemuMachine, QemuProcess

PROBE = Path(__file__).parent / "firmware" / "bsp_probe.c"
BOARDS = list_boards()
# One catalog board of each target kind the catalog uses (the first by name).
ONE_PER_KIND = sorted({b.target: b.name for b in reversed(BOARDS)}.values())


def test_every_board_has_its_target() -> None:
    for board in BOARDS:
        target = target_for(board)
        assert target.kind == board.target and target.board is board
    assert set(TARGET_CLASSES) >= {b.target for b in BOARDS}


def test_only_variants_with_kernels_are_offered() -> None:
    """A board's variant is in the table, and every define it sets is read by some C file."""
    c_text = "\n".join(p.read_text() for p in data_dir("firmware").rglob("*.[ch]"))
    for variant in VARIANTS.values():
        for name in variant.defines:
            assert re.search(rf"defined\({name}\)", c_text), f"no C reads {name}"
    assert {b.kernel_variant for b in BOARDS} <= set(VARIANTS)


@pytest.mark.parametrize("board_name", ONE_PER_KIND)
def test_target_writes_its_files(board_name: str, tmp_path: Path) -> None:
    board = load_board(board_name)
    target = target_for(board)
    written = target.write_files(tmp_path, {"EK_EXTRA": "7"})
    assert all(p.exists() for p in written)
    header = (tmp_path / "src" / "bsp" / HEADER).read_text()
    assert f'#define EK_BSP_BOARD_NAME "{board.name}"' in header
    assert (tmp_path / "src" / "bsp" / "ek_bsp.h").is_file()
    ini = (tmp_path / "platformio.ini").read_text()
    if board.target == "platformio-arduino":
        assert board.platformio is not None and f"platform = {board.platformio.platform}" in ini
        assert "-DEK_EXTRA=7" in ini and not (tmp_path / BUILD_FILE).exists()
        assert not target.can_build()
        with pytest.raises(BoardError, match="vendor tool"):
            target.build_elf(tmp_path)
        return
    desc = json.loads((tmp_path / BUILD_FILE).read_text())
    assert desc["board"] == board.name and desc["defines"]["EK_EXTRA"] == "7"
    assert "platform = ./platform" in ini and (tmp_path / "platform" / "platform.json").is_file()
    assert (desc["qemu"] is not None) == (board.target == "qemu")
    if desc["ldscript"]:
        assert (tmp_path / desc["ldscript"]).is_file()


@pytest.mark.parametrize("board_name", [n for n in ONE_PER_KIND
                                        if load_board(n).target != "platformio-arduino"])
def test_target_builds_the_probe(board_name: str, tmp_path: Path) -> None:
    board = load_board(board_name)
    target = target_for(board)
    assert target.can_build(), f"{board.cc} missing: run `make toolchain`"
    target.write_files(tmp_path, {})
    (tmp_path / "src" / "main.c").write_text(PROBE.read_text())
    elf = target.firmware(tmp_path)
    assert elf.is_file() and target.elf_size(elf)["text"] > 0
    assert target.firmware(tmp_path) == elf  # fresh: not rebuilt


# --- gcc-bare-metal: a board family the test defines -----------------------------

FAMILY_HEADER = """{% extends "bsp/ek_bsp_board.h.j2" %}
{% block macros -%}
#define EK_BSP_EMULATED 0
#define EK_BSP_CPU_HZ {{ board.cpu_hz }}u
#define EK_BSP_TICK_HZ 25000000u
#define EK_BSP_TICK_UNIT "cycles"
#define EK_BSP_UNITS_PER_TICK_NUM 40u
#define EK_BSP_UNITS_PER_TICK_DEN 1u
#define EK_BSP_UART_BASE 0x40004000u
#define EK_BSP_CMSDK_TIMER_BASE 0x40000000u
{% endblock %}
"""
FAMILY_MANIFEST = """files = ["common/ek_bsp_consts.c", "common/ek_bsp_getc.c", "common/ek_bsp_poll.h",
         "cmsdk/ek_bsp_cmsdk.c", "cortexm/ek_cortexm_startup.c"]
header = "bsp/testfamily.h.j2"
linker = "bsp/cortexm_link.ld.j2"
linker_files = ["cortexm/ek_cortexm_sections.ld"]
"""


@pytest.fixture
def bare_metal_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """boards/testboard.toml of target gcc-bare-metal with its own BSP family folder and
    header template (found through the same places edgekit looks)."""
    root = tmp_path / "bsp"
    shutil.copytree(data_dir("firmware") / "bsp", root)
    (root / "testfamily").mkdir()
    (root / "testfamily" / "bsp.toml").write_text(FAMILY_MANIFEST)
    monkeypatch.setattr(bsp_module, "bsp_root", lambda: root)
    templates = tmp_path / "templates"
    (templates / "bsp").mkdir(parents=True)
    (templates / "bsp" / "testfamily.h.j2").write_text(FAMILY_HEADER)
    env = _environment()
    monkeypatch.setattr(env, "loader", jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(str(templates)), env.loader]))
    text = (data_dir("boards") / "nucleo_f446re.toml").read_text()
    text = text.replace('name = "nucleo_f446re"', 'name = "testboard"')
    # nucleo_f446re is an stm32 board: keep its core and facts, drop its chip tables.
    text = re.sub(r'target = "stm32"[^\n]*\nbsp = "stm32"', 'target = "gcc-bare-metal"\nbsp = "testfamily"', text)
    text = re.sub(r"\[platformio\][^\[]*", "", text)
    text = re.sub(r"(?ms)^\[stm32\].*?(?=^\[)", "", text)
    # An upload method that has no flasher module: flashing it must say so in one line.
    text = re.sub(r"(?ms)^\[flasher\].*?(?=^\[)", "", text)
    text = re.sub(r'(?m)^upload = "[^"]*".*$', 'upload = "stlink"', text)
    text = re.sub(r"(?ms)^\[\[regions\]\].*?(?=^\[)", "", text)
    text = text.replace("usable_ram_bytes", "flash_bytes = 524288\nram_bytes = 131072\nusable_ram_bytes", 1)
    text += ('\n[[regions]]\nname = "code"\nbase = 0x00000000\nsize = 0x00400000\n'
             '\n[[regions]]\nname = "ram"\nbase = 0x20000000\nsize = 0x00400000\n')
    path = tmp_path / "testboard.toml"
    path.write_text(text)
    return path


@pytest.mark.qemu
def test_gcc_bare_metal_family_builds_and_runs(bare_metal_board: Path, tmp_path: Path) -> None:
    board = read_board(bare_metal_board)
    target = target_for(board)
    assert isinstance(target, GccBareMetalTarget) and target.kind == "gcc-bare-metal"
    project = tmp_path / "proj"
    target.write_files(project, {})
    link = (project / "ld" / "link.ld").read_text()
    assert "ORIGIN = 0x20000000, LENGTH = 0x400000" in link
    (project / "src" / "main.c").write_text(PROBE.read_text())
    elf = target.build_elf(project)
    size = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True,
                          check=True).stdout
    assert int(size.splitlines()[1].split()[0]) == target.elf_size(elf)["text"] + target.elf_size(elf)["rodata"]
    machine = QemuMachine("qemu-system-arm", "mps2-an386",
                          ("-semihosting-config", "enable=on,target=native"))
    with QemuProcess(machine, elf) as qemu:
        port = qemu.connect(20)
        try:
            assert port.read_until(b"\n") == b"board=testboard\n"
        finally:
            port.close()
    with pytest.raises(BoardError, match="no flasher for upload 'stlink'"):
        target.flash(project)


def test_bare_metal_board_needs_regions(bare_metal_board: Path, tmp_path: Path) -> None:
    broken = tmp_path / "testboard.toml"
    broken.write_text(bare_metal_board.read_text().split("[[regions]]")[0])
    with pytest.raises(BoardError, match="'regions'"):
        read_board(broken)


def test_dsp_variant_on_a_core_without_dsp_stops_the_build(tmp_path: Path) -> None:
    """ek_common.h: EK_ARM_DSP without __ARM_FEATURE_DSP is an #error, never a silent
    fallback to the plain C path (a Cortex-M0+ has no DSP extension)."""
    src = tmp_path / "t.c"
    src.write_text('#include "ek_common.h"\nint ek_probe;\n')
    base = ["arm-none-eabi-gcc", "-mthumb", f"-I{data_dir('firmware') / 'kernels'}", "-c",
            str(src), "-o", str(tmp_path / "t.o")]
    defines = [f"-D{k}={v}" for k, v in VARIANTS["arm-dsp"].defines.items()]
    bad = subprocess.run([*base, "-mcpu=cortex-m0plus", *defines], capture_output=True, text=True)
    assert bad.returncode != 0 and "needs a core with the Arm DSP extension" in bad.stderr
    good = subprocess.run([*base, "-mcpu=cortex-m4", *defines], capture_output=True, text=True)
    assert good.returncode == 0, good.stderr


@pytest.mark.parametrize("board_name", ["qemu-cortex-m4", "qemu-riscv32", "netduinoplus2", "rpi_pico"])
def test_plain_make_builds_the_same_firmware(board_name: str, mlperf_models, tmp_path: Path) -> None:
    """Every gcc-built project carries a Makefile: `make` alone gives the very image that
    `edgekit build` linked (same compiler, flags and linker script)."""
    from edgekit.build import build

    project = build(mlperf_models["kws"], board_name, tmp_path / board_name).out_dir
    done = subprocess.run(["make", "-C", str(project), "-j2"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    board = target_for(load_board(board_name)).board
    objcopy = shutil.which(board.tool("objcopy"))
    assert objcopy is not None

    def image(elf: Path) -> bytes:
        out = elf.with_suffix(".bin")
        subprocess.run([objcopy, "-O", "binary", str(elf), str(out)], check=True, timeout=60)
        return out.read_bytes()

    ours = image(project / "build" / "firmware.elf")
    assert len(ours) > 40_000 and ours == image(project / ".edgekit-build" / "firmware.elf")


def test_a_model_too_big_for_a_bare_metal_board_names_the_region(mlperf_models, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The linker's "region overflowed" is the user's limit (exit 1, region and bytes), not an
    internal error: an RP2040 whose RAM region is cut to 8 KB cannot hold KWS's 11,840 B arena."""
    import dataclasses

    import edgekit.build as build_module
    from edgekit.errors import CheckFailed

    pico = load_board("rpi_pico")
    small = dataclasses.replace(pico, regions=tuple(
        dataclasses.replace(r, size=8192) if r.name == "ram" else r for r in pico.regions or ()))
    monkeypatch.setattr(build_module, "load_board", lambda name: small)
    with pytest.raises(CheckFailed, match=r"the firmware does not fit: region RAM by [\d,]+ bytes"):
        build_module.build(mlperf_models["kws"], "rpi_pico", tmp_path / "pico")
    assert not (tmp_path / "pico").exists()  # a failed build leaves no folder
