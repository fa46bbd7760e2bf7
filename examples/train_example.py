"""Train a small CNN on scikit-learn's digits and quantize it to full int8 with edgekit.

    python examples/train_example.py [OUT_DIR]      (default examples/out/)

Writes into OUT_DIR:
    digits_float.keras    the trained float Keras 3 model (input 8x8x1, values 0..1)
    digits_int8.tflite    full int8 (int8 input and output), via edgekit.api.quantize —
                          the same code path as `edgekit quantize`
    digits_calib.npz      calibration samples x (and labels y)
    digits_test.npz       held-out evaluation samples x, y

The data ships inside the scikit-learn package, so nothing is downloaded. The ops are
CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D, AVERAGE_POOL_2D, RESHAPE (Flatten),
FULLY_CONNECTED and SOFTMAX. Seeds are fixed; the whole run takes well under 30 s.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_OUT = Path(__file__).resolve().parent / "out"
SEED = 0
EPOCHS = 30
CALIB_SAMPLES = 300


@dataclass
class ExampleOutputs:
    keras_model: Path
    int8_model: Path
    calib: Path
    test: Path
    float_accuracy: float  # Keras model on the test split
    int8_accuracy: float  # int8 .tflite on the test split, TFLite reference kernels


def load_data(seed: int = SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits as (N, 8, 8, 1) float32 in 0..1; a fixed shuffled 1400/397 train/test split."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    return x[:1400], y[:1400], x[1400:], y[1400:]


def build_model():  # -> keras.Model
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((8, 8, 1), name="digit"),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.DepthwiseConv2D(3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 1, activation="relu"),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(10),
        layers.Softmax(),
    ], name="digits_cnn")


def train_example(out_dir: str | Path = DEFAULT_OUT, *, epochs: int = EPOCHS,
                  seed: int = SEED) -> ExampleOutputs:
    """Train, save, quantize; returns the paths and the float/int8 test accuracies."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    from edgekit import api

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x_train, y_train, x_test, y_test = load_data(seed)
    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0, shuffle=True)
    _, float_accuracy = model.evaluate(x_test, y_test, verbose=0)

    paths = ExampleOutputs(out / "digits_float.keras", out / "digits_int8.tflite",
                           out / "digits_calib.npz", out / "digits_test.npz", float(float_accuracy), 0.0)
    model.save(paths.keras_model)
    np.savez(paths.calib, x=x_train[:CALIB_SAMPLES], y=y_train[:CALIB_SAMPLES])
    np.savez(paths.test, x=x_test, y=y_test)
    result = api.quantize(paths.keras_model, paths.calib, paths.int8_model, eval_data=paths.test)
    paths.int8_accuracy = result.evaluation.int8_value
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", default=str(DEFAULT_OUT), help="output folder")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args(argv)
    result = train_example(args.out_dir, epochs=args.epochs)
    print(f"wrote {result.keras_model}, {result.int8_model}, {result.calib}, {result.test}")
    print(f"test accuracy: float (Keras) {100 * result.float_accuracy:.2f}%   "
          f"int8 (TFLite reference kernels) {100 * result.int8_accuracy:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
