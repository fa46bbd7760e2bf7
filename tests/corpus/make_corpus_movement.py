"""Regenerate the data-movement part of the test corpus: Keras 3 models converted to int8
by TF 2.21 that exercise resizes, gathers, embeddings, split/pack and the rearranging ops.

Like make_corpus.py: the .tflite files are committed (tests/corpus/*.tflite are all run by
tests/test_verify.py on the host in both rounding modes, and by
tests/test_corpus_movement.py under sanitizers and on qemu-cortex-m4; the ones TFLite
Micro cannot run are in tests/corpus/tf_only/). Rebuild with
`python tests/corpus/make_corpus_movement.py [name ...]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import regenerate  # noqa: E402


def _convert(model, sample: Callable[[np.random.Generator], list[np.ndarray]], float_fallback: bool = False) -> bytes:
    """int8 at the edges; `float_fallback`: ops without an int8 kernel may stay float32
    (TFLITE_BUILTINS beside TFLITE_BUILTINS_INT8, make_corpus_float.py)."""
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def representative() -> Iterator[list[np.ndarray]]:
        for _ in range(64):
            yield sample(rng)

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8] + \
        ([tf.lite.OpsSet.TFLITE_BUILTINS] if float_fallback else [])
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def _image(shape: tuple[int, ...]) -> Callable[[np.random.Generator], list[np.ndarray]]:
    return lambda rng: [rng.normal(0.0, 1.0, size=(1, *shape)).astype(np.float32)]


def _models() -> dict[str, tuple[Callable, Callable]]:
    import keras
    import tensorflow as tf
    from keras import layers as L

    def resize_nearest():  # nearest x2 upsampling, plus align_corners and half_pixel_centers
        # (Keras 3's UpSampling2D(nearest) converts to RESHAPE/TILE instead, an op TFLite
        # Micro lacks: tests/corpus/tf_only/ has that one.)
        x = inp = keras.Input((6, 6, 3), batch_size=1)
        x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
        x = L.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(t, (12, 12)))(x)
        x = L.Conv2D(4, 3, padding="same")(x)
        a = L.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(t, (7, 9), align_corners=True))(x)
        b = L.Lambda(lambda t: tf.image.resize(t, (7, 9), method="nearest"))(x)  # half-pixel
        c = L.Lambda(lambda t: tf.compat.v1.image.resize_nearest_neighbor(t, (7, 9)))(x)
        return keras.Model(inp, L.Conv2D(3, 1)(L.Concatenate()([a, b, c])))

    def resize_bilinear():  # FOMO-style bilinear upsampling, odd ratios, both corner modes
        x = inp = keras.Input((5, 7, 3), batch_size=1)
        x = L.Conv2D(6, 3, padding="same", activation="relu")(x)
        x = L.UpSampling2D(2, interpolation="bilinear")(x)  # 10x14, half-pixel centers
        x = L.Conv2D(4, 3, padding="same")(x)
        a = L.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (13, 6), align_corners=True))(x)
        b = L.Lambda(lambda t: tf.compat.v1.image.resize_bilinear(t, (13, 6)))(x)
        c = L.Resizing(13, 6, interpolation="bilinear")(x)
        return keras.Model(inp, L.Conv2D(3, 1)(L.Concatenate()([a, b, c])))

    class TokenTable(L.Layer):
        """An embedding table read with a plain GATHER (keras' Embedding adds LESS/ADD/SELECT
        to wrap negative ids, compute ops outside this file's scope)."""

        def build(self, shape):
            self.table = self.add_weight(shape=(40, 8), initializer="uniform")

        def call(self, ids):
            return tf.gather(self.table, ids)

    def text_embedding():  # embedding lookup -> GATHER with int32 token ids as the model input
        tokens = keras.Input((12,), batch_size=1, dtype="int32")
        x = TokenTable()(tokens)
        x = L.Conv1D(8, 3, padding="same", activation="relu")(x)
        x = L.GlobalAveragePooling1D()(x)
        return keras.Model(tokens, L.Dense(4)(x))

    class CastTokens(L.Layer):
        """CAST int32 -> int64 (GATHER with int64 indices) and int32 -> int8 -> int32; the
        zeros_like positions fold into a constant in the converter."""

        def build(self, shape):
            self.table = self.add_weight(shape=(40, 8), initializer="uniform")
            self.pos = self.add_weight(shape=(12, 8), initializer="uniform")

        def call(self, ids):
            wide = tf.cast(ids, tf.int64)
            narrow = tf.cast(tf.cast(ids, tf.int8), tf.int32)
            return (tf.gather(self.table, wide) + tf.gather(self.table, narrow)
                    + tf.gather(self.pos, tf.zeros_like(ids)))

    def token_casts():
        tokens = keras.Input((12,), batch_size=1, dtype="int32")
        x = CastTokens()(tokens)
        return keras.Model(tokens, L.Dense(4)(L.GlobalAveragePooling1D()(x)))

    def upsample_tile():  # a U-Net decoder step: Keras 3's UpSampling2D(nearest) is RESHAPE/TILE
        x = inp = keras.Input((6, 6, 3), batch_size=1)
        skip = L.Conv2D(4, 3, padding="same", activation="relu")(x)
        x = L.MaxPooling2D(2)(skip)
        x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
        x = L.UpSampling2D(2)(x)
        return keras.Model(inp, L.Conv2D(3, 1)(L.Concatenate()([x, skip])))

    def split_stack():  # SPLIT, SPLIT_V, UNPACK, PACK, GATHER on an axis and with batch_dims
        x = inp = keras.Input((6, 8, 6), batch_size=1)
        x = L.Conv2D(6, 1, activation="relu")(x)
        a, b, c = L.Lambda(lambda t: tf.split(t, 3, axis=-1))(x)
        d, e = L.Lambda(lambda t: tf.split(t, [2, 4], axis=1))(x)
        rows = L.Lambda(lambda t: tf.unstack(t, axis=1))(d)  # 2 x (1, 8, 6)
        y = L.Lambda(lambda r: tf.stack(r, axis=2))(rows)  # (1, 8, 2, 6)
        y = L.Lambda(lambda t: tf.gather(t, [5, 0, 3, 3], axis=1))(y)  # (1, 4, 2, 6)
        z = L.Concatenate()([a, b, c])
        z = L.Lambda(lambda t: tf.gather(t, [[7, 0, 3, 3, 5]], axis=2, batch_dims=1))(z)  # (1, 6, 5, 6)
        e = L.Conv2D(3, 1)(e)
        return keras.Model(inp, [y, z, e])

    def rearrange():  # SLICE, REVERSE_V2, SPACE_TO_DEPTH, DEPTH_TO_SPACE, MIRROR_PAD, GATHER_ND
        x = inp = keras.Input((8, 8, 4), batch_size=1)
        x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
        a = L.Lambda(lambda t: tf.nn.space_to_depth(t, 2))(x)  # (1, 4, 4, 16)
        a = L.Conv2D(8, 1)(a)
        a = L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(a)  # (1, 8, 8, 2)
        b = L.Lambda(lambda t: tf.reverse(t, axis=[2]))(x)
        b = L.Lambda(lambda t: tf.pad(t, [[0, 0], [2, 1], [1, 2], [0, 0]], mode="REFLECT"))(b)
        b = L.Lambda(lambda t: tf.pad(t, [[0, 0], [1, 0], [0, 1], [0, 0]], mode="SYMMETRIC"))(b)
        b = L.Lambda(lambda t: tf.slice(t, [0, 2, 1, 0], [1, 8, 8, 3]))(b)  # (1, 8, 8, 3)
        y = L.Conv2D(6, 3, padding="same")(L.Concatenate()([a, b]))
        z = L.Lambda(lambda t: tf.gather_nd(t, [[[0, 1, 2], [0, 7, 7]], [[0, 3, 0], [0, 5, 6]]]))(y)  # (2, 2, 6)
        return keras.Model(inp, [y, z])

    def space_batch():  # SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND that are not a dilated conv
        x = inp = keras.Input((6, 5, 3), batch_size=1)
        x = L.Conv2D(4, 3, padding="same", activation="relu")(x)
        y = L.Lambda(lambda t: tf.space_to_batch_nd(t, [2, 3], [[1, 1], [2, 2]]))(x)  # (6, 4, 3, 4)
        y = L.Concatenate()([y, L.MaxPooling2D(1)(y)])  # no conv in between: not a dilated conv
        y = L.Lambda(lambda t: tf.batch_to_space(t, [2, 3], [[1, 0], [0, 2]]))(y)  # (1, 7, 7, 8)
        return keras.Model(inp, L.Conv2D(3, 1)(y))

    return {
        "rearrange": (rearrange, _image((8, 8, 4))),
        "space_batch": (space_batch, _image((6, 5, 3))),
        "resize_nearest": (resize_nearest, _image((6, 6, 3))),
        "resize_bilinear": (resize_bilinear, _image((5, 7, 3))),
        "text_embedding": (text_embedding, lambda rng: [rng.integers(0, 40, (1, 12)).astype(np.int32)]),
        "split_stack": (split_stack, _image((6, 8, 6))),
        "token_casts": (token_casts, lambda rng: [rng.integers(0, 40, (1, 12)).astype(np.int32)]),
        "upsample_tile": (upsample_tile, _image((6, 6, 3))),
    }


# Models TFLite Micro cannot run (TILE; CAST to int64) or runs wrongly (it leaves the padding
# of SPACE_TO_BATCH_ND unwritten): they go to tf_only/, checked against TF's reference only.
TF_ONLY = frozenset({"token_casts", "upsample_tile", "space_batch"})


def model_path(name: str) -> Path:
    return (HERE / "tf_only" if name in TF_ONLY else HERE) / f"{name}.tflite"


def main(names: list[str]) -> None:
    regenerate(_models(), names, _convert, model_path)


if __name__ == "__main__":
    main(sys.argv[1:])
