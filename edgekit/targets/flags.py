"""The C flags of every edgekit build: firmware (ek_build.json), host verifier, tests.

One list each, so the firmware, the host `verify` build and the kernel harnesses in
tests/kernels/support compile the kernels the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGE = "-std=c99"
OPTIMIZE = "-O2"
SECTIONS = ("-ffunction-sections", "-fdata-sections")  # lets --gc-sections drop what is unused
WARNINGS = ("-Wall", "-Wextra", "-Werror")  # generated C compiles clean with these
SANITIZE = ("-fsanitize=address,undefined", "-fno-sanitize-recover=all",
            "-fno-omit-frame-pointer", "-g")
# Folders of a project (relative to it) that hold C sources and headers.
SOURCE_DIRS = ("src", "src/bsp", "src/runtime", "src/kernels")


def firmware_opt_flags() -> list[str]:
    """Optimisation and language flags of a firmware build (after the board's CPU flags)."""
    return [OPTIMIZE, LANGUAGE, *SECTIONS]


def host_flags(optimize: str = OPTIMIZE, sanitize: bool = False) -> list[str]:
    """Flags of a host build of the kernels (verify, tests): C99, warnings as errors."""
    return [LANGUAGE, optimize, *WARNINGS, *(SANITIZE if sanitize else ())]


def define_flags(defines: Mapping[str, str]) -> list[str]:
    """-DNAME=VALUE for each define, in name order (stable command lines)."""
    return [f"-D{name}={value}" for name, value in sorted(defines.items())]
