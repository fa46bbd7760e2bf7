"""`edgekit mlperf`: accuracy and performance runs against --mlperf builds in QEMU."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from edgekit import api
from edgekit.cli import main
from edgekit.mlperf import score
from edgekit.mlperf.benchmarks import BENCHMARKS
from edgekit.mlperf.dataset import read_dataset
from tests.mlperf.support import make_dataset, reference_scores
from tests.mlperf.test_dut import builds, model_path  # noqa: F401 (the module-scoped builds)

pytestmark = [pytest.mark.qemu, pytest.mark.xdist_group("mlperf")]


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["mlperf", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("model_id,files", [("kws01", 6), ("ic01", 4), ("ad01", 4),
                                            pytest.param("vww01", 2, marks=pytest.mark.slow)])
def test_accuracy_agrees_with_the_reference_kernels(builds: dict[str, Path], tmp_path: Path,  # noqa: F811
                                                    capsys: pytest.CaptureFixture[str],
                                                    model_id: str, files: int) -> None:
    data = make_dataset(tmp_path / model_id, model_id, files, seed=7)
    result = _run_json(capsys, str(builds[model_id]), "--data", str(tmp_path))
    samples = read_dataset(data, model_id, BENCHMARKS[model_id].input_bytes)
    expected = []
    for sample in samples:
        per_window = [reference_scores(model_path(model_id), model_id, w) for w in sample.windows]
        if model_id == "ad01":
            assert len(per_window) == 3  # 7 frames, windows of 5 every frame
            expected.append([float(np.mean([w[0] for w in per_window]))])
        else:
            expected.append(score.normalize(per_window[0]))
    assert result["samples"] == files and result["labels"] == [s.label for s in samples]
    assert result["scores"] == expected
    scores, labels = np.array(expected), np.array(result["labels"])
    if model_id == "ad01":
        assert result["top1"] == pytest.approx(score.anomaly_accuracy(scores[:, 0], labels))
    else:
        assert result["top1"] == pytest.approx(score.top1(scores, labels))
    assert result["auc"] == pytest.approx(score.auc(scores, labels))


def test_performance_counts_the_instructions_profile_counts(builds: dict[str, Path], tmp_path: Path,  # noqa: F811
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    make_dataset(tmp_path / "kws01", "kws01", 2)
    result = _run_json(capsys, str(builds["kws01"]), "--mode", "performance", "--data", str(tmp_path),
                       "--min-window-s", "0.02")
    assert result["emulated"] and len(result["windows"]) == 5
    assert all(w["iterations"] >= 70 and w["warmups"] == 10 for w in result["windows"])
    assert result["median_throughput"] == pytest.approx(
        np.median([w["iterations"] / w["device_seconds"] for w in result["windows"]]))
    # The same model through edgekit's own protocol firmware and `profile`.
    protocol = api.build(model_path("kws01"), "qemu-cortex-m4", tmp_path / "protocol")
    profiled = api.profile(protocol.out_dir, runs=1).to_json()["total_counts"]
    per_inference = result["instructions_per_inference"]
    # The DUT's loop adds the input copy (490 bytes) and its own few instructions per
    # inference, and m-lap-us has a resolution of 1,000 instructions over the window.
    assert profiled <= per_inference <= profiled + 400
