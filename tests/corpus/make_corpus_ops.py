"""Regenerate the issue-13 arithmetic corpus: Keras 3 models converted to int8 by TF 2.21
with DIV (broadcast both ways), L2_NORMALIZATION, LOG_SOFTMAX, REDUCE_ALL (negative and
several axes, keep_dims both ways) and float islands of libm functions (ELU, SIN, COS).

Same conventions as make_corpus.py (whose converter settings this reuses). Where one
oracle cannot run a model it goes to a subfolder, checked by tests/test_corpus_ops.py:
- tflm_only/div_broadcast: int8 DIV, because TF 2.21's BUILTIN_REF refuses any raw
  divisor byte of 0 (random inputs hit it), while TFLite Micro runs it;
- tflm_only/libm_islands: float islands; TF 2.21's BUILTIN_REF resolver has no ELU at all
  (tests/test_float_islands_libm.py checks the tables against TF's default interpreter,
  all 256 inputs).
Run `python tests/corpus/make_corpus_ops.py [NAME...]` to rebuild.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus import _convert  # noqa: E402


def _models() -> dict[str, tuple[Callable, tuple[int, ...], str]]:
    import keras
    import tensorflow as tf
    from keras import layers as L

    def div_broadcast():  # x / (|row| + 1) and x / (|column| + 0.5): DIV broadcast both ways
        x = inp = keras.Input((4, 8), batch_size=1)
        a = L.Dense(8)(x)
        b = L.Dense(8)(x)
        y = L.Lambda(lambda t: t[0] / (tf.abs(t[1][:, :1, :]) + 1.0))([a, b])  # (1,4,8) / (1,1,8)
        z = L.Lambda(lambda t: t[0] / (tf.abs(t[1][:, :, -1:]) + 0.5))([b, a])  # (1,4,8) / (1,4,1)
        return keras.Model(inp, L.Dense(4)(L.Concatenate()([y, z])))

    def norm_logsoftmax_all():  # L2_NORMALIZATION, LOG_SOFTMAX, REDUCE_ALL → SELECT_V2
        x = inp = keras.Input((4, 6, 8), batch_size=1)
        a = L.Dense(8)(x)
        b = L.Dense(8)(x)
        n = L.Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(a)
        s = L.Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(b)

        def gate(t):
            u, v = t
            keep = tf.reduce_all(tf.greater(u, v), axis=[-3, -1], keepdims=True)  # (1,1,6,1)
            row = tf.reduce_all(tf.less_equal(u, 0.5), axis=-1)  # (1,4,6)
            y = tf.where(keep, u, v)
            return tf.where(row[..., None], y, u)

        g = L.Lambda(gate)([n, s])
        return keras.Model(inp, L.Dense(4)(L.Flatten()(g)))

    def libm_islands():  # ELU, SIN and COS stay float after conversion: three islands
        x = inp = keras.Input((64,), batch_size=1)
        e = L.ELU()(x)
        s = L.Lambda(tf.sin)(x)
        c = L.Lambda(tf.cos)(x)
        return keras.Model(inp, L.Add()([L.Dense(8)(e), L.Dense(8)(s), L.Dense(8)(c)]))

    return {
        "div_broadcast": (div_broadcast, (4, 8), "tflm_only"),
        "norm_logsoftmax_all": (norm_logsoftmax_all, (4, 6, 8), ""),
        "libm_islands": (libm_islands, (64,), "tflm_only"),
    }


def main(names: list[str]) -> None:
    import keras

    keras.utils.set_random_seed(1)
    for name, (factory, shape, folder) in _models().items():
        if names and name not in names:
            continue
        data = _convert(factory(), shape)
        (HERE / folder).mkdir(exist_ok=True)
        (HERE / folder / f"{name}.tflite").write_bytes(data)
        print(f"{folder or '.'}/{name}: {len(data)} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
