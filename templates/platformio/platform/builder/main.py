"""SCons build script of edgekit's local PlatformIO platform.

It builds the project with the system cross compiler (or the host cc) and the flags in
the project's ek_build.json -- the same file edgekit's direct build reads
(edgekit/targets/gcc.py), so both produce the same firmware. `pio run -t upload`
starts the ELF in QEMU with UART0 on EK_QEMU_SERIAL (a QEMU chardev spec; default a TCP
server on 127.0.0.1:EK_QEMU_PORT, port 4444, waiting for the client before the CPU
starts). The host build runs the program with EK_SERIAL=tcp:EK_QEMU_PORT instead.
"""

import json
import os
import shlex
from os.path import join

from SCons.Script import DefaultEnvironment  # pylint: disable=import-error

env = DefaultEnvironment()
project_dir = env.subst("$PROJECT_DIR")
with open(join(project_dir, "ek_build.json"), encoding="utf-8") as fp:
    desc = json.load(fp)

env.Replace(
    CC=desc["cc"],
    AS=desc["cc"],
    LINK=desc["cc"],
    AR=desc["ar"],
    RANLIB=desc["ranlib"],
    SIZETOOL=desc["size"],
    PROGNAME="firmware",
    PROGSUFFIX=".elf",
    ASFLAGS=list(desc["cflags"]),
    CCFLAGS=list(desc["cflags"]) + list(desc["warnings"]),
    CPPDEFINES=[(k, v) for k, v in sorted(desc["defines"].items())],
    CPPPATH=[join(project_dir, d) for d in desc["include_dirs"]],
    LINKFLAGS=list(desc["ldflags"]),
    LIBPATH=[join(project_dir, d) for d in desc["lib_dirs"]],
    LIBS=list(desc["libs"]),
)
if desc["ldscript"]:
    env.Replace(LDSCRIPT_PATH=join(project_dir, desc["ldscript"]))

program = env.BuildProgram()
env.AddPostAction(program, env.VerboseAction("$SIZETOOL -B -d $TARGET", "Firmware size:"))

port = os.environ.get("EK_QEMU_PORT", "4444")
if desc["qemu"]:
    default_serial = f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"
    serial = os.environ.get("EK_QEMU_SERIAL") or default_serial
    command = list(desc["qemu"]) + ["-kernel", "$SOURCE", "-serial", serial]
    title = f"Starting {desc['board']} in QEMU (serial {serial})"
else:
    command = ["env", "EK_SERIAL=" + os.environ.get("EK_SERIAL", "tcp:" + port), "$SOURCE"]
    title = f"Running the host build (EK_SERIAL tcp:{port})"
env.AddPlatformTarget(
    "upload",
    program,
    env.VerboseAction(" ".join(shlex.quote(part) if "$" not in part else part
                               for part in command), title),
    "Upload",
)
env.Default(program)
