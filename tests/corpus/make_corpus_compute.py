"""Regenerate the compute-op corpus: Keras 3 models converted to int8 by TF 2.21 that
exercise the reductions, comparisons, logical ops, SELECT_V2, PRELU, SQUARED_DIFFERENCE
and GELU (issue 13).

Same conventions as make_corpus.py (whose converter settings this reuses): the .tflite
files are committed; run `python tests/corpus/make_corpus_compute.py [NAME...]` to rebuild.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import _convert, regenerate  # noqa: E402


def _models() -> dict[str, tuple[Callable, tuple[int, ...]]]:
    import keras
    import tensorflow as tf
    from keras import layers as L

    def har_maxpool1d():  # activity recognition: GlobalMaxPool1D → REDUCE_MAX
        x = inp = keras.Input((32, 3), batch_size=1)
        x = L.Conv1D(8, 5, activation="relu")(x)
        x = L.Conv1D(8, 3, activation="relu")(x)
        x = L.GlobalMaxPooling1D()(x)
        return keras.Model(inp, L.Dense(4, activation="softmax")(x))

    def reductions():  # MEAN/REDUCE_MIN/REDUCE_MAX over various axes, ARG_MAX/ARG_MIN
        x = inp = keras.Input((6, 5, 4), batch_size=1)
        x = L.Conv2D(6, 3, padding="same")(x)
        a = L.Lambda(lambda t: tf.reduce_min(t, axis=-1, keepdims=True))(x)  # (1,6,5,1)
        b = L.Lambda(lambda t: tf.reduce_mean(t, axis=[1, 3], keepdims=True))(x)  # (1,1,5,1)
        c = L.Lambda(lambda t: tf.reduce_max(t, axis=[-3], keepdims=True))(x)  # (1,1,5,6)
        y = L.Add()([a, b])
        y = L.Multiply()([y, c])  # (1,6,5,6)
        d = L.Lambda(lambda t: tf.reduce_mean(t, axis=[0, 2]))(y)  # (6,6)
        # int32 indices: TFLite Micro has no int64 ARG_MAX (the kernel tests cover int64).
        e = L.Lambda(lambda t: tf.argmax(t, axis=1, output_type=tf.int32))(y)
        f = L.Lambda(lambda t: tf.argmin(t, axis=-1, output_type=tf.int32))(x)  # ARG_MIN
        return keras.Model(inp, [L.Flatten()(d), e, f])

    def compare_select():  # comparisons across scales → logical ops → SELECT_V2 / SELECT
        # (TF 2.21's converter leaves NOT_EQUAL in float, between DEQUANTIZEs: not here.)
        def logic(t):
            a, b, x = t
            lt = tf.less(a, b)
            ge = tf.greater_equal(x, a)
            gt = tf.greater(b, x)
            le = tf.less_equal(x, -0.5)
            eq = tf.equal(a, x)
            both = tf.logical_and(lt, tf.logical_not(tf.logical_or(ge, eq)))
            either = tf.logical_or(tf.logical_or(both, gt), tf.logical_and(le, gt))
            # A broadcast operand keeps SELECT_V2 (TFLite Micro has no SELECT).
            y = tf.where(tf.logical_or(either, eq), a, b[:, :, :1])
            z = tf.where(lt, x, tf.zeros_like(x))
            return tf.concat([y, z], axis=-1)

        x = inp = keras.Input((8, 8), batch_size=1)
        a = L.Dense(8)(x)
        b = L.Dense(8, activation="tanh")(x)
        y = L.Lambda(logic, output_shape=(8, 16))([a, b, x])
        return keras.Model(inp, L.Dense(4)(y))

    def prelu_cnn():  # a PReLU CNN: per-channel and per-element alpha, SQUARED_DIFFERENCE
        x = inp = keras.Input((8, 8, 3), batch_size=1)
        x = L.Conv2D(8, 3, padding="same")(x)
        x = L.PReLU(shared_axes=[1, 2])(x)
        y = L.Conv2D(8, 3, padding="same")(x)
        y = L.PReLU()(y)
        z = L.Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))([x, y])
        z = L.GlobalAveragePooling2D()(z)
        return keras.Model(inp, L.Dense(3)(z))

    def gelu_mlp():  # a transformer's feed-forward block: int8 GELU, exact and tanh form
        x = inp = keras.Input((10, 16), batch_size=1)
        y = L.Dense(32, activation="gelu")(x)
        y = L.Dense(16)(y)
        y = L.Add()([x, y])
        y = L.Dense(16)(y)
        y = L.Lambda(lambda t: keras.activations.gelu(t, approximate=True))(y)
        y = L.Lambda(lambda t: tf.reduce_mean(t, axis=1))(y)
        return keras.Model(inp, L.Dense(4)(y))

    def layer_norm():  # LayerNormalization: MEAN, SQUARED_DIFFERENCE, RSQRT, MUL, SUB
        x = inp = keras.Input((10, 16), batch_size=1)
        y = L.Dense(16)(x)
        y = L.LayerNormalization()(y)
        y = L.Dense(8, activation="relu")(y)
        return keras.Model(inp, L.LayerNormalization(center=False)(y))

    return {
        "layer_norm": (layer_norm, (10, 16)),
        "gelu_mlp": (gelu_mlp, (10, 16)),
        "prelu_cnn": (prelu_cnn, (8, 8, 3)),
        "har_maxpool1d": (har_maxpool1d, (32, 3)),
        "reductions": (reductions, (6, 5, 4)),
        "compare_select": (compare_select, (8, 8)),
    }


def main(names: list[str]) -> None:
    regenerate(_models(), names, _convert)


if __name__ == "__main__":
    main(sys.argv[1:])
