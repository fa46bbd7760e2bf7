"""The BSP on every emulated board (real QEMU, real cross compilers) and on the host.

tests/firmware/bsp_probe.c reports the board, times a loop of exactly 2*N instructions,
checks a getc timeout, then echoes bytes until 'q' + an exit status byte.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import serial

from edgekit.boards import list_boards, load_board
from edgekit.device.link import open_serial
from edgekit.errors import DeviceError
from edgekit.targets import PlatformioArduinoTarget, target_for
from edgekit.targets.bsp import HEADER, bsp_family, write_bsp
from edgekit.targets.flags import SANITIZE, host_flags
from edgekit.targets.gcc import BUILD_FILE, elf_size
from edgekit.targets.qemu import qemu_machine
from edgekit.targets.qemu_process import (
    QemuMachine,
    QemuProcess,
    read_background,
    start_background,
    stop_background,
)

PROBE = Path(__file__).parent / "firmware" / "bsp_probe.c"
EMULATED = [b.name for b in list_boards() if b.target == "qemu"]  # every one in the catalog
TIMEOUT_S = 20


def build_probe(board_name: str, out: Path, extra_flags: tuple[str, ...] = ()) -> Path:
    """A minimal project (BSP + probe as main.c) compiled with the board's real flags."""
    target = target_for(load_board(board_name))
    target.write_files(out, {})
    (out / "src" / "main.c").write_text(PROBE.read_text())
    desc = json.loads((out / BUILD_FILE).read_text())
    desc["cflags"] += extra_flags
    desc["ldflags"] += extra_flags
    (out / BUILD_FILE).write_text(json.dumps(desc))
    return target.build_elf(out)


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("probes")
    probes = {name: build_probe(name, root / name) for name in EMULATED + ["host"]}
    probes["host-sanitized"] = build_probe("host", root / "host-sanitized", SANITIZE)
    return probes


def read_report(port: serial.SerialBase) -> dict[str, str]:
    text = port.read_until(b"ready\n").decode()
    assert text.endswith("ready\n"), f"probe stopped early: {text!r}"
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def exercise(port: serial.SerialBase, exit_code: int) -> dict[str, str]:
    """Read the report, echo every byte value both ways, then ask for `exit_code`."""
    report = read_report(port)
    payload = bytes(b for b in range(256) if b not in b"qF")
    port.write(payload)
    assert port.read(len(payload)) == payload
    port.write(bytes([ord("q"), exit_code]))
    assert port.read(4) == b"bye\n"
    return report


def run_on_qemu(board_name: str, elf: Path, exit_code: int) -> dict[str, str]:
    with QemuProcess(qemu_machine(load_board(board_name)), elf) as qemu:
        port = qemu.connect(TIMEOUT_S)
        try:
            report = exercise(port, exit_code)
        finally:
            port.close()
        assert qemu.wait(TIMEOUT_S) == exit_code
    return report


@pytest.mark.qemu
@pytest.mark.parametrize("board_name", EMULATED)
def test_probe_on_emulated_board(board_name: str, probes: dict[str, Path]) -> None:
    board = load_board(board_name)
    first = run_on_qemu(board_name, probes[board_name], exit_code=5)
    second = run_on_qemu(board_name, probes[board_name], exit_code=0)
    assert first["board"] == board_name
    assert (first["data_ok"], first["bss_ok"], first["fpu"]) == ("1", "1", "9")
    assert first["timeout_ok"] == "1"
    # -icount makes the count exact: the same loop gives the same ticks every run, up to
    # the timer's phase. With sleep=on (the Arm boards idle in WFI), the virtual time spent
    # asleep before the loop follows the host, so the loop may start anywhere inside a tick:
    # one tick (40-50 instructions) either way.
    assert abs(int(first["loop_ticks"]) - int(second["loop_ticks"])) <= 1
    # And the board's ratio turns ticks back into the loop's instruction count, within
    # one tick of resolution plus the timer reads around the loop.
    num, den = int(first["num"]), int(first["den"])
    assert num / den == board.qemu.instructions_per_tick
    assert int(first["tps"]) * board.qemu.instructions_per_tick == pytest.approx(1e9)
    instructions = int(first["loop_ticks"]) * num / den
    assert abs(instructions - int(first["loop_instr"])) <= num / den + 16


def test_probe_on_host(probes: dict[str, Path]) -> None:
    proc = subprocess.Popen([str(probes["host"])], env={"EK_SERIAL": "tcp:0"},
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stderr is not None
        announce = proc.stderr.readline()
        match = re.search(r"ek-serial: tcp 127\.0\.0\.1:(\d+)", announce)
        assert match, announce
        port = open_serial(f"socket://127.0.0.1:{match.group(1)}", TIMEOUT_S)
        report = exercise(port, exit_code=9)
        port.close()
        assert proc.wait(TIMEOUT_S) == 9
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert report.get("board") == "host", report
    assert (report["data_ok"], report["bss_ok"], report["fpu"]) == ("1", "1", "9")
    assert report["timeout_ok"] == "1"
    assert int(report["tps"]) == 1_000_000
    assert int(report["loop_ticks"]) > 0


@pytest.mark.parametrize("variant", ["host", "host-sanitized"])
def test_host_probe_over_stdio(probes: dict[str, Path], variant: str) -> None:
    """stdin/stdout serial: bytes go both ways, and end of input ends the program (0) --
    also under AddressSanitizer and UndefinedBehaviorSanitizer."""
    proc = subprocess.Popen([str(probes[variant])], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env={})
    assert proc.stdin is not None and proc.stdout is not None
    try:
        report = b""
        while not report.endswith(b"ready\n"):
            chunk = proc.stdout.read1(4096)
            assert chunk, report
            report += chunk
        proc.stdin.write(b"xy")
        proc.stdin.close()
        assert proc.stdout.read() == b"xy"
        assert proc.wait(TIMEOUT_S) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert report.startswith(b"board=host\n")


@pytest.mark.parametrize("board_name", EMULATED + ["host"])
def test_elf_size_matches_binutils(board_name: str, probes: dict[str, Path]) -> None:
    board = load_board(board_name)
    sizes = elf_size(probes[board_name])
    out = subprocess.run([board.tool("size"), "-B", "-d", str(probes[board_name])],
                         capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(v) for v in out.splitlines()[1].split()[:3])
    assert sizes["text"] + sizes["rodata"] == text
    assert (sizes["data"], sizes["bss"]) == (data, bss)
    assert sizes["flash"] == text + data
    assert sizes["text"] > 0


def test_board_header_ratios(tmp_path: Path) -> None:
    """What a tick means comes from the TOML (M55 at the 20 MHz FPGAIO counter: 50)."""
    def header(name: str) -> str:
        target_for(load_board(name)).write_files(tmp_path / name, {})
        return (tmp_path / name / "src" / "bsp" / HEADER).read_text()

    m55 = header("qemu-cortex-m55")
    assert "#define EK_BSP_UNITS_PER_TICK_NUM 50u" in m55
    assert "#define EK_BSP_FPGAIO_COUNTER 0x59302018u" in m55
    assert "#define EK_BSP_TEST_FINISHER 0x00100000u" in header("qemu-riscv32")


@pytest.mark.qemu
def test_qemu_death_is_reported(tmp_path: Path) -> None:
    """QEMU loads the image only once the host connects; a failure then is reported with
    QEMU's exit status and its own message."""
    too_big = tmp_path / "too-big.bin"
    with open(too_big, "wb") as f:
        f.truncate(64 << 20)  # more than the 4 MB code memory of mps2-an386
    with QemuProcess(QemuMachine("qemu-system-arm", "mps2-an386"), too_big) as qemu:
        port = open_serial(qemu.url, TIMEOUT_S)
        assert qemu.wait(TIMEOUT_S) == 1
        with pytest.raises(DeviceError, match=r"exit status 1.*Could not load kernel"):
            qemu.check_alive()
        port.close()


@pytest.mark.qemu
def test_bad_machine_fails_at_start(probes: dict[str, Path]) -> None:
    with pytest.raises(DeviceError, match=r"did not start \(exit status 1\).*machine"):
        QemuProcess(QemuMachine("qemu-system-arm", "no-such-board"), probes["qemu-cortex-m4"]).start()


@pytest.mark.qemu
def test_guest_exit_is_detected(probes: dict[str, Path]) -> None:
    board = load_board("qemu-cortex-m4")
    with QemuProcess(qemu_machine(board), probes["qemu-cortex-m4"]) as qemu:
        port = open_serial(qemu.url, TIMEOUT_S)
        read_report(port)
        qemu.check_alive()
        port.write(b"q\x03")
        port.read(4)
        assert qemu.wait(TIMEOUT_S) == 3
        with pytest.raises(DeviceError, match="exit status 3"):
            qemu.check_alive()
        port.close()


@pytest.mark.qemu
def test_fault_ends_qemu_with_status_99(probes: dict[str, Path]) -> None:
    """A fault must end QEMU (status 99 from the BSP's handler), never hang it."""
    board = load_board("qemu-cortex-m33")
    with QemuProcess(qemu_machine(board), probes["qemu-cortex-m33"]) as qemu:
        port = open_serial(qemu.url, TIMEOUT_S)
        read_report(port)
        port.write(b"F")
        assert qemu.wait(TIMEOUT_S) == 99
        port.close()


@pytest.mark.qemu
def test_background_qemu_survives_reconnects(tmp_path: Path, probes: dict[str, Path]) -> None:
    machine = qemu_machine(load_board("qemu-cortex-m4"))
    state = start_background(machine, probes["qemu-cortex-m4"], tmp_path, board="qemu-cortex-m4")
    try:
        assert read_background(tmp_path) == state
        port = open_serial(state["url"], TIMEOUT_S)
        read_report(port)
        port.write(b"ab")
        assert port.read(2) == b"ab"
        port.close()
        # A later command connects again to the same running firmware.
        port = open_serial(state["url"], TIMEOUT_S)
        port.write(b"cd")
        assert port.read(2) == b"cd"
        port.close()
    finally:
        assert stop_background(tmp_path)
    assert read_background(tmp_path) is None
    assert not stop_background(tmp_path)


# Arm boards with an Arduino build: their own (bare-metal) target, or `--framework arduino`.
REAL_ARM = [b.name for b in list_boards() if b.platformio is not None and b.toolchain == "arm-none-eabi"]


def test_there_are_arm_boards_with_an_arduino_build() -> None:
    assert len(REAL_ARM) >= 8  # the STM32, nRF52, RP2040 and Teensy boards


@pytest.mark.parametrize("board_name", REAL_ARM)
def test_real_arm_board_bsp_c_parts_compile(board_name: str, tmp_path: Path) -> None:
    """The Arduino BSP itself needs the vendor framework (not available offline); its C
    parts -- the generated board header, the constants and the DWT cycle counter -- are
    compiled here with the board's CPU flags."""
    board = load_board(board_name)
    target = target_for(board, PlatformioArduinoTarget.kind)
    assert isinstance(target, PlatformioArduinoTarget)
    files = write_bsp(board, bsp_family("arduino"), tmp_path, target.header_context())
    (tmp_path / "use_dwt.c").write_text(
        '#include "ek_bsp.h"\n#include "ek_dwt.h"\n'
        "uint32_t probe(void) { ek_dwt_enable(); return ek_dwt_cycles(); }\n"
    )
    sources = [p for p in files if p.suffix == ".c"]
    if board.timer == "dwt":
        sources.append(tmp_path / "use_dwt.c")
    for src in sources:
        subprocess.run(
            [board.cc, *board.cflags, *host_flags(),
             f"-I{tmp_path}", "-c", str(src), "-o", str(src.with_suffix(".o"))],
            check=True, capture_output=True, text=True, timeout=60,
        )
    assert any(p.name == "ek_bsp_arduino.cpp" for p in files)


@pytest.mark.qemu
def test_qemu_target_flash_runs_in_background(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    build_probe("qemu-riscv32", project)
    flashed = target_for(load_board("qemu-riscv32")).flash(project)
    try:
        state = read_background(project)
        assert state is not None and state["pid"] == flashed.pid and flashed.link_url
        port = open_serial(flashed.link_url, TIMEOUT_S)
        assert read_report(port)["board"] == "qemu-riscv32"
        port.close()
    finally:
        stop_background(project)


def test_host_probe_on_passed_fd(probes: dict[str, Path]) -> None:
    """EK_SERIAL=fd:N: the serial line is a descriptor the parent hands down (socketpair)."""
    import socket

    ours, theirs = socket.socketpair()
    proc = subprocess.Popen([str(probes["host"])], env={"EK_SERIAL": f"fd:{theirs.fileno()}"},
                            pass_fds=(theirs.fileno(),))
    theirs.close()
    try:
        ours.settimeout(TIMEOUT_S)
        data = b""
        while not data.endswith(b"ready\n"):
            chunk = ours.recv(4096)
            assert chunk, data
            data += chunk
        ours.sendall(b"zq\x06")
        rest = b""
        while not rest.endswith(b"bye\n"):
            chunk = ours.recv(4096)
            assert chunk, rest
            rest += chunk
        assert rest == b"zbye\n"
        assert proc.wait(TIMEOUT_S) == 6
    finally:
        ours.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert data.startswith(b"board=host\n")
