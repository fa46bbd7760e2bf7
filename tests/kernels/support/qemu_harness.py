"""Run many kernel cases in ONE firmware on qemu-cortex-m4 (mps2-an386), Arm DSP path,
or on qemu-cortex-m55 (mps3-an547) with `target=M55` (MVE path once the variant exists).

Each case: its lowering (LoweringContext variant "arm-dsp" by default), inputs embedded
as const data, the call timed with CMSDK timer0 under `-icount shift=0` (1 tick = 40
executed instructions), outputs sent back in hex over UART0. The cross compile uses
-DEK_ARM_DSP=1, so the ACLE/inline-assembly path runs, not the portable twins.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgekit.boards import load_board
from edgekit.ir import Graph, Op
from edgekit.kernels.lowering import LoweringContext
from edgekit.kernels.variants import kernel_variant
from edgekit.targets.flags import WARNINGS, define_flags, firmware_opt_flags
from edgekit.targets.qemu import qemu_machine

from .csource import activation_inputs, render_case
from .harness import kernels_dir, lower

HERE = Path(__file__).resolve().parent / "qemu_m4"
BOARD = load_board("qemu-cortex-m4")  # the board's own CPU flags, QEMU machine and tick
ARM_CC = BOARD.cc
CPU_FLAGS = list(BOARD.cflags)
# The firmware's flags (edgekit/targets/flags.py) with the arm-dsp variant's defines.
CFLAGS = [*firmware_opt_flags(), *WARNINGS, *define_flags(kernel_variant("arm-dsp").defines)]
assert BOARD.qemu is not None
INSTRUCTIONS_PER_TICK = int(BOARD.qemu.instructions_per_tick)
DSP_CTX = LoweringContext(variant="arm-dsp")


@dataclass(frozen=True)
class QemuTarget:
    """A board the kernel-test firmware runs on: its CPU flags, C defines, linker script."""
    board_name: str
    defines: tuple[str, ...]  # kernel variant defines plus the runtime's (startup.c)
    linker_script: str

    @property
    def board(self):  # type: ignore[no-untyped-def]
        return load_board(self.board_name)


M4 = QemuTarget("qemu-cortex-m4", tuple(define_flags(kernel_variant("arm-dsp").defines)), "sections.ld")


def m55_target(variant: str) -> QemuTarget:
    return QemuTarget("qemu-cortex-m55",
                      (*define_flags(kernel_variant(variant).defines), "-DKT_UART_BASE=0x59303000u",
                       "-DKT_FPGAIO_COUNTER=0x59302018u"), "sections_m55.ld")


def available() -> bool:
    return shutil.which(ARM_CC) is not None and shutil.which(BOARD.qemu.binary) is not None


@dataclass
class QemuCase:
    graph: Graph
    op: Op
    inputs: Sequence[np.ndarray]
    ctx: LoweringContext | None = None  # None: the run's context (one firmware, mixed roundings)


@dataclass
class QemuResult:
    outputs: list[np.ndarray]
    instructions: int  # executed instructions of the kernel call (resolution 40)


def _c_bytes(data: bytes) -> str:
    return ",".join(str(b) for b in data) or "0"


def firmware_source(cases: Sequence[QemuCase], ctx: LoweringContext) -> tuple[str, list]:
    parts, funcs, layouts, headers = [], [], [], ["ek_common.h"]
    for i, case in enumerate(cases):
        lowering = lower(case.graph, case.op, case.ctx or ctx)
        src = render_case(case.graph, case.op, lowering, prefix=f"c{i}_")
        headers += src.headers
        parts.append(src.declarations)
        act = activation_inputs(case.graph, case.op)
        copies = []
        for k, ((name, size), t) in enumerate(zip(src.inputs, act)):
            data = np.ascontiguousarray(np.asarray(case.inputs[k], dtype=case.graph.tensors[t].dtype)).tobytes()
            parts.append(f"static const uint8_t {name}_data[{max(len(data), 1)}] = {{{_c_bytes(data)}}};")
            copies.append(f"    memcpy({name}, {name}_data, {size});")
        prints = "\n".join(f'    kt_puts(" "); kt_put_hex({n}, {s});' for n, s in src.outputs)
        touch = "\n".join(f"    (void){n};" for n in src.constant_names)
        funcs.append(f"""
__attribute__((noinline)) static void case{i}(void)
{{
{touch}
{chr(10).join(copies)}
    const uint32_t t0 = kt_ticks();
    {{
{src.call}
    }}
    const uint32_t t1 = kt_ticks();
    kt_puts("CASE {i} "); kt_put_u32(t0 - t1);
{prints}
    kt_puts("\\n");
}}""")
        layouts.append([(case.graph.tensors[t].dtype, case.graph.tensors[t].shape) for t in case.op.outputs])
    include = "\n".join(f'#include "{h}"' for h in dict.fromkeys(headers))
    calls = "\n".join(f"    case{i}();" for i in range(len(cases)))
    source = f"""#include <stdint.h>
#include <string.h>
#include "kt_runtime.h"
{include}

{chr(10).join(parts)}
{''.join(funcs)}

int main(void)
{{
    const uint32_t t0 = kt_ticks();
    const uint32_t t1 = kt_ticks();
    kt_puts("BASE "); kt_put_u32(t0 - t1); kt_puts("\\n");
{calls}
    kt_puts("DONE\\n");
    return 0;
}}
"""
    return source, layouts


def build_firmware(source: str, workdir: Path, extra_cflags: Sequence[str] = (),
                   target: QemuTarget = M4) -> Path:
    main = workdir / "cases.c"
    main.write_text(source)
    elf = workdir / "cases.elf"
    board = target.board
    cmd = [board.cc, *board.cflags, *firmware_opt_flags(), *WARNINGS, *target.defines, *extra_cflags,
           f"-I{kernels_dir()}", f"-I{HERE}",
           str(main), str(HERE / "startup.c"), *map(str, sorted(kernels_dir().glob("*.c"))),
           "--specs=nano.specs", "--specs=nosys.specs", "-nostartfiles", f"-L{HERE}",
           f"-T{HERE / target.linker_script}", "-Wl,--gc-sections", "-o", str(elf), "-lm"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"cross compile failed:\n{result.stderr[-4000:]}")
    return elf


def run_elf(elf: Path, timeout: float = 300, target: QemuTarget = M4) -> str:
    cmd = qemu_machine(target.board).command(elf, "stdio")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0 or "DONE" not in result.stdout:
        raise RuntimeError(f"firmware failed (status {result.returncode}):\n{result.stdout[-2000:]}"
                           f"\n{result.stderr[-2000:]}")
    return result.stdout


def run_cases(cases: Sequence[QemuCase], ctx: LoweringContext = DSP_CTX,
              extra_cflags: Sequence[str] = (), timeout: float = 300, target: QemuTarget = M4,
              keep_elf: Path | None = None) -> list[QemuResult]:
    source, layouts = firmware_source(cases, ctx)
    with tempfile.TemporaryDirectory(prefix="ek-qemu-") as tmp:
        elf = build_firmware(source, Path(tmp), extra_cflags, target)
        if os.environ.get("EK_KEEP_QEMU_ELF"):
            shutil.copy(elf, os.environ["EK_KEEP_QEMU_ELF"])
        if keep_elf is not None:
            shutil.copy(elf, keep_elf)
        text = run_elf(elf, timeout, target)
    base = 0
    results: dict[int, QemuResult] = {}
    for line in text.splitlines():
        fields = line.split()
        if fields[:1] == ["BASE"]:
            base = int(fields[1])
        elif fields[:1] == ["CASE"]:
            i, ticks = int(fields[1]), int(fields[2])
            outs = [np.frombuffer(bytes.fromhex(h), dtype=dtype).reshape(shape).copy()
                    for h, (dtype, shape) in zip(fields[3:], layouts[i])]
            per_tick = int(target.board.qemu.instructions_per_tick)
            results[i] = QemuResult(outs, max(ticks - base, 0) * per_tick)
    missing = [i for i in range(len(cases)) if i not in results]
    if missing:
        raise RuntimeError(f"no result for cases {missing}")
    return [results[i] for i in range(len(cases))]


def oracle_cases(models: Iterable[bytes], rng: np.random.Generator,
                 rounding: str) -> tuple[list[QemuCase], list[list[np.ndarray]]]:
    """One QemuCase per one-op model with seeded random inputs, and the `rounding` oracle's
    outputs for each (what every batch test on an emulated core compares against)."""
    from edgekit.load import load_tflite_bytes

    from .harness import random_inputs
    from .reference import run_oracle

    cases, expected = [], []
    for model in models:
        graph = load_tflite_bytes(model)
        x = random_inputs(graph, graph.ops[0], rng)
        cases.append(QemuCase(graph, graph.ops[0], x))
        expected.append(run_oracle(model, x, rounding))
    return cases, expected


def bit_exact(results: Sequence[QemuResult], expected: Sequence[Sequence[np.ndarray]]) -> list[bool]:
    """Per case: its first output is the oracle's, byte for byte."""
    return [bool(np.array_equal(r.outputs[0], np.asarray(e[0]).reshape(r.outputs[0].shape)))
            for r, e in zip(results, expected)]


def mismatches(cases: Sequence[QemuCase], results: Sequence[QemuResult],
               expected: Sequence[Sequence[np.ndarray]]) -> list[str]:
    """The cases whose first output differs from the oracle's, as "case i (OP)"."""
    return [f"case {i} ({c.op.type})" for i, (c, exact) in enumerate(zip(cases, bit_exact(results, expected)))
            if not exact]
