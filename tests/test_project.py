"""write_project: a PlatformIO project that builds offline with a real `pio run`, starts
in QEMU with `pio run -t upload`, and matches edgekit's direct cross build.

Real-board projects (esp32, nucleo_l4r5zi) need PlatformIO's vendor platforms, which
cannot be downloaded here: for them only the generated platformio.ini is checked.
"""

from __future__ import annotations

import configparser
import os
import signal
import time
from pathlib import Path

import pytest
import serial

from edgekit.boards import load_board
from edgekit.codegen.project import write_project
from edgekit.device.qemu import free_port
from edgekit.device.toolchain import (
    compile_firmware,
    elf_size,
    pio_env,
    run_platformio,
    start_platformio,
)
from edgekit.errors import EdgekitError

PROBE = Path(__file__).parent / "firmware" / "bsp_probe.c"
TIMEOUT_S = 60


@pytest.fixture(scope="module")
def m4_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A qemu-cortex-m4 project (the BSP probe as main.c) and a fresh PlatformIO core."""
    root = tmp_path_factory.mktemp("m4project")
    project = write_project(root / "proj", load_board("qemu-cortex-m4"),
                            {"main.c": PROBE.read_text()})
    return project, root / "pio-core"


def test_project_layout(m4_project: tuple[Path, Path]) -> None:
    project, _ = m4_project
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


@pytest.mark.qemu
def test_pio_build_upload_and_direct_build_agree(m4_project: tuple[Path, Path]) -> None:
    project, core = m4_project
    env = pio_env(core)
    run_platformio(project, env=env, timeout_s=TIMEOUT_S)
    pio_elf = project / ".pio" / "build" / "qemu-cortex-m4" / "firmware.elf"
    assert pio_elf.is_file()
    direct_elf = compile_firmware(project, load_board("qemu-cortex-m4"))
    assert elf_size(direct_elf) == elf_size(pio_elf)

    port = free_port()
    proc = start_platformio(project, "upload", env={**env, "EK_QEMU_PORT": str(port)})
    try:
        deadline = time.monotonic() + TIMEOUT_S
        link = None
        while link is None:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "pio run -t upload never opened the port"
            try:
                link = serial.serial_for_url(f"socket://127.0.0.1:{port}", timeout=TIMEOUT_S)
            except serial.SerialException:
                time.sleep(0.05)
        assert link.read_until(b"\n") == b"board=qemu-cortex-m4\n"
        link.close()
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # pio, scons and QEMU share the group
        proc.wait(TIMEOUT_S)
        if proc.stdout is not None:
            proc.stdout.close()


def test_pio_failure_is_one_clear_line(tmp_path: Path, m4_project: tuple[Path, Path]) -> None:
    _, core = m4_project
    broken = write_project(tmp_path / "broken", load_board("qemu-cortex-m4"),
                           {"main.c": "int main(void) { return undefined_thing; }\n"})
    with pytest.raises(EdgekitError, match=r"'pio run' failed .*undefined_thing"):
        run_platformio(broken, env=pio_env(core), timeout_s=TIMEOUT_S)
    with pytest.raises(EdgekitError, match=r"compiling src/main.c failed: .*undefined_thing"):
        compile_firmware(broken)


@pytest.mark.parametrize(
    ("board_name", "platform", "define"),
    [("esp32", "espressif32", None), ("nucleo_l4r5zi", "ststm32", "-DEK_KERNELS_ARM_DSP=1")],
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
