"""The board catalog: every TOML validates, the CLI lists it, broken files are clear errors,
and the data agrees with the compilers and QEMU installed here."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.boards import Board, list_boards, load_board
from edgekit.errors import BoardError
from edgekit.kernels.variants import kernel_variant
from edgekit.resources import data_dir

REAL = ["esp32", "esp32s3", "esp32c3", "nucleo_l4r5zi", "nucleo_f446re", "disco_f746ng",
        "nrf52840dk", "rpi_pico", "nano33ble", "teensy41"]
BOARDS = list_boards()
EMULATED = [b.name for b in BOARDS if b.emulated]  # from the catalog: a new board needs no edit


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_catalog_has_every_named_board() -> None:
    names = [board.name for board in BOARDS]
    assert len(names) >= 16
    assert set(REAL + list(EMULATION_FACTS) + ["host"]) <= set(names)
    assert {b.name for b in BOARDS if b.kind == "real"} >= set(REAL)
    assert set(EMULATION_FACTS) <= set(EMULATED)


@pytest.mark.parametrize("name", sorted(p.stem for p in data_dir("boards").glob("*.toml")))
def test_every_toml_loads(name: str) -> None:
    board = load_board(name)
    assert board.name == name and board.path is not None and board.path.stem == name
    assert board.usable_ram_bytes <= board.ram_bytes
    if board.kind == "real":
        assert board.power and board.serial and board.cpu_mhz
        # Bare-metal boards (gcc-bare-metal, stm32) may keep [platformio] for
        # `build --framework arduino`; an Arduino board needs it.
        if board.target == "platformio-arduino":
            assert board.platformio is not None
        if board.target == "gcc-bare-metal":
            assert board.bsp and board.regions
        if board.target == "stm32":
            assert board.stm32 is not None and board.regions
            # One fact, one place: flash is the code region, RAM the other regions.
            sizes = {r.name: r.size for r in board.regions}
            assert board.flash_bytes == sizes.pop(board.stm32.code_region)
            assert board.ram_bytes == sum(sizes.values())
        assert board.power.source and board.power.idle_mw < board.power.active_mw
    if board.emulated:
        assert board.upload == "qemu" and board.platformio is None
        # One fact, one place: the sizes are the regions'.
        assert board.flash_bytes == board.qemu.code.size
        assert board.ram_bytes == board.qemu.ram.size


def test_board_is_frozen() -> None:
    board = load_board("qemu-cortex-m4")
    with pytest.raises(dataclasses.FrozenInstanceError):
        board.cpu_mhz = 1  # type: ignore[misc]


# Facts from ../shared/docs/EMULATION.md (checked there by running code on QEMU 7.2), restated here
# independently of the TOML files: machine, UART base, code base, RAM base, VTOR,
# instructions per timer tick.
EMULATION_FACTS = {
    "qemu-cortex-m4": ("mps2-an386", 0x40004000, 0x00000000, 0x20000000, 0x00000000, 40.0),
    "qemu-cortex-m7": ("mps2-an500", 0x40004000, 0x00000000, 0x20000000, 0x00000000, 40.0),
    "qemu-cortex-m33": ("mps2-an505", 0x50200000, 0x10000000, 0x38000000, 0x10000000, 50.0),
    "qemu-cortex-m55": ("mps3-an547", 0x59303000, 0x00000000, 0x20000000, 0x00000000, 50.0),
    "qemu-riscv32": ("virt", 0x10000000, 0x80000000, 0x80400000, 0x80000000, 1.0),
}


@pytest.mark.parametrize("name", sorted(EMULATION_FACTS))
def test_emulated_boards_match_emulation_doc(name: str) -> None:
    machine, uart, code, ram, vtor, per_tick = EMULATION_FACTS[name]
    qemu = load_board(name).qemu
    assert qemu is not None
    assert (qemu.machine, qemu.uart_base, qemu.code.base, qemu.ram.base, qemu.vtor,
            qemu.instructions_per_tick) == (machine, uart, code, ram, vtor, per_tick)
    # Counts mean nothing without -icount shift=0; the Arm images sleep in WFI between
    # requests (sleep=on lets QEMU idle), the RISC-V one still polls.
    sleep = "off" if qemu.binary == "qemu-system-riscv32" else "on"
    assert f"shift=0,align=off,sleep={sleep}" in qemu.args
    if qemu.binary == "qemu-system-riscv32":
        assert qemu.exit_base == 0x100000 and "none" in qemu.args  # -bios none
    else:
        assert qemu.exit == "semihosting"


@pytest.mark.parametrize("binary", sorted({b.qemu.binary for b in BOARDS if b.qemu}))
def test_qemu_knows_the_machines(binary: str) -> None:
    """Every emulated board's machine exists in the installed QEMU."""
    assert shutil.which(binary), f"{binary} is not installed (see ../shared/docs/EMULATION.md)"
    listing = subprocess.run([binary, "-machine", "help"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    known = {line.split()[0] for line in listing.splitlines()[1:] if line.strip()}
    wanted = {b.qemu.machine for b in BOARDS if b.qemu and b.qemu.binary == binary}
    assert wanted <= known


def _predefined_macros(board: Board) -> set[str]:
    result = subprocess.run([board.cc, *board.cflags, "-dM", "-E", "-x", "c", "-"], input="",
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"{board.name}: {board.cc} rejects {board.cflags}: {result.stderr}"
    return {line.split()[1] for line in result.stdout.splitlines() if line.startswith("#define")}


def test_cflags_are_accepted_and_match_the_kernel_variant() -> None:
    """The compiler installed here takes each board's CPU flags, and what it then reports
    (DSP, MVE, hard float) agrees with the board's kernel variant. Boards whose compiler
    does not exist here (Xtensa) are built on the user's machine by PlatformIO."""
    checked = []
    for board in BOARDS:
        if shutil.which(board.cc) is None:
            assert board.arch.startswith("xtensa"), f"{board.name}: {board.cc} missing"
            continue
        macros = _predefined_macros(board)
        if board.arch.startswith("cortex-m"):
            assert ("__ARM_FEATURE_DSP" in macros) == board.has_dsp, board.name
            # and the variant asks only for features the core has (no kernels without them)
            assert set(kernel_variant(board.kernel_variant).isa_features) <= macros, board.name
            assert ("__ARM_FP" in macros) == ("-mfloat-abi=hard" in board.cflags), board.name
        if board.arch == "riscv32":
            assert "__riscv" in macros and "__riscv_mul" in macros, board.name
        checked.append(board.name)
    assert {"host", "qemu-cortex-m4", "qemu-cortex-m55", "qemu-riscv32", "rpi_pico",
            "esp32c3"} <= set(checked)


def test_boards_table() -> None:
    result = _cli("boards")
    assert result.returncode == 0, result.stderr
    for board in BOARDS:
        assert board.name in result.stdout


def test_boards_json_has_every_field() -> None:
    result = _cli("boards", "--json")
    assert result.returncode == 0, result.stderr
    boards = json.loads(result.stdout)["boards"]
    assert [b["name"] for b in boards] == [b.name for b in BOARDS]
    fields = {f.name for f in dataclasses.fields(Board)}
    for entry in boards:
        assert fields <= set(entry)
    by_name = {b["name"]: b for b in boards}
    assert by_name["qemu-cortex-m33"]["qemu"]["regions"][0]["base"] == 0x10000000
    assert by_name["nucleo_l4r5zi"]["serial"]["usb_vid_pid"] == ["0483:374B", "0483:374E"]
    assert by_name["host"]["cpu_mhz"] is None and by_name["host"]["emulated"] is False


def test_unknown_board_is_one_line_exit_2() -> None:
    result = _cli("boards", "nucleo_l4")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unknown board 'nucleo_l4'" in lines[0] and "nucleo_l4r5zi" in lines[0]


def test_unknown_board_error_lists_close_matches() -> None:
    with pytest.raises(BoardError, match="qemu-cortex-m4"):
        load_board("qemu-cortex-m44")
    with pytest.raises(BoardError, match="unknown board"):
        load_board("../boards/host")


def test_boards_command_does_not_import_tensorflow() -> None:
    code = ("import sys, io, contextlib, edgekit.cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert edgekit.cli.main(['boards', '--json']) == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'tensorflow'))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# A broken copy of a good board file must fail to load with a BoardError that names the
# file and the field. (original text, replacement, field named in the message)
BREAKAGES = [
    ("cpu_mhz = 120\n", "", "'cpu_mhz' missing"),
    ("cpu_mhz = 120", 'cpu_mhz = "120"', "'cpu_mhz' must be an integer"),
    ("cpu_mhz = 120", "cpu_mhz = true", "'cpu_mhz' must be an integer"),
    ("cpu_mhz = 120", "cpu_mhz = 120\ncpu_mzh = 1", "'cpu_mzh' unknown field"),
    ('arch = "cortex-m4"', 'arch = "cortex-m5"', "'arch' is 'cortex-m5'"),
    ('kernel_variant = "arm-dsp"', 'kernel_variant = "cmsis"', "'kernel_variant'"),
    ("active_mw = 39.6", 'active_mw = "39.6"', "'power.active_mw' must be a number"),
    ("active_mw = 39.6\n", "", "'power.active_mw' missing"),
    ('usb_vid_pid = ["0483:374B", "0483:374E"]', 'usb_vid_pid = ["0483-374B"]',
     "'serial.usb_vid_pid[0]'"),
    ('usb_vid_pid = ["0483:374B", "0483:374E"]', 'usb_vid_pid = "0483:374B"',
     "'serial.usb_vid_pid' must be an array"),
    ("usable_ram_bytes = 393216", "usable_ram_bytes = 655361", "'usable_ram_bytes'"),
    ("arena_alignment = 16", "arena_alignment = 12", "'arena_alignment'"),
    ('[serial]\nbaud = 115200', '[serial]\nbaud = 115200\n[serial.x]', "'serial.x' unknown"),
    ('board = "nucleo_l4r5zi"', 'board = "nucleo_l4r5zi', "not valid TOML"),
    ('name = "nucleo_l4r5zi"', 'name = "nucleo"', "'name' is 'nucleo'"),
]


def _write_broken(tmp_path: Path, source: str, old: str, new: str) -> Path:
    text = (data_dir("boards") / f"{source}.toml").read_text()
    assert old in text, f"test data out of date: {old!r} not in {source}.toml"
    path = tmp_path / f"{source}.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize("old,new,expected", BREAKAGES, ids=[b[2] for b in BREAKAGES])
def test_broken_real_board_file(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write_broken(tmp_path, "nucleo_l4r5zi", old, new)
    with pytest.raises(BoardError) as info:
        load_board("nucleo_l4r5zi", tmp_path)
    assert str(path) in str(info.value) and expected in str(info.value)
    with pytest.raises(BoardError):  # listing the folder validates every file too
        list_boards(tmp_path)


EMULATED_BREAKAGES = [
    ("usable_ram_bytes", "flash_bytes = 4194304\nusable_ram_bytes", "'flash_bytes' must be absent"),
    ('name = "ram"', 'name = "sram"', "needs a region named 'ram'"),
    ("vtor = 0x00000000", "vtor = 0x20000000", "'qemu.vtor'"),
    ('upload = "qemu"', 'upload = "stlink"', "'upload'"),
    ('exit = "semihosting"', 'exit = "sifive-test"', "'qemu.exit_base'"),
    ("instructions_per_tick = 40.0", 'instructions_per_tick = "40"',
     "'qemu.instructions_per_tick' must be a number"),
    ("base = 0x20000000", "base = 0x00100000", "code and ram overlap"),
]


@pytest.mark.parametrize("old,new,expected", EMULATED_BREAKAGES,
                         ids=[b[2] for b in EMULATED_BREAKAGES])
def test_broken_emulated_board_file(tmp_path: Path, old: str, new: str, expected: str) -> None:
    path = _write_broken(tmp_path, "qemu-cortex-m4", old, new)
    with pytest.raises(BoardError) as info:
        load_board("qemu-cortex-m4", tmp_path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_unbroken_copy_loads_from_another_directory(tmp_path: Path) -> None:
    """The control for the tests above: an unmodified copy loads from the temp folder."""
    for name in ("nucleo_l4r5zi", "qemu-cortex-m4"):
        shutil.copy(data_dir("boards") / f"{name}.toml", tmp_path)
    boards = list_boards(tmp_path)
    assert [b.name for b in boards] == ["nucleo_l4r5zi", "qemu-cortex-m4"]
    assert boards[0].path == (tmp_path / "nucleo_l4r5zi.toml").resolve()
    assert dataclasses.replace(boards[1], path=None) == dataclasses.replace(
        load_board("qemu-cortex-m4"), path=None)


def test_serial_ids_for_port_discovery() -> None:
    serial = load_board("rpi_pico").serial
    assert serial is not None and (0x2E8A, 0x00C0) in serial.usb_ids
