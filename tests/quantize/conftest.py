"""Fixtures for the quantization tests: the digits example, built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[2]


def quadrant_data(n: int, seed: int) -> tuple:
    """A learnable 4-class task: which 4x4 quadrant of a noisy 8x8 image is bright."""
    import numpy as np

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = np.full((n, 8, 8, 1), 0.2, np.float32)
    for i, label in enumerate(y):
        r, c = divmod(int(label), 2)
        x[i, 4 * r:4 * r + 4, 4 * c:4 * c + 4] = 0.8
    x += rng.normal(0.0, 0.3, x.shape).astype(np.float32)
    return x, y.astype(np.int64)


@pytest.fixture(scope="session")
def quadrant_models(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One small Keras 3 CNN trained on quadrant_data, saved as .keras and as a SavedModel
    (None batch), plus calibration and evaluation .npz files."""
    import keras
    import numpy as np

    out = tmp_path_factory.mktemp("quadrant")
    x, y = quadrant_data(1200, seed=1)
    x_eval, y_eval = quadrant_data(400, seed=2)
    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        keras.layers.MaxPooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(4, activation="softmax"),
    ])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    paths = {"keras": out / "quadrant.keras", "saved_model": out / "quadrant_saved_model",
             "calib": out / "calib.npz", "eval": out / "eval.npz", "dir": out}
    model.save(paths["keras"])
    model.export(str(paths["saved_model"]), verbose=False)  # serving signature with a None batch
    np.savez(paths["calib"], x=x[:200])
    np.savez(paths["eval"], x=x_eval, y=y_eval)
    return paths
