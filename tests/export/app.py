"""The user's side of an export, written here as a user would: a C program that includes
only the models' public headers, a CMake project around it, and the I/O of its runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from edgekit.boards import load_board
from edgekit.targets.bsp import bsp_family, write_bsp, write_linker_script
from edgekit.targets.qemu import QemuTarget, qemu_machine

# read_bytes / write_bytes: a file on the host, a C array and the UART on the board.
_HOST_IO = """
#include <stdio.h>
static FILE *in_file, *out_file;
static int read_bytes(void *dst, uint32_t n) { return fread(dst, 1, n, in_file) == n; }
static void write_bytes(const void *src, uint32_t n) { fwrite(src, 1, n, out_file); }
static int open_io(int argc, char **argv)
{
    if (argc < 3) { return 0; }
    in_file = fopen(argv[1], "rb");
    out_file = fopen(argv[2], "wb");
    return in_file != NULL && out_file != NULL;
}
static int close_io(void) { fclose(in_file); return fclose(out_file) == 0; }
"""

_BOARD_IO = """
#include "ek_bsp.h"
#include "samples.h"
static uint32_t in_pos;
static int read_bytes(void *dst, uint32_t n)
{
    if (in_pos + n > sizeof samples) { return 0; }
    memcpy(dst, samples + in_pos, n);
    in_pos += n;
    return 1;
}
static void write_bytes(const void *src, uint32_t n)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)src;
    for (uint32_t i = 0; i < n; ++i) {
        ek_bsp_putc((uint8_t)hex[p[i] >> 4]);
        ek_bsp_putc((uint8_t)hex[p[i] & 15u]);
    }
    ek_bsp_putc((uint8_t)'\\n');
}
static void print_ticks(uint32_t ticks)
{
    char digits[11];
    int n = 0;
    do { digits[n++] = (char)('0' + ticks % 10u); ticks /= 10u; } while (ticks != 0u);
    ek_bsp_putc((uint8_t)'t');
    ek_bsp_putc((uint8_t)' ');
    while (n > 0) { ek_bsp_putc((uint8_t)digits[--n]); }
    ek_bsp_putc((uint8_t)'\\n');
}
static int open_io(int argc, char **argv) { (void)argc; (void)argv; ek_bsp_init(); (void)print_ticks; return 1; }
static int close_io(void) { return 1; }
"""


def program(names: list[str], samples: int, late_outputs: bool, board: bool, timing: bool = False) -> str:
    """main.c: for each sample, each model's inputs in, invoke, its outputs out (or, with
    late_outputs, every model's outputs after all of them ran: concurrent models). With
    timing (board only), a line "t TICKS" after each invoke: ek_bsp_ticks() around it."""
    lines = ["#include <stdint.h>", "#include <string.h>", *[f'#include "{n}.h"' for n in names],
             _BOARD_IO if board else _HOST_IO,
             "static void count(void *user, uint32_t op, const char *type, int end)",
             "{ (void)op; (void)end; if (type != NULL) { ++*(uint32_t *)user; } }",
             "int main(int argc, char **argv)", "{", "    uint32_t i;",
             "    if (!open_io(argc, argv)) { return 20; }"]
    for n in names:
        up = n.upper()
        lines += [f"    static uint32_t {n}_calls;",
                  f"    if ({n}_invoke() != {up}_NOT_INITIALIZED) {{ return 21; }}",
                  f"    if ({n}_init() != {up}_OK) {{ return 22; }}",
                  f"    if ({n}_input({up}_NUM_INPUTS) != NULL || {n}_output({up}_NUM_OUTPUTS) != NULL) {{ return 23; }}",
                  f"    {n}_set_profiler(count, &{n}_calls);"]
    lines += [f"    for (int s = 0; s < {samples}; ++s) {{"]
    for n in names:
        up = n.upper()
        lines += [f"        for (i = 0; i < {up}_NUM_INPUTS; ++i) {{",
                  f"            if (!read_bytes({n}_input(i)->data.raw, {n}_input(i)->bytes)) {{ return 24; }}",
                  "        }"]
        if timing:
            lines += ["        { uint32_t t0 = ek_bsp_ticks();",
                      f"          if ({n}_invoke() != {up}_OK) {{ return 25; }}",
                      "          print_ticks(ek_bsp_ticks() - t0); }"]
        else:
            lines += [f"        if ({n}_invoke() != {up}_OK) {{ return 25; }}"]
        if not late_outputs:
            lines += [f"        for (i = 0; i < {up}_NUM_OUTPUTS; ++i) {{ write_bytes({n}_output(i)->data.raw, {n}_output(i)->bytes); }}"]
    if late_outputs:
        for n in names:
            up = n.upper()
            lines += [f"        for (i = 0; i < {up}_NUM_OUTPUTS; ++i) {{ write_bytes({n}_output(i)->data.raw, {n}_output(i)->bytes); }}"]
    lines += ["    }"]
    for n in names:
        lines += [f"    if ({n}_calls != 2u * {n.upper()}_NUM_OPS * {samples}u) {{ return 26; }}"]
    lines += ["    return close_io() ? 0 : 27;", "}", ""]
    return "\n".join(lines)


def cmake_project(app: Path, export: Path, sources: list[str], library: str, extra: str = "") -> None:
    app.mkdir(parents=True, exist_ok=True)
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.13)\nproject(user_app LANGUAGES C)\n"
        f"add_subdirectory({export.as_posix()} model)\n"
        f"add_executable(app {' '.join(sources)})\n"
        "set_target_properties(app PROPERTIES C_STANDARD 99)\n"
        f"target_link_libraries(app PRIVATE {library})\n{extra}")


def cmake_build(app: Path, *args: str) -> Path:
    build = app / "build"
    # CFLAGS, not -DCMAKE_C_FLAGS: CMake adds it to the toolchain file's CPU flags.
    for command in (["cmake", "-S", str(app), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release", *args],
                    ["cmake", "--build", str(build), "-j2"]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                                env={**os.environ, "CFLAGS": "-Wall -Wextra -Werror"})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return build


def sample_bytes(samples: list[list[list[np.ndarray]]]) -> bytes:
    """samples[s][model][input] in the order the program reads them."""
    return b"".join(a.tobytes() for sample in samples for model in sample for a in model)


def host_app(work: Path, export: Path, names: list[str], library: str, samples: int,
             late_outputs: bool = False) -> Path:
    app = work / "app"
    cmake_project(app, export, ["main.c"], library)
    (app / "main.c").write_text(program(names, samples, late_outputs, board=False))
    cc = shutil.which("cc") or "cc"
    return cmake_build(app, f"-DCMAKE_C_COMPILER={cc}") / "app"


def run_host(exe: Path, work: Path, data: bytes) -> bytes:
    (work / "in.bin").write_bytes(data)
    result = subprocess.run([str(exe), str(work / "in.bin"), str(work / "out.bin")], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr)
    return (work / "out.bin").read_bytes()


TOOLCHAIN = """set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)
set(CMAKE_C_FLAGS_INIT "{cflags} --specs=nano.specs")
set(CMAKE_EXE_LINKER_FLAGS_INIT "--specs=nosys.specs -nostartfiles -Wl,--gc-sections -L{ld} -T{ld}/link.ld")
"""


def qemu_app(work: Path, export: Path, names: list[str], library: str, data: bytes, samples: int,
             board_name: str = "qemu-cortex-m4", timing: bool = False) -> Path:
    """The same program for the emulated board: edgekit's BSP and linker script for it (a
    user would bring their own), the samples in a C array, the outputs in hex on the UART."""
    board = load_board(board_name)
    target = QemuTarget(board)
    app = work / "app"
    family = bsp_family(board.bsp or "")
    bsp = write_bsp(board, family, app / "bsp", target.header_context())
    write_linker_script(board, family, app / "ld", target.linker_context())
    (app / "toolchain.cmake").write_text(TOOLCHAIN.format(cflags=" ".join(board.cflags), ld=(app / "ld").as_posix()))
    (app / "samples.h").write_text("static const uint8_t samples[] = {" + ",".join(str(b) for b in data) + "};\n")
    (app / "main.c").write_text(program(names, samples, False, board=True, timing=timing))
    sources = ["main.c", *[f"bsp/{p.name}" for p in bsp if p.suffix == ".c"]]
    cmake_project(app, export, sources, library, "target_include_directories(app PRIVATE bsp .)\n")
    build = cmake_build(app, f"-DCMAKE_TOOLCHAIN_FILE={app / 'toolchain.cmake'}")
    return build / "app"


def run_qemu_lines(elf: Path, board_name: str = "qemu-cortex-m4") -> list[str]:
    """Runs the ELF to its semihosting exit (status 0); the lines it printed."""
    command = [*qemu_machine(load_board(board_name)).base_command(), "-kernel", str(elf), "-serial", "stdio"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, (result.returncode, result.stdout[-500:], result.stderr[-500:])
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def run_qemu(elf: Path, board_name: str = "qemu-cortex-m4") -> bytes:
    """The output bytes the program printed in hex (timing lines left out)."""
    return b"".join(bytes.fromhex(line) for line in run_qemu_lines(elf, board_name) if not line.startswith("t"))
