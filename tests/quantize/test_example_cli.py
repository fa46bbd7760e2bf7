"""`edgekit quantize` from the command line on the digits example (shared session fixture)."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from edgekit.cli import main

# One worker builds the session fixture once (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("digits-example")


def test_example_fixture_is_accurate(digits_example) -> None:
    assert digits_example.float_accuracy > 0.9
    assert digits_example.int8_accuracy > 0.85
    assert abs(digits_example.float_accuracy - digits_example.int8_accuracy) <= 0.02


def test_cli_report_csv_and_eval(digits_example, tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    out, report = tmp_path / "d.tflite", tmp_path / "layers.csv"
    assert main(["quantize", str(digits_example.keras_model), "--calib", str(digits_example.calib),
                 "-o", str(out), "--report", str(report), "--eval", str(digits_example.test)]) == 0
    printed = capfd.readouterr().out
    assert "SQNR" in printed and "accuracy on 397 samples" in printed
    # Same code path as the example script: the same bytes.
    assert out.read_bytes() == digits_example.int8_model.read_bytes()
    rows = list(csv.DictReader(report.open()))
    ops = [row["op"] for row in rows]
    assert ops[:2] == ["CONV_2D", "DEPTHWISE_CONV_2D"] and ops[-1] == "SOFTMAX"
    for row in rows:
        sqnr = float(row["sqnr_db"])
        assert math.isfinite(sqnr) and sqnr > 20, row
        assert float(row["max_abs_error"]) >= float(row["rmse"]) >= 0
