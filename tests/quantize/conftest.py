"""Fixtures for the quantization tests: the digits example, built once per session."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[2]


def load_example_module() -> ModuleType:
    """examples/train_example.py as a module (examples/ is not a package)."""
    path = REPO / "examples" / "train_example.py"
    spec = importlib.util.spec_from_file_location("edgekit_train_example", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def digits_example(tmp_path_factory: pytest.TempPathFactory):
    """Trained digits CNN: .keras, int8 .tflite, calibration and test .npz (ExampleOutputs)."""
    out = tmp_path_factory.mktemp("digits_example")
    return load_example_module().train_example(out)
