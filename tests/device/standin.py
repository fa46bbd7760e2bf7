"""NumPy mirror of the stand-in model (fw/standin_model.c) and its build for the host."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from edgekit.resources import data_dir
from edgekit.targets.flags import host_flags

FW_DIR = Path(__file__).resolve().parent / "fw"
IN_BYTES = 600
OUT_BYTES = 700
NUM_OPS = 3
IN_QUANT = (0.5, -3)
OUT_QUANT = (0.25, 5)


def reference(x: bytes, num_ops: int = NUM_OPS, out_bytes: int = OUT_BYTES) -> bytes:
    """What the stand-in computes: see the comment at the top of standin_model.c."""
    y = (np.frombuffer(x, dtype=np.uint8).astype(np.uint32) * 3 + 7) & 0xFF
    for k in range(1, num_ops - 1):
        y = (y + k) & 0xFF
    j = np.arange(out_bytes, dtype=np.uint32)
    return ((y[j % len(x)] ^ (j & 0x7F)) & 0xFF).astype(np.uint8).tobytes()


HOST_BOARD_H = """#ifndef EK_BSP_BOARD_H
#define EK_BSP_BOARD_H
#define EK_BSP_BOARD_NAME "host"
#define EK_BSP_EMULATED 0
#define EK_BSP_CPU_HZ 0u
#define EK_BSP_TICK_HZ 1000000u
#define EK_BSP_TICK_UNIT "us"
#define EK_BSP_UNITS_PER_TICK_NUM 1u
#define EK_BSP_UNITS_PER_TICK_DEN 1u
#endif
"""


def build_host_firmware(out: Path, *, num_ops: int = NUM_OPS, model_hash: str | None = None,
                        power_sensor: int = 0, extra_sources: tuple[Path, ...] = (),
                        extra_flags: tuple[str, ...] = ()) -> Path:
    """Compiles the real runtime + the stand-in model + a host BSP into one program
    whose serial port is stdin/stdout."""
    fw = data_dir("firmware")
    main_c = out / "main.c"
    main_c.write_text(render_main(num_ops))
    (out / "ek_bsp_board.h").write_text(HOST_BOARD_H)
    bsp_sources = [fw / "bsp" / "host" / "ek_bsp_host.c", fw / "bsp" / "common" / "ek_bsp_consts.c"]
    sources = [main_c, fw / "runtime" / "ek_protocol.c", fw / "runtime" / "ek_power.c",
               FW_DIR / "standin_model.c", *bsp_sources, *extra_sources]
    defines = [f"-DEK_STANDIN_OPS={num_ops}", f"-DEK_POWER_SENSOR={power_sensor}", *extra_flags]
    if model_hash:
        defines.append(f'-DEK_STANDIN_HASH="{model_hash}"')
    exe = out / "fw_host"
    cc = os.environ.get("CC") or shutil.which("cc") or "gcc"
    subprocess.run(
        [cc, *host_flags(), *defines,
         f"-I{fw / 'runtime'}", f"-I{fw / 'bsp'}", f"-I{out}", *map(str, sources), "-o", str(exe)],
        check=True, capture_output=True, text=True,
    )
    return exe


def render_main(num_ops: int) -> str:
    from edgekit.codegen.main_c import render_main_c

    return render_main_c(board="host", num_ops=num_ops, build_id="test-build")


def write_build(out: Path, board_name: str, *, num_ops: int = NUM_OPS,
                model_hash: str = "5a" * 32, compile_elf: bool = True,
                in_bytes: int = IN_BYTES, out_bytes: int = OUT_BYTES) -> Path:
    """A build directory like `edgekit build` writes (PlatformIO project + report.json),
    with the stand-in in place of a generated model."""
    import json

    from edgekit.boards import load_board
    from edgekit.codegen.main_c import render_main_c
    from edgekit.codegen.project import write_project
    from edgekit.targets import target_for

    board = load_board(board_name)
    sources = {
        "main.c": render_main_c(board=board.name, num_ops=num_ops, build_id=model_hash[:12]),
        "model.c": (FW_DIR / "standin_model.c").read_text(),
    }
    defines = {"EK_STANDIN_OPS": str(num_ops), "EK_STANDIN_HASH": f'"{model_hash}"',
               "EK_STANDIN_IN": str(in_bytes), "EK_STANDIN_OUT": str(out_bytes)}
    write_project(out, board, sources, defines=defines)
    elf = target_for(board).build_elf(out) if compile_elf else None
    ops = [{"index": k, "type": "STANDIN_OP", "macs": in_bytes if k < num_ops - 1 else out_bytes}
           for k in range(num_ops)]
    report = {"board": board.name, "model_sha256": model_hash, "build_id": model_hash[:12],
              "arena_bytes": 2 * in_bytes + out_bytes, "ops": ops,
              "macs": sum(op["macs"] for op in ops), "elf": str(elf) if elf else None,
              "project": str(out)}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return out
