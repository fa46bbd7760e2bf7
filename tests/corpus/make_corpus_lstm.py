"""Regenerate the LSTM corpus: tf_keras LSTM models converted to int8 by TF 2.21.

TF 2.21's converter crashes on Keras 3 LSTM layers; tf_keras (the Keras 2 API) gives the
fused UNIDIRECTIONAL_SEQUENCE_LSTM op with its int16 cell state. These stand in for
TFLite Micro's LSTM examples, whose files are not ours to commit:
  - mnist_lstm: an image read row by row, 28 steps x 28 features, 20 units, batch-major;
  - lstm_time_major: a time-major sequence (steps first), 2 batches, 12 units;
  - kws_lstm: a keyword model on 49 x 257 spectrogram frames, 32 units;
  - gru_unrolled, simple_rnn_unrolled: Keras 3 GRU / SimpleRNN with unroll=True, quantized
    by `edgekit quantize` (UNPACK, SPLIT, FULLY_CONNECTED, LOGISTIC, TANH, MUL, SUB, ADD).
Run `python tests/corpus/make_corpus_lstm.py` to rebuild them (seeded; weights random
but trained-like in scale, with a few epochs of fitting on noise labels).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent / "lstm"
sys.path.insert(0, str(HERE.parent))
from make_corpus import _convert_batched  # noqa: E402 - the corpus's int8 conversion, any batch


def _convert(model, shape: tuple[int, ...]) -> bytes:
    return _convert_batched(model, shape[1:], shape[0])


def _fit(model, shape: tuple[int, ...], classes: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, size=(64, *shape[1:])).astype(np.float32)
    y = rng.integers(0, classes, size=64)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)


def main() -> None:
    import tensorflow as tf
    import tf_keras as keras

    tf.random.set_seed(0)
    (HERE / "bad").mkdir(parents=True, exist_ok=True)
    L = keras.layers

    inp = keras.Input((28, 28), batch_size=1)
    x = L.LSTM(20)(inp)
    mnist = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    _fit(mnist, (1, 28, 28), 10, 1)
    (HERE / "mnist_lstm.tflite").write_bytes(_convert(mnist, (1, 28, 28)))

    inp = keras.Input((2, 6), batch_size=9)  # [steps, batch, features] read as time-major
    x = L.LSTM(12, time_major=True, return_sequences=True)(inp)
    time_major = keras.Model(inp, L.Dense(4)(x))
    (HERE / "lstm_time_major.tflite").write_bytes(_convert(time_major, (9, 2, 6)))

    inp = keras.Input((49, 257), batch_size=1)
    x = L.LSTM(32)(inp)
    kws = keras.Model(inp, L.Dense(12, activation="softmax")(x))
    _fit(kws, (1, 49, 257), 12, 3)
    (HERE / "kws_lstm.tflite").write_bytes(_convert(kws, (1, 49, 257)))

    # Bad input for `build`: a float cell, and a hybrid one (int8 weights, float activations;
    # the converter keeps weights of fewer than 1024 values in float, hence 40 x 40).
    inp = keras.Input((5, 4), batch_size=1)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inp, L.LSTM(6)(inp)))
    (HERE / "bad" / "float_lstm.tflite").write_bytes(converter.convert())
    inp = keras.Input((5, 40), batch_size=1)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inp, L.LSTM(40)(inp)))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]  # no dataset: dynamic-range (hybrid)
    (HERE / "bad" / "hybrid_lstm.tflite").write_bytes(converter.convert())

    _unrolled()


def _unrolled() -> None:
    import tempfile

    import keras

    from edgekit import api

    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "calib.npz", x=rng.normal(0.0, 1.0, size=(32, 8, 5)).astype(np.float32))
        for name, layer in (("gru_unrolled", keras.layers.GRU), ("simple_rnn_unrolled", keras.layers.SimpleRNN)):
            inp = keras.Input((8, 5))
            model = keras.Model(inp, keras.layers.Dense(3)(layer(6, unroll=True)(inp)))
            model.save(Path(tmp) / f"{name}.keras")
            api.quantize(Path(tmp) / f"{name}.keras", Path(tmp) / "calib.npz", HERE / f"{name}.tflite")


if __name__ == "__main__":
    main()
