"""`edgekit flash`: put a build's firmware on its board.

Emulated boards: the ELF (compiled when missing or stale) starts in QEMU in the
background; the state file in the build directory tells later commands its serial URL,
and the device is greeted once to check it runs this build's model. Real boards:
`pio run -t upload` with the port found by USB id (esptool for ESP32 through
PlatformIO). The host board has nothing to flash.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.device.session import BuildInfo, connect, firmware_elf, read_build
from edgekit.errors import DeviceError, EdgekitError, UsageError

UPLOAD_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class FlashResult:
    board: str
    kind: str  # "emulated" | "real"
    port: str  # pyserial URL (QEMU) or the upload port
    elf: str | None = None
    pid: int | None = None
    model_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _flash_emulated(build: BuildInfo, check: bool) -> FlashResult:
    from edgekit.device.qemu import qemu_machine, start_background, stop_background

    elf = firmware_elf(build)
    state = start_background(qemu_machine(build.board), elf, build.dir,
                             board=build.board.name)
    model = None
    if check:
        try:
            with connect(build, state["url"], timeout=5.0) as link:
                model = link.hello_info.model_hash
        except EdgekitError:
            stop_background(build.dir)
            raise
    return FlashResult(build.board.name, "emulated", state["url"], str(elf), int(state["pid"]), model)


def _is_local_path(port: str) -> bool:
    return "://" not in port and not port.upper().startswith("COM")


def _flash_real(build: BuildInfo, port: str | None) -> FlashResult:
    from edgekit.device.ports import find_port
    from edgekit.device.toolchain import find_pio, pio_env

    board = build.board
    port = port or find_port(board)
    if _is_local_path(port) and not Path(port).exists():
        raise DeviceError(f"serial port {port} does not exist: is the {board.name} plugged in?")
    if "://" in port:
        raise DeviceError(f"cannot upload to {board.name} through {port}: uploading needs the "
                          "board's local port (a URL works for profile/validate)")
    cmd = [find_pio(), "run", "-d", str(build.dir), "-t", "upload", "--upload-port", port]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=pio_env(), check=False,
                              timeout=UPLOAD_TIMEOUT_S, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise DeviceError(f"upload to {board.name} on {port} took longer than "
                          f"{UPLOAD_TIMEOUT_S:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
        first = next((ln for ln in lines if "error" in ln.lower()), lines[-1] if lines else "")
        raise DeviceError(f"upload to {board.name} on {port} failed (pio run -t upload): {first}")
    return FlashResult(board.name, "real", port)


def flash_build(build_dir: str | Path | None = None, *, board: str | None = None,
                port: str | None = None, check: bool = True) -> FlashResult:
    build = read_build(build_dir, board)
    if build.board.kind == "emulated":
        if port:
            raise UsageError(f"{build.board.name} is emulated: flash starts QEMU, --port "
                               "does not apply")
        return _flash_emulated(build, check)
    if build.board.kind == "host":
        raise UsageError("host builds are not flashed: `edgekit profile`/`validate` run the "
                           "host firmware themselves")
    return _flash_real(build, port)


def stop(build_dir: str | Path | None = None) -> bool:
    """Stop the QEMU that `flash` left running for the build; True if one was running."""
    from edgekit.device.qemu import stop_background

    return stop_background(Path(build_dir or "."))
