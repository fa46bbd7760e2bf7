"""Compile a generated model for the host with the system C compiler (for `verify`)."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from edgekit.errors import InternalError, ToolError
from edgekit.resources import data_dir
from edgekit.tool_log import log_command

HOST_CFLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"]
SANITIZE_FLAGS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-g"]


def host_compiler() -> str:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise ToolError(f"no host C compiler ({cc}) found: install gcc (apt-get install gcc)")
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
    flags = HOST_CFLAGS + (SANITIZE_FLAGS if sanitize else []) + [f"-D{d}" for d in extra_defines or []]
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
    log_command(command, result.stdout + result.stderr)
    if result.returncode != 0:
        first_error = next((line for line in result.stderr.splitlines() if "error" in line), result.stderr[:300])
        raise InternalError(f"host compilation of the generated model failed: {first_error.strip()}")
    return binary
