"""write_project: a PlatformIO project that builds offline with a real `pio run`, starts
in QEMU with `pio run -t upload`, and matches edgekit's direct cross build.

Real-board projects (esp32, nucleo_l4r5zi) need PlatformIO's vendor platforms, which
cannot be downloaded here: for them only the generated platformio.ini is checked.
"""

from __future__ import annotations

import configparser
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import serial

from edgekit.boards import load_board
from edgekit.codegen.project import write_project
from edgekit.device.link import open_serial
from edgekit.errors import EdgekitError
from edgekit.targets import PlatformioArduinoTarget, target_for
from edgekit.targets.gcc import compile_firmware, elf_size
from edgekit.targets.platformio import pio_env, run_platformio, start_platformio
from edgekit.targets.qemu_process import free_port

PROBE = Path(__file__).parent / "firmware" / "bsp_probe.c"
TIMEOUT_S = 60
# m7/m33/m55 share the Cortex-M path with the m4: slow, to keep the fast suite short.
LOCAL_BOARDS = ["qemu-cortex-m4", "qemu-riscv32", "host"] + [
    pytest.param(name, marks=pytest.mark.slow)
    for name in ("qemu-cortex-m7", "qemu-cortex-m33", "qemu-cortex-m55")
]


@pytest.fixture(scope="module")
def m4_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A qemu-cortex-m4 project with the BSP probe as main.c."""
    root = tmp_path_factory.mktemp("m4project")
    return write_project(root / "proj", load_board("qemu-cortex-m4"), {"main.c": PROBE.read_text()})


def test_project_layout(m4_project: Path) -> None:
    project = m4_project
    # The dotfile PlatformIO needs to accept the SCons stand-in must survive the copy.
    assert (project / "packages" / "tool-scons" / ".piopm").is_file()
    ini = configparser.ConfigParser()
    ini.read(project / "platformio.ini")
    assert ini["platformio"]["packages_dir"] == "packages"
    env = ini["env:qemu-cortex-m4"]
    assert (project / env["platform"] / "platform.json").is_file()
    assert not Path(env["platform"]).is_absolute()  # the project can be moved
    assert (project / "src" / "bsp" / "ek_bsp_board.h").is_file()
    assert (project / "src" / "runtime" / "ek_model_api.h").is_file()


@pytest.fixture(scope="module")
def pio_core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One empty PlatformIO core folder per test module: nothing from ~/.platformio."""
    return tmp_path_factory.mktemp("pio-core")


@pytest.mark.parametrize("board_name", LOCAL_BOARDS)
def test_pio_and_direct_build_agree(board_name: str, tmp_path: Path, pio_core: Path) -> None:
    """A plain offline `pio run` builds the project, and edgekit's direct build of the
    same project (same ek_build.json) gives an ELF of the same section sizes."""
    board = load_board(board_name)
    project = write_project(tmp_path / "proj", board, {"main.c": PROBE.read_text()})
    run_platformio(project, env=pio_env(pio_core), timeout_s=TIMEOUT_S)
    pio_elf = project / ".pio" / "build" / board_name / "firmware.elf"
    assert pio_elf.is_file()
    direct_elf = compile_firmware(project, board.name)
    assert elf_size(direct_elf) == elf_size(pio_elf)
    assert elf_size(pio_elf)["text"] > 0


def _start_upload(project: Path, env: dict[str, str]
                  ) -> tuple[subprocess.Popen[str], serial.SerialBase]:
    """`pio run -t upload` on a free port, connected; retried when another process took
    the port between free_port() and QEMU's bind."""
    for _ in range(3):
        port = free_port()
        proc = start_platformio(project, "upload", env={**env, "EK_QEMU_PORT": str(port)})
        deadline = time.monotonic() + TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                return proc, open_serial(f"socket://127.0.0.1:{port}", TIMEOUT_S)
            except serial.SerialException:
                time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(TIMEOUT_S)
        output = proc.stdout.read() if proc.stdout else ""
        if "in use" not in output:
            pytest.fail(f"pio run -t upload did not open port {port}: {output[-800:]}")
    pytest.fail("no free TCP port for QEMU after 3 tries")


@pytest.mark.qemu
def test_pio_upload_starts_qemu(m4_project: Path, pio_core: Path) -> None:
    proc, link = _start_upload(m4_project, pio_env(pio_core))
    try:
        assert link.read_until(b"\n") == b"board=qemu-cortex-m4\n"
        link.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # pio, scons and QEMU share the group
        proc.wait(TIMEOUT_S)
        if proc.stdout is not None:
            proc.stdout.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)  # anyone left in the group (QEMU)?
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("QEMU outlived the killed process group")


def test_pio_failure_is_one_clear_line(tmp_path: Path, pio_core: Path) -> None:
    broken = write_project(tmp_path / "broken", load_board("qemu-cortex-m4"),
                           {"main.c": "int main(void) { return undefined_thing; }\n"})
    with pytest.raises(EdgekitError, match=r"'pio run' failed .*undefined_thing"):
        run_platformio(broken, env=pio_env(pio_core), timeout_s=TIMEOUT_S)
    with pytest.raises(EdgekitError, match=r"compiling src/main.c failed: .*undefined_thing"):
        compile_firmware(broken)


@pytest.mark.parametrize(
    ("board_name", "platform", "define"),
    [("esp32", "espressif32", None), ("nucleo_l4r5zi", "ststm32", "-DEK_ARM_DSP=1")],
)
def test_real_board_platformio_ini(tmp_path: Path, board_name: str, platform: str,
                                   define: str | None) -> None:
    # Building these needs the vendor PlatformIO platform (downloaded on a user's machine);
    # offline we check what PlatformIO will read.
    board = load_board(board_name)
    project = write_project(tmp_path / board_name, board, {"main.c": PROBE.read_text()})
    ini = configparser.ConfigParser()
    ini.read(project / "platformio.ini")
    env = ini[f"env:{board_name}"]
    assert env["platform"] == platform == board.platformio.platform
    assert env["board"] == board.platformio.board
    assert env["framework"] == board.platformio.framework
    assert int(env["monitor_speed"]) == board.serial.baud
    flags = env["build_flags"].split()
    assert "-Isrc/bsp" in flags
    if define:
        assert define in flags
    assert "-Wextra" in env["build_src_flags"].split()
    assert not (project / "packages").exists()  # registry platform: nothing local
    assert (project / "src" / "bsp" / "ek_bsp_arduino.cpp").is_file()


def test_rewrite_removes_stale_sources_and_applies_defines(tmp_path: Path) -> None:
    board = load_board("qemu-cortex-m4")
    project = tmp_path / "proj"
    write_project(project, board, {"main.c": PROBE.read_text(), "old_model.c": "int x;\n"})
    (project / "src" / "user_notes.h").write_text("/* a user's own file */\n")
    check = "#if EK_TEST_VALUE != 42\n#error define missing\n#endif\n"
    write_project(project, board, {"main.c": check + PROBE.read_text()},
                  defines={"EK_TEST_VALUE": "42"})
    assert not (project / "src" / "old_model.c").exists()
    assert (project / "src" / "user_notes.h").exists()
    assert compile_firmware(project, board.name).is_file()  # the #error would stop it


def test_real_board_c_sources_cross_compile(tmp_path: Path) -> None:
    """nucleo_l4r5zi: the project's C (BSP constants, runtime, kernels, main) compiles with
    arm-none-eabi-gcc, the board's CPU flags and -Werror. Linking needs the vendor
    Arduino framework, which cannot be downloaded here."""
    board = load_board("nucleo_l4r5zi")
    project = write_project(tmp_path / "proj", board, {"main.c": PROBE.read_text()})
    target = target_for(board)
    assert isinstance(target, PlatformioArduinoTarget)
    objects = target.check_compile(project)
    names = {o.name for o in objects}
    assert {"main.o", "ek_bsp_consts.o", "ek_protocol.o"} <= names
    # The Arduino convention: main() was renamed for the framework's setup() to call.
    nm = subprocess.run(["arm-none-eabi-nm", str(next(o for o in objects if o.name == "main.o"))],
                        capture_output=True, text=True, check=True).stdout
    assert " T ek_app_main" in nm and " T main" not in nm
