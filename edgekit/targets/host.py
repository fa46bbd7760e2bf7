"""The host: this computer's system cc. Two builds: the firmware as a process whose
serial line is a TCP socket (profile/validate on the host board), and the verification
binary of `edgekit verify` (model + kernels + firmware/verify/ek_verify_main.c)."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from edgekit.errors import DeviceError, EdgekitError
from edgekit.resources import data_dir
from edgekit.targets.base import Flashed
from edgekit.targets.bsp import BspFamily, bsp_family
from edgekit.targets.flags import host_flags
from edgekit.targets.gcc_bare_metal import GccBuildTarget

HOST_START_TIMEOUT_S = 10.0


class HostTarget(GccBuildTarget):
    kind = "host"
    needs_hardware = False

    def family(self) -> BspFamily:
        return bsp_family("host")

    def description(self, defines: Mapping[str, str]) -> dict[str, Any]:
        desc = super().description(defines)
        desc["ldflags"] += ["-Wl,--gc-sections"]
        return desc

    def flash(self, project: Path, port: str | None = None) -> Flashed:
        raise EdgekitError("host builds are not flashed: `edgekit profile`/`validate` run the "
                           "host firmware themselves")

    def open_link(self, project: Path) -> AbstractContextManager[str]:
        return host_process(self.firmware(project))


@contextmanager
def host_process(exe: Path) -> Iterator[str]:
    """The host firmware as a process serving one TCP client; yields its socket URL."""
    proc = subprocess.Popen([str(exe)], env={**os.environ, "EK_SERIAL": "tcp:0"},
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + HOST_START_TIMEOUT_S
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "ek-serial: tcp 127.0.0.1:PORT"
        match = re.search(r"tcp 127\.0\.0\.1:(\d+)", line)
        if not match or time.monotonic() > deadline:
            raise DeviceError(f"the host firmware did not open its port: {line.strip()!r}")
        yield f"socket://127.0.0.1:{match.group(1)}"
    finally:
        proc.kill()
        proc.wait(timeout=5)
        if proc.stderr is not None:
            proc.stderr.close()


# --- the verification build (`edgekit verify`) -----------------------------------


def host_compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise EdgekitError(f"no host C compiler ({cc}) found: install gcc (apt-get install gcc)")
    return cc


def kernel_sources() -> list[Path]:
    return sorted(data_dir("firmware").joinpath("kernels").glob("*.c"))


def build_host_verifier(sources: dict[str, str], out_dir: Path, debug: bool = False,
                        sanitize: bool = False, extra_defines: list[str] | None = None) -> Path:
    """Write the model sources to out_dir and link them with the kernels and the
    verification driver. Cached: an identical source set is not rebuilt."""
    firmware = data_dir("firmware")
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sources.items():
        (out_dir / name).write_text(text)
    flags = host_flags(sanitize=sanitize) + [f"-D{d}" for d in extra_defines or []]
    if debug:
        flags.append("-DEK_MODEL_DEBUG_HOOK")
    c_files = [out_dir / n for n in sorted(sources) if n.endswith(".c")] + kernel_sources() + [
        firmware / "verify" / "ek_verify_main.c"]
    includes = [f"-I{out_dir}", f"-I{firmware / 'kernels'}", f"-I{firmware / 'runtime'}"]
    digest = hashlib.sha256()
    for item in flags + includes:
        digest.update(item.encode())
    for path in c_files + sorted(firmware.joinpath("kernels").glob("*.h")):
        digest.update(path.read_bytes())
    binary = out_dir / f"verify-{digest.hexdigest()[:16]}"
    if binary.exists():
        return binary
    command = [host_compiler(), *flags, *includes, *map(str, c_files), "-o", str(binary), "-lm"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        first_error = next((line for line in result.stderr.splitlines() if "error" in line), result.stderr[:300])
        raise EdgekitError(f"host compilation of the generated model failed: {first_error.strip()}")
    return binary
