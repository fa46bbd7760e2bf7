"""Run one IR op through its registered lowering and the C kernel library, on the host.

`run_op` writes a small C program (constants as static const arrays, activations as
static buffers, the lowering's call), compiles it with the host cc against a cached
archive of firmware/kernels/*.c, and runs it: inputs on stdin, outputs on stdout.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.lowering import LoweringContext, OpLowering, lower_op
from edgekit.resources import data_dir
from edgekit.targets.flags import SANITIZE as FLAG_SANITIZE
from edgekit.targets.flags import host_flags

from .csource import activation_inputs, render_case

CFLAGS = host_flags("-O1")  # edgekit/targets/flags.py; -O1 keeps the many small builds quick
SANITIZE = list(FLAG_SANITIZE)
CC = os.environ.get("CC", "cc")
DEFAULT_CTX = LoweringContext()


def kernels_dir() -> Path:
    return data_dir("firmware") / "kernels"


def _cache_root() -> Path:
    root = Path(tempfile.gettempdir()) / f"edgekit-kernel-cache-{os.getuid()}"
    root.mkdir(parents=True, exist_ok=True)
    return root


def kernel_library(sanitize: bool = False, extra_flags: Sequence[str] = ()) -> Path:
    """Static archive of every firmware/kernels/*.c, rebuilt only when a source changes."""
    flags = CFLAGS + (SANITIZE if sanitize else []) + list(extra_flags)
    sources = sorted(kernels_dir().glob("*.c"))
    digest = hashlib.sha256(" ".join([CC] + flags).encode())
    for path in sorted(kernels_dir().glob("*.[ch]")):
        digest.update(path.name.encode() + path.read_bytes())
    archive = _cache_root() / f"libek-{digest.hexdigest()[:20]}.a"
    if archive.exists():
        return archive
    with tempfile.TemporaryDirectory(dir=_cache_root()) as tmp:
        objects = []
        for src in sources:
            obj = Path(tmp) / (src.stem + ".o")
            _run([CC, *flags, f"-I{kernels_dir()}", "-c", str(src), "-o", str(obj)])
            objects.append(str(obj))
        staged = Path(tmp) / "lib.a"
        _run(["ar", "rcs", str(staged), *objects] if objects else ["ar", "rcs", str(staged)])
        os.replace(staged, archive)  # atomic: parallel workers may race here
    return archive


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, capture_output=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        err = result.stderr.decode(errors="replace") if isinstance(result.stderr, bytes) else result.stderr
        raise RuntimeError(f"command failed ({result.returncode}): {' '.join(cmd[:3])} ...\n{err[-4000:]}")
    return result


def lower(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    lowering = lower_op(graph, op, ctx)
    if lowering is None:
        raise LookupError(f"no lowering registered for {op.type}")
    return lowering


def host_program(graph: Graph, op: Op, lowering: OpLowering,
                 arena: dict[str, int] | None = None) -> str:
    case = render_case(graph, op, lowering, prefix="k_", arena=arena)
    headers = "\n".join(f'#include "{h}"' for h in dict.fromkeys(["stdint.h"] + case.headers))
    reads = "\n".join(
        f"    if (fread({n}, 1, {s}, stdin) != {s}) return 3;" for n, s in case.inputs if s > 0)
    writes = "\n".join(f"    fwrite({n}, 1, {s}, stdout);" for n, s in case.outputs)
    touch = "\n".join(f"    (void){n};" for n in case.constant_names)
    return f"""#include <stdio.h>
{headers}

{case.declarations}

int main(void)
{{
{touch}
{reads}
    {{
{case.call}
    }}
{writes}
    return 0;
}}
"""


def run_op(graph: Graph, op: Op, inputs: Sequence[np.ndarray], ctx: LoweringContext = DEFAULT_CTX,
           sanitize: bool = False, lowering: OpLowering | None = None,
           arena: dict[str, int] | None = None) -> list[np.ndarray]:
    """Outputs of `op` computed by the C kernel its lowering calls. `arena` overlaps
    activations in one buffer (see csource.render_case): inputs are written before the
    call, outputs read after it."""
    lowering = lowering if lowering is not None else lower(graph, op, ctx)
    library = kernel_library(sanitize)
    source = host_program(graph, op, lowering, arena)
    act = activation_inputs(graph, op)
    if len(inputs) != len(act):
        raise ValueError(f"{op.type} takes {len(act)} activation inputs, got {len(inputs)}")
    stdin = b"".join(np.ascontiguousarray(np.asarray(x, dtype=graph.tensors[t].dtype)).tobytes()
                     for x, t in zip(inputs, act))
    with tempfile.TemporaryDirectory(dir=_cache_root()) as tmp:
        c_file = Path(tmp) / "case.c"
        exe = Path(tmp) / "case"
        c_file.write_text(source)
        flags = CFLAGS + (SANITIZE if sanitize else [])
        _run([CC, *flags, f"-I{kernels_dir()}", str(c_file), str(library), "-o", str(exe), "-lm"])
        result = subprocess.run([str(exe)], input=stdin, capture_output=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{op.type} kernel program failed ({result.returncode}):\n"
                               f"{result.stderr.decode(errors='replace')[-4000:]}")
    outputs, offset = [], 0
    for t in op.outputs:
        tensor = graph.tensors[t]
        n = tensor.nbytes
        outputs.append(np.frombuffer(result.stdout[offset:offset + n], dtype=tensor.dtype)
                       .reshape(tensor.shape).copy())
        offset += n
    if offset != len(result.stdout):
        raise RuntimeError(f"{op.type}: program wrote {len(result.stdout)} bytes, expected {offset}")
    return outputs


def random_inputs(graph: Graph, op: Op, rng: np.random.Generator) -> list[np.ndarray]:
    """Uniform random values over each activation input's whole dtype range."""
    values = []
    for t in activation_inputs(graph, op):
        tensor = graph.tensors[t]
        if tensor.dtype in ("float32",):
            values.append(rng.uniform(-4, 4, size=tensor.shape).astype(np.float32))
        elif tensor.dtype == "bool":
            values.append(rng.integers(0, 2, size=tensor.shape).astype(bool))
        else:
            info = np.iinfo(tensor.dtype)
            values.append(rng.integers(info.min, info.max, size=tensor.shape, endpoint=True,
                                       dtype=np.int64).astype(tensor.dtype))
    return values


def check_model(model: bytes, ctx: LoweringContext = DEFAULT_CTX, sanitize: bool = False,
                seed: int = 0, inputs: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """Load a single-op model, run it through the oracle and the C kernel, assert every
    output byte is equal. Returns the outputs."""
    from edgekit.load import load_tflite_bytes

    from .reference import run_oracle

    graph = load_tflite_bytes(model)
    if len(graph.ops) != 1:
        raise ValueError(f"check_model wants a single-op model, got {len(graph.ops)} ops")
    op = graph.ops[0]
    if inputs is None:
        inputs = random_inputs(graph, op, np.random.default_rng(seed))
    expected = run_oracle(model, inputs, ctx.rounding)
    got = run_op(graph, op, inputs, ctx, sanitize=sanitize)
    for k, (e, g) in enumerate(zip(expected, got)):
        e = np.asarray(e).reshape(g.shape)
        if not np.array_equal(e, g):
            diff = np.abs(e.astype(np.int64) - g.astype(np.int64))
            where = np.argwhere(diff)[:5].tolist()
            raise AssertionError(f"{op.type} output {k} differs from the {ctx.rounding} oracle: "
                                 f"{int((diff > 0).sum())}/{diff.size} elements, max |diff| "
                                 f"{int(diff.max())}, first at {where}")
    return got
