"""`edgekit plan` on a real model: chart, JSON contract, PNG, user errors."""

from __future__ import annotations

import json
from pathlib import Path

from edgekit.cli import main


def test_plan_chart_json_png(mlperf_models: dict[str, Path], tmp_path: Path, capsys) -> None:
    model = mlperf_models["kws"]
    assert main(["plan", str(model), "--time-budget", "0.2"]) == 0
    text = capsys.readouterr().out
    assert "legend" in text and "lower bound" in text and "greedy_by_size/plain" in text

    png = tmp_path / "plan.png"
    assert main(["plan", str(model), "--json", "--board", "qemu-cortex-m4", "--png", str(png),
                 "--time-budget", "0.2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert set(data["planners"]) == {"greedy_by_size", "heuristic", "search"}
    assert data["arena_bytes"] <= min(data["planners"].values())
    assert data["alignment"] == 16 and data["arena_bytes"] % 16 == 0
    assert data["lower_bound_bytes"] > 0 and data["buffers"]
    top = max(b["offset"] + b["size"] for b in data["buffers"])
    assert top <= data["arena_bytes"]


def test_plan_user_errors(tmp_path: Path, mlperf_models: dict[str, Path], capsys) -> None:
    assert main(["plan", str(tmp_path / "missing.tflite")]) == 2
    assert main(["plan", str(mlperf_models["ad"]), "--board", "no-such-board"]) == 2
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"not a flatbuffer")
    assert main(["plan", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 3 and "Traceback" not in err
