"""Shared test fixtures: paths to the MLPerf Tiny models and the example model."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

# CI runs the same examples every time (reproducible results); local runs explore new ones.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

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


def load_example_module() -> ModuleType:
    """examples/train_example.py as a module (examples/ is not a package)."""
    path = REPO / "examples" / "train_example.py"
    spec = importlib.util.spec_from_file_location("edgekit_train_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def digits_example(tmp_path_factory: pytest.TempPathFactory):
    """Trained digits CNN: .keras, int8 .tflite, calibration and test .npz (ExampleOutputs)."""
    out = tmp_path_factory.mktemp("digits_example")
    return load_example_module().train_example(out)
