"""Shared test fixtures: paths to the MLPerf Tiny models and the example model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parent.parent
SHARED_MODELS = REPO.parent / "shared" / "models"
MLPERF_MODELS = {
    "kws": SHARED_MODELS / "kws_ds_cnn_int8.tflite",
    "vww": SHARED_MODELS / "vww_mobilenet_int8.tflite",
    "ic": SHARED_MODELS / "ic_resnet8_int8.tflite",
    "ad": SHARED_MODELS / "ad_autoencoder_int8.tflite",
}


@pytest.fixture(scope="session")
def mlperf_models() -> dict[str, Path]:
    missing = [str(p) for p in MLPERF_MODELS.values() if not p.is_file()]
    if missing:
        pytest.fail(f"MLPerf Tiny models missing (../shared/models): {missing}")
    return MLPERF_MODELS


@pytest.fixture(params=sorted(MLPERF_MODELS), ids=sorted(MLPERF_MODELS))
def mlperf_model(request: pytest.FixtureRequest) -> Path:
    return MLPERF_MODELS[request.param]
