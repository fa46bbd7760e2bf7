"""Drive PlatformIO offline: the environment, the `pio` executable, `pio run`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from edgekit.errors import EdgekitError
from edgekit.targets.gcc import first_error

PIO_ENV = {
    "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
    "PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL": "36500",
    "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
}


def pio_env(core_dir: Path | str | None = None, extra: dict[str, str] | None = None
            ) -> dict[str, str]:
    """The environment for an offline `pio` run (no telemetry, no upgrade checks)."""
    env = dict(os.environ)
    env.update(PIO_ENV)
    if core_dir is not None:
        env["PLATFORMIO_CORE_DIR"] = str(core_dir)
    env.update(extra or {})
    return env


def find_pio() -> str:
    """The `pio` executable: beside this Python (a venv) or on PATH."""
    beside = Path(sys.executable).parent / "pio"
    if beside.is_file():
        return str(beside)
    found = shutil.which("pio") or shutil.which("platformio")
    if found is None:
        raise EdgekitError("PlatformIO (pio) not found: pip install platformio")
    return found


def run_platformio(
    project_dir: Path | str, target: str | None = None, *, env: dict[str, str] | None = None,
    timeout_s: float = 600.0, extra_args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """`pio run [-t target]` in the project with the offline environment.

    For the long-running `upload` target of a local platform use `start_platformio`.
    """
    cmd = [find_pio(), "run", "-d", str(project_dir)]
    if target:
        cmd += ["-t", target]
    cmd += list(extra_args)
    try:
        proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=timeout_s,
                              env=env if env is not None else pio_env(), start_new_session=True)
    except subprocess.TimeoutExpired:
        raise EdgekitError(f"'pio run' took longer than {timeout_s:.0f} s in {project_dir}") from None
    if proc.returncode != 0:
        raise EdgekitError(f"'pio run' failed in {project_dir}: "
                           f"{first_error(proc.stdout + proc.stderr)}")
    return proc


def start_platformio(project_dir: Path | str, target: str, *, env: dict[str, str] | None = None
                     ) -> subprocess.Popen[str]:
    """Start `pio run -t target` in its own process group (kill the group to stop it)."""
    cmd = [find_pio(), "run", "-d", str(project_dir), "-t", target]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env if env is not None else pio_env(), start_new_session=True)
