"""Running a flasher program: found on PATH, bounded in time, its failure in one line."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Sequence

from edgekit.errors import DeviceError

# Debian packages of the tools, for the "not found" message.
PACKAGES = {"openocd": "openocd", "picotool": "picotool", "teensy_loader_cli": "teensy-loader-cli",
            "bossac": "bossa-cli"}


def require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        package = PACKAGES.get(name, name)
        raise DeviceError(f"{name} not found on PATH: install it (Debian/Ubuntu: apt install "
                          f"{package})")
    return path


def first_problem(output: str) -> str:
    """The line that says what went wrong (OpenOCD's "Error: ...", else the last one)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for marker in ("error", "unable", "fail", "not found", "no "):
        for line in lines:
            if marker in line.lower():
                return line
    return lines[-1] if lines else "(no output)"


def run_tool(cmd: Sequence[str], *, what: str, timeout_s: float) -> str:
    """Run `cmd`; its stdout+stderr. A non-zero exit or a run longer than timeout_s is a
    DeviceError naming `what`; a hung tool is killed with its process group."""
    exe = require_tool(cmd[0])
    proc = subprocess.Popen([exe, *cmd[1:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, errors="replace", start_new_session=True)
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise DeviceError(f"{what}: {cmd[0]} did not finish within {timeout_s:g} s (killed); "
                          "check the probe and the board's power") from None
    if proc.returncode != 0:
        raise DeviceError(f"{what}: {cmd[0]} failed (exit {proc.returncode}): "
                          f"{first_problem(output)}")
    return output
