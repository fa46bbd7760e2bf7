"""Real boards with an Arduino core, built by PlatformIO's registry platform.

The project is a normal PlatformIO project (platformio.ini names the vendor platform,
board and framework); the first `pio run` on a machine with internet access downloads
them. edgekit cannot link the ELF without them, so `build` reports an estimated size
(size_source "estimate"); `check_compile` compiles edgekit's own C with the board's
cross compiler where one is installed. Flashing is `pio run -t upload`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import edgekit.targets.gcc as gcc
from edgekit.codegen.render import render
from edgekit.errors import BoardError, DeviceError
from edgekit.kernels.variants import kernel_variant
from edgekit.targets.base import Flashed, Target
from edgekit.targets.bsp import bsp_family, bsp_root, write_bsp
from edgekit.targets.flags import OPTIMIZE, SOURCE_DIRS, WARNINGS, define_flags, firmware_opt_flags
from edgekit.targets.platformio import find_pio, pio_env

# PlatformIO upload protocol names that equal a board's `upload` value.
PIO_UPLOAD_PROTOCOLS = {"esptool", "stlink", "jlink", "picotool", "teensy-cli", "mbed", "sam-ba"}
CYCLE_TIMERS = {"dwt", "ccount", "mcycle", "mpccr"}
UPLOAD_TIMEOUT_S = 300.0


def framework_defines(board: Any) -> dict[str, str]:
    """The board's [platformio] defines ("NAME=VALUE") as a dict."""
    assert board.platformio is not None
    pairs = (d.partition("=") for d in board.platformio.defines)
    return {name: value or "1" for name, _, value in pairs}


class PlatformioArduinoTarget(Target):
    kind = "platformio-arduino"

    def header_context(self) -> dict[str, Any]:
        board = self.board
        if board.timer in CYCLE_TIMERS:
            tick_hz, unit = board.cpu_hz, "cycles"
        elif board.timer == "rp2040-timer":  # the cores' micros() reads this 1 MHz TIMER
            tick_hz, unit = 1_000_000, "us"
        else:
            raise BoardError(f"board {board.name!r}: the Arduino BSP has no {board.timer!r} timer")
        baud = board.serial.baud if board.serial else 115200
        return {"tick_hz": tick_hz, "tick_unit": unit, "baud": baud}

    def platformio_ini(self, defines: Mapping[str, str]) -> str:
        board = self.board
        assert board.platformio is not None  # the board schema requires it for this target
        return render("platformio.ini.j2", {
            "board": board, "env_name": board.name, "local": False, "pio": board.platformio,
            "upload_protocol": board.upload if board.upload in PIO_UPLOAD_PROTOCOLS else "",
            "baud": board.serial.baud if board.serial is not None else 0,
            "optimize": OPTIMIZE,
            "include_dirs": list(SOURCE_DIRS[1:]) + ["src"],
            "defines": sorted({**kernel_variant(board.kernel_variant).defines,
                               **framework_defines(board), **defines}.items()),
            "ldscript": Path(board.platformio.ldscript).name if board.platformio.ldscript else "",
            # Not -Werror: the framework's headers are compiled inside edgekit's sources.
            "warnings": [f for f in WARNINGS if f != "-Werror"],
        })

    def write_files(self, project: Path, defines: Mapping[str, str]) -> list[Path]:
        written = write_bsp(self.board, bsp_family("arduino"), project / "src" / "bsp",
                            self.header_context())
        ini = project / "platformio.ini"
        ini.write_text(self.platformio_ini(defines))
        written.append(ini)
        assert self.board.platformio is not None
        if self.board.platformio.ldscript:  # replaces the framework's (platformio.ini says so)
            script = project / Path(self.board.platformio.ldscript).name
            shutil.copyfile(bsp_root() / "arduino" / self.board.platformio.ldscript, script)
            written.append(script)
        return written

    def can_build(self) -> bool:
        return False  # the vendor platform links it (build reports an estimate)

    def check_compile(self, project: Path, *, jobs: int = 2, timeout_s: float = 300.0) -> list[Path]:
        """Compile (no link) the project's C sources with the board's cross compiler and
        CPU flags, -Werror: what can be checked without the vendor framework (the
        framework BSP, C++ against Arduino.h, is left out). The object files."""
        project = project.resolve()
        board = self.board
        cc = gcc.require_tool(board.cc)
        cflags = [*board.cflags, *firmware_opt_flags(), *WARNINGS,
                  *define_flags(kernel_variant(board.kernel_variant).defines),
                  *(f"-I{d}" for d in SOURCE_DIRS)]
        return gcc.compile_all(project, cc, cflags, gcc.project_sources(project),
                               project / gcc.BUILD_DIR / "obj", jobs, timeout_s)

    def flash(self, project: Path, port: str | None = None) -> Flashed:
        from edgekit.device.ports import find_port

        board = self.board
        port = port or find_port(board)
        if "://" in port:
            raise DeviceError(f"cannot upload to {board.name} through {port}: uploading needs the "
                              "board's local port (a URL works for profile/validate)")
        if not port.upper().startswith("COM") and not Path(port).exists():
            raise DeviceError(f"serial port {port} does not exist: is the {board.name} plugged in?")
        cmd = [find_pio(), "run", "-d", str(project), "-t", "upload", "--upload-port", port]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, env=pio_env(), check=False,
                                  timeout=UPLOAD_TIMEOUT_S, start_new_session=True)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"upload to {board.name} on {port} took longer than "
                              f"{UPLOAD_TIMEOUT_S:.0f} s") from None
        if proc.returncode != 0:
            raise DeviceError(f"upload to {board.name} on {port} failed (pio run -t upload): "
                              f"{gcc.first_error(proc.stdout + proc.stderr)}")
        return Flashed(port=port, link_url=None)
