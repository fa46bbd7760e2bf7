"""`edgekit export --format cmake` built with the system cc from a user program that
includes only the public header, run on the host, bit-exact with TFLite's reference."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from edgekit.export import ExportRequest, export_models
from edgekit.load import load_tflite
from edgekit.reference import random_inputs, reference_outputs

from .app import host_app, run_host, sample_bytes

SAMPLES = 3


def references(model: Path, seed: int) -> tuple[list[list[np.ndarray]], list[bytes]]:
    """Random inputs for the model and the reference's output bytes per sample."""
    graph = load_tflite(model)
    inputs = random_inputs(graph, SAMPLES, seed=seed)
    outputs = reference_outputs(model.read_bytes(), inputs, "tflite")
    return inputs, [b"".join(np.asarray(o[t]).tobytes() for t in graph.outputs) for o in outputs]


def interleave(per_model: list[list[bytes]]) -> bytes:
    return b"".join(b"".join(model[s] for model in per_model) for s in range(SAMPLES))


def test_cmake_export_runs_bit_exact_on_the_host(mlperf_models, tmp_path):
    model = mlperf_models["kws"]
    result = export_models(ExportRequest(models=[model], board="qemu-cortex-m4", out_dir=tmp_path / "kws",
                                         format="cmake", names=["kws"]))
    public = (tmp_path / "kws" / "include").iterdir()
    assert [p.name for p in public] == ["kws.h"]  # the user sees one header
    header = (tmp_path / "kws" / "include" / "kws.h").read_text()
    assert f"#define KWS_ARENA_BYTES {result.report['models'][0]['arena_bytes']}u" in header
    assert "ek_protocol" not in " ".join(p.name for p in (tmp_path / "kws" / "src").iterdir())
    kernels = set(result.report["kernels"])
    assert "ek_conv.c" in kernels and "ek_depthwise.c" in kernels
    assert "ek_gather.c" not in kernels and "ek_resize.c" not in kernels  # only what KWS calls
    inputs, expected = references(model, seed=4)
    exe = host_app(tmp_path, tmp_path / "kws", ["kws"], "kws", SAMPLES)
    assert run_host(exe, tmp_path, sample_bytes([[s] for s in inputs])) == b"".join(expected)
    # Re-entrant: the library's only writable objects are the arena and the model's state
    # (.data.rel.ro holds the const tables with pointers: read-only once relocated).
    table = subprocess.run(["objdump", "-t", str(exe.parent / "model" / "libkws.a")], capture_output=True,
                           text=True, timeout=60).stdout
    writable = {f[-1] for f in (line.split() for line in table.splitlines()) if len(f) >= 5 and " O " in f" {' '.join(f)} "
                and re.match(r"\.(data|bss)(?!\.rel\.ro)", f[-3])}
    assert writable == {"kws_arena", "kws_state"}, writable
    assert json.loads((tmp_path / "kws" / "export.json").read_text())["format"] == "cmake"


@pytest.mark.parametrize("concurrent", [False, True], ids=["shared", "concurrent"])
def test_two_models_in_one_image(mlperf_models, tmp_path, concurrent):
    """AD and KWS in one library: each model's outputs are those it gives alone (the
    reference); sharing one arena costs no more than the larger model alone, running them
    concurrently (outputs read after both ran) costs their sum."""
    models = [mlperf_models["ad"], mlperf_models["kws"]]
    request = ExportRequest(models=models, board="qemu-cortex-m4", out_dir=tmp_path / "both", format="cmake",
                            names=["ad", "kws"], concurrent=[["ad", "kws"]] if concurrent else [])
    report = export_models(request).report
    alone = [m["arena_bytes"] for m in report["models"]]
    if concurrent:
        assert report["arena_shared_bytes"] >= sum(alone)
    else:
        assert report["arena_shared_bytes"] <= max(-(-a // 16) * 16 for a in alone)
        assert report["arena_shared_bytes"] < report["arena_separate_bytes"]
    refs = [references(m, seed=7 + k) for k, m in enumerate(models)]
    data = sample_bytes([[refs[0][0][s], refs[1][0][s]] for s in range(SAMPLES)])
    exe = host_app(tmp_path, tmp_path / "both", ["ad", "kws"], "ad_shared", SAMPLES, late_outputs=concurrent)
    assert run_host(exe, tmp_path, data) == interleave([refs[0][1], refs[1][1]])
