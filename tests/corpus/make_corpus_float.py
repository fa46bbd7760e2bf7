"""Regenerate the mixed int8/float32 part of the test corpus: Keras 3 models whose middle
the TF 2.21 converter leaves in float (ops with no int8 kernel in TFLite), converted with
float fallback allowed (TFLITE_BUILTINS beside TFLITE_BUILTINS_INT8), int8 at the edges.

Like make_corpus.py: the .tflite files are committed (tests/corpus/*.tflite are all run by
tests/test_verify.py on the host in both rounding modes, and by tests/test_float_fallback.py
under sanitizers, on qemu-cortex-m4 (hard float) and qemu-riscv32 (software float); the
ones in tflm_only/ against TFLite Micro only). Rebuild with
`python tests/corpus/make_corpus_float.py [name ...]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import regenerate  # noqa: E402
from make_corpus_movement import _convert  # noqa: E402


def _image(shape: tuple[int, ...]) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [rng.normal(0.0, 2.0, size=(1, *shape)).astype(np.float32)]


def _models() -> dict[str, tuple[Callable, Callable]]:
    import keras
    import tensorflow as tf
    from keras import layers as L

    def float_middle():  # FLOOR, SIN and a two-input FLOOR_MOD in float between int8 convs
        x = inp = keras.Input((8, 8, 3), batch_size=1)
        x = L.Conv2D(6, 3, padding="same", activation="relu")(x)
        y = L.Conv2D(6, 1)(x)
        f = L.Lambda(lambda t: tf.math.floor(t * 3.0))(x)
        s = L.Lambda(tf.math.sin)(y)
        m = L.Lambda(lambda ts: tf.math.floormod(ts[0], ts[1] * ts[1] + 1.0))([f, s])
        x = L.Concatenate()([x, m])
        x = L.Conv2D(4, 3, padding="same")(x)
        x = L.GlobalAveragePooling2D()(x)
        x = L.Dense(5)(x)
        return keras.Model(inp, L.Softmax()(x))

    def float_math():  # ROUND, CEIL, COS, FLOOR_DIV in float, a float CONCATENATION
        x = inp = keras.Input((6, 10), batch_size=1)
        x = L.Dense(8, activation="tanh")(x)
        r = L.Lambda(lambda t: tf.math.round(t * 4.0) + tf.math.ceil(t * 2.5))(x)
        c = L.Lambda(lambda t: tf.math.cos(t * 3.0) / (tf.math.sqrt(tf.math.abs(t) + 0.5)))(x)
        g = L.Lambda(lambda ts: tf.math.ceil(ts[0] * ts[1]))([r, c])
        d = L.Lambda(lambda ts: tf.math.floordiv(ts[0], ts[1] + 2.0))([r, c])
        x = L.Concatenate()([g, d])
        x = L.Reshape((6, 4, 4))(x)
        x = L.Lambda(lambda t: tf.reduce_mean(t, axis=2))(x)
        x = L.Flatten()(x)
        return keras.Model(inp, L.Dense(3)(x))

    def float_sums():  # CUMSUM (negative axis, exclusive + reverse) and a 3-input ADD_N in float
        x = inp = keras.Input((6, 8), batch_size=1)
        x = L.Dense(8, activation="relu")(x)
        c = L.Lambda(lambda t: keras.ops.cumsum(t, axis=-1))(x)
        r = L.Lambda(lambda t: tf.math.cumsum(t, axis=1, exclusive=True, reverse=True))(L.Dense(8)(x))
        d = L.Dense(8, activation="tanh")(x)
        s = L.Lambda(tf.math.add_n)([c, r, d])
        x = L.Dense(6)(s)
        x = L.Flatten()(x)
        return keras.Model(inp, L.Dense(4)(x))

    return {
        "float_sums": (float_sums, _image((6, 8))),
        "float_middle": (float_middle, _image((8, 8, 3))),
        "float_math": (float_math, _image((6, 10))),
    }


# Models whose float ops (ROUND, CEIL) have no kernel in TF's reference resolver: their
# oracle in a mixed model is TFLite Micro (--rounding tflm), so they live in tflm_only/.
TFLM_ONLY = frozenset({"float_math"})


def model_path(name: str) -> Path:
    return (HERE / "tflm_only" if name in TFLM_ONLY else HERE) / f"{name}.tflite"


def main(names: list[str]) -> None:
    regenerate(_models(), names, lambda model, sample: _convert(model, sample, float_fallback=True), model_path)


if __name__ == "__main__":
    main(sys.argv[1:])
