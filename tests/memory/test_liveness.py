"""Liveness and the liveness lower bound."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from edgekit.load import load_tflite
from edgekit.memory import compute_liveness, liveness_lower_bound, tensor_lifetimes

from .graphs import GraphBuilder


def test_lifetimes_inputs_outputs_constants_and_scratch() -> None:
    b = GraphBuilder()
    x = b.input((1, 4, 4, 2))
    y = b.conv(x, 4)  # op 0
    z = b.unary(y)  # op 1
    side = b.pool(y, 2, 2)  # op 2: y read again, so y lives to step 2
    out = b.add(z, z)  # op 3
    graph = b.build([out, side])
    life = tensor_lifetimes(graph)
    assert life == {x: (0, 0), y: (0, 2), z: (1, 3), side: (2, 3), out: (3, 3)}
    # Constants (weights, bias) are not buffers; scratch lives during its op only.
    buffers = compute_liveness(graph, scratch_bytes=lambda op: 100 if op.type == "CONV_2D" else 0)
    assert {t for buf in buffers for t in buf.tensors} == set(life)
    scratch = [buf for buf in buffers if buf.op is not None]
    assert [(s.op, s.size, s.first_use, s.last_use) for s in scratch] == [(0, 100, 0, 0)]


def test_lower_bound_is_peak_of_live_bytes_and_depends_on_order() -> None:
    b = GraphBuilder()
    x = b.input((1, 8, 8, 4))  # 256 B
    big = b.conv(x, 16, 1, 1)  # op 0: 1024 B, read by op 2
    small = b.conv(x, 8, 1, 1)  # op 1: 512 B
    pooled = b.pool(big, 8, 8, "VALID", "AVERAGE_POOL_2D")  # op 2: 16 B
    out = b.add(pooled, b.pool(b.conv(small, 16, 1, 1), 8, 8))  # ops 3 (1024 B), 4, 5
    graph = b.build([out])
    per_order = {tuple(o): liveness_lower_bound(graph, o) for o in ([0, 1, 2, 3, 4, 5], [0, 2, 1, 3, 4, 5])}
    # Graph order: at op 1, x (256) + big (1024) + small (512) are alive.
    assert per_order[(0, 1, 2, 3, 4, 5)] == 256 + 1024 + 512
    # Pooling `big` before the second branch frees it earlier: peak at op 3, small + pooled + conv.
    assert per_order[(0, 2, 1, 3, 4, 5)] == 512 + 16 + 1024
    with pytest.raises(Exception, match="before tensor"):
        liveness_lower_bound(graph, [2, 0, 1, 3, 4, 5])


def _readme_lower_bounds(readme: Path) -> dict[str, int]:
    text = readme.read_text(encoding="utf-8")
    found = {}
    for file_name, section in re.findall(r"^## (\w+)\.tflite(.*?)(?=^## |\Z)", text, re.DOTALL | re.MULTILINE):
        match = re.search(r"Activation memory lower bound: ([\d,]+) bytes", section)
        if match:
            found[file_name] = int(match.group(1).replace(",", ""))
    return found


def test_lower_bounds_match_models_readme(mlperf_models: dict[str, Path]) -> None:
    expected = _readme_lower_bounds(next(iter(mlperf_models.values())).parent / "README.md")
    assert len(expected) == 4
    for path in mlperf_models.values():
        assert liveness_lower_bound(load_tflite(path)) == expected[path.stem], path.stem
