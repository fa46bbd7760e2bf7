"""Host runs of many single-op cases in ONE compiled program, and in-place runs.

Compiling dominates the cost of a host case (~0.15 s each), so `check_models` renders
every case with its own name prefix (support.csource.render_case, as the QEMU harness
does), compiles once against the cached kernel library, and compares every output
byte with the oracle. `check_in_place` makes the kernel write over one of its inputs.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from support.csource import activation_inputs, render_case
from support.harness import (
    CC,
    CFLAGS,
    SANITIZE,
    _cache_root,
    _run,
    kernel_library,
    kernels_dir,
    lower,
    random_inputs,
    run_op,
)
from support.reference import run_oracle

from edgekit.kernels.lowering import LoweringContext, OpLowering
from edgekit.load import load_tflite_bytes

DEFAULT_CTX = LoweringContext()


def check_models(models: Sequence[bytes], ctx: LoweringContext = DEFAULT_CTX,
                 sanitize: bool = False, seed: int = 0,
                 inputs: Sequence[Sequence[np.ndarray]] | None = None,
                 oracle: Callable[[bytes, list[np.ndarray], str], list[np.ndarray]] = run_oracle) -> None:
    """`inputs`: each case's activation inputs (default: random over the dtype). float32
    outputs compare as values, NaN equal to NaN. `oracle`: the expected outputs (default
    run_oracle: TF's BUILTIN_REF or TFLite Micro)."""
    rng = np.random.default_rng(seed)
    parts, blocks, headers, stdin, expected, layouts = [], [], ["stdint.h"], [], [], []
    for i, model in enumerate(models):
        graph = load_tflite_bytes(model)
        op = graph.ops[0]
        x = list(inputs[i]) if inputs is not None else random_inputs(graph, op, rng)
        expected.append(oracle(model, x, ctx.rounding))
        src = render_case(graph, op, lower(graph, op, ctx), prefix=f"c{i}_")
        headers += src.headers
        parts.append(src.declarations)
        reads = "".join(f"    if (fread({n}, 1, {s}, stdin) != {s}) return 3;\n"
                        for n, s in src.inputs if s > 0)
        writes = "".join(f"    fwrite({n}, 1, {s}, stdout);\n" for n, s in src.outputs)
        touch = "".join(f"    (void){n};\n" for n in src.constant_names)
        blocks.append(f"{touch}{reads}    {{\n{src.call}\n    }}\n{writes}")
        stdin += [np.ascontiguousarray(np.asarray(v, dtype=graph.tensors[t].dtype)).tobytes()
                  for v, t in zip(x, activation_inputs(graph, op))]
        layouts.append((op.type, [graph.tensors[t] for t in op.outputs]))
    include = "".join(f'#include "{h}"\n' for h in dict.fromkeys(headers))
    source = (f"#include <stdio.h>\n{include}\n" + "\n".join(parts)
              + "\n\nint main(void)\n{\n" + "".join(blocks) + "    return 0;\n}\n")
    flags = CFLAGS + (SANITIZE if sanitize else [])
    with tempfile.TemporaryDirectory(dir=_cache_root()) as tmp:
        c_file, exe = Path(tmp) / "cases.c", Path(tmp) / "cases"
        c_file.write_text(source)
        _run([CC, *flags, f"-I{kernels_dir()}", str(c_file), str(kernel_library(sanitize)), "-o", str(exe), "-lm"])
        result = subprocess.run([str(exe)], input=b"".join(stdin), capture_output=True, timeout=120,
                                check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    offset, bad = 0, []
    for i, ((op_type, outs), exp) in enumerate(zip(layouts, expected)):
        for k, (t, e) in enumerate(zip(outs, exp)):
            got = np.frombuffer(result.stdout[offset:offset + t.nbytes], dtype=t.dtype)
            offset += t.nbytes
            e = np.asarray(e).reshape(-1)
            if not np.array_equal(got, e, equal_nan=got.dtype.kind == "f"):
                diff = np.abs(got.astype(np.float64) - e.astype(np.float64))
                bad.append(f"case {i} {op_type} out{k}: {int((diff > 0).sum())}/{diff.size} differ, "
                           f"max {diff.max():g}")
    assert offset == len(result.stdout), "program wrote an unexpected number of bytes"
    assert not bad, f"differs from the {ctx.rounding} oracle: " + "; ".join(bad)


def check_in_place(model: bytes, which: int = 0, ctx: LoweringContext = DEFAULT_CTX,
                   sanitize: bool = False, seed: int = 0) -> None:
    """The kernel writes over input `which`; the result is copied to the output."""
    graph = load_tflite_bytes(model)
    op = graph.ops[0]
    out = graph.tensors[op.outputs[0]]
    x = random_inputs(graph, op, np.random.default_rng(seed))
    assert x[which].nbytes == out.nbytes, "in place needs an input of the output's size"
    base = lower(graph, op, ctx)
    # {out0} or a typed {out0:int16_t} becomes the same placeholder of input `which`.
    call = re.sub(r"\{out0(:[^}]*)?\}", lambda m: f"{{in{which}{m.group(1) or ''}}}", base.call)
    assert call != base.call, "the lowering does not write {out0}"
    wrapped = OpLowering(call=f"{call}\nmemcpy({{out0}}, {{in{which}}}, {out.nbytes});",
                         headers=["string.h", *base.headers], constants=base.constants,
                         scratch_bytes=base.scratch_bytes)
    got = run_op(graph, op, x, ctx, sanitize=sanitize, lowering=wrapped)[0]
    expected = np.asarray(run_oracle(model, x, ctx.rounding)[0]).reshape(got.shape)
    assert np.array_equal(got, expected), (
        f"{op.type} in place over input {which}: {int((got != expected).sum())} bytes differ")
