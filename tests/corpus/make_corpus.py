"""Regenerate the test corpus: small Keras 3 models converted to int8 by TF 2.21.

Each model exercises ops and converter patterns edgekit must handle (shape subgraphs
from Flatten with a free batch, SPACE_TO_BATCH_ND around dilated convolutions, float
I/O with QUANTIZE/DEQUANTIZE, broadcasting). The .tflite files are committed so tests
do not pay for conversion; run `python tests/corpus/make_corpus.py` to rebuild them.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent


def _convert(model, shape, int8_io: bool = True, seed: int = 0) -> bytes:
    import tensorflow as tf

    return convert_int8(tf.lite.TFLiteConverter.from_keras_model(model), shape, int8_io, seed)


def convert_int8(converter, shape, int8_io: bool = True, seed: int = 0) -> bytes:
    """Full-integer conversion calibrated on 64 normal(0, 1) samples of (1, *shape)."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(64):
            yield [rng.normal(0.0, 1.0, size=(1, *shape)).astype(np.float32)]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if int8_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def _models() -> dict[str, tuple[Callable, tuple[int, ...], bool, int | None]]:
    import keras
    from keras import layers as L

    def cnn_flatten():  # free batch → SHAPE/STRIDED_SLICE/PACK/RESHAPE
        x = inp = keras.Input((12, 12, 3))
        x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
        x = L.DepthwiseConv2D(3, padding="valid", depth_multiplier=2, activation="relu6")(x)
        x = L.MaxPooling2D(2)(x)
        x = L.Flatten()(x)
        x = L.Dense(10)(x)
        return keras.Model(inp, L.Softmax()(x))

    def dilated():  # SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND
        x = inp = keras.Input((16, 16, 4), batch_size=1)
        x = L.Conv2D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
        x = L.DepthwiseConv2D(3, dilation_rate=2, padding="valid")(x)
        x = L.Conv2D(4, 1)(x)
        return keras.Model(inp, x)

    def conv1d_dilated():  # the 3-D form, where TFLite Micro is known to go wrong
        x = inp = keras.Input((32, 6), batch_size=1)
        x = L.Conv1D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
        x = L.Conv1D(4, 3, dilation_rate=2, padding="valid")(x)
        return keras.Model(inp, x)

    def conv1d_dilated_free_batch():  # free batch: TF emits SPACE_TO_BATCH_ND on 3-D tensors
        x = inp = keras.Input((32, 6))
        x = L.Conv1D(8, 3, dilation_rate=2, padding="same", activation="relu")(x)
        x = L.Conv1D(4, 3, dilation_rate=2, padding="valid")(x)
        return keras.Model(inp, x)

    def elementwise():
        a = inp = keras.Input((6, 6, 8), batch_size=1)
        b = L.Conv2D(8, 1)(a)
        c = L.Conv2D(8, 3, padding="same")(a)
        x = L.Add()([b, c])
        x = L.Subtract()([x, a])
        x = L.Multiply()([x, b])
        x = L.Maximum()([x, c])
        x = L.Minimum()([x, b])
        x = L.Concatenate(axis=-1)([x, a])
        x = L.AveragePooling2D(2)(x)
        return keras.Model(inp, x)

    def concat_rows():  # concatenation along H: contiguous slices, eliminated by the planner
        x = inp = keras.Input((8, 6, 4), batch_size=1)
        a = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        b = L.Conv2D(8, (2, 1), strides=(2, 1), activation="relu")(x)
        y = L.Concatenate(axis=1)([a, b])
        return keras.Model(inp, L.Conv2D(4, 1)(y))

    def activations():
        x = inp = keras.Input((8, 8, 4), batch_size=1)
        x = L.Conv2D(8, 3, padding="same")(x)
        a = L.Activation("sigmoid")(x)
        b = L.Activation("tanh")(x)
        c = L.LeakyReLU(negative_slope=0.2)(x)
        d = L.Activation("hard_swish")(x)
        e = L.ReLU()(x)
        f = L.ReLU(max_value=6.0)(x)
        x = L.Concatenate()([a, b, c, d, e, f])
        x = L.GlobalAveragePooling2D()(x)  # MEAN
        return keras.Model(inp, L.Dense(5, activation="softmax")(x))

    def shapes():
        import tensorflow as tf

        x = inp = keras.Input((8, 8, 4), batch_size=1)
        x = L.ZeroPadding2D(((1, 2), (0, 1)))(x)  # PAD
        x = L.Conv2D(6, 3)(x)
        x = L.Permute((2, 1, 3))(x)  # TRANSPOSE
        x = L.Lambda(lambda t: t[:, 1:7:2, ::2, :])(x)  # STRIDED_SLICE
        x = L.Reshape((-1, 6))(x)
        x = L.Lambda(lambda t: tf.expand_dims(t, 1))(x)
        return keras.Model(inp, L.Dense(3)(x))

    def float_io():  # QUANTIZE at the input, DEQUANTIZE at the output
        x = inp = keras.Input((10,), batch_size=1)
        x = L.Dense(16, activation="relu")(x)
        x = L.Dense(16, activation="tanh")(x)
        return keras.Model(inp, L.Dense(4)(x))

    def batched_fc():
        x = inp = keras.Input((5, 12), batch_size=2)
        x = L.Dense(7, activation="relu")(x)
        return keras.Model(inp, L.Dense(3)(x))

    return {
        "cnn_flatten": (cnn_flatten, (12, 12, 3), True, 1),
        "dilated": (dilated, (16, 16, 4), True, None),
        "conv1d_dilated": (conv1d_dilated, (32, 6), True, None),
        "conv1d_dilated_free_batch": (conv1d_dilated_free_batch, (32, 6), True, None),
        "elementwise": (elementwise, (6, 6, 8), True, None),
        "concat_rows": (concat_rows, (8, 6, 4), True, None),
        "activations": (activations, (8, 8, 4), True, None),
        "shapes": (shapes, (8, 8, 4), True, None),
        "float_io": (float_io, (10,), False, None),
        "batched_fc": (batched_fc, (5, 12), True, None),
    }


def _float_cnn() -> bytes:
    """A plain float32 model (no quantization): for inspect and for the int8 checks."""
    import keras
    import tensorflow as tf
    from keras import layers as L

    x = inp = keras.Input((10, 10, 2), batch_size=1)
    x = L.Conv2D(4, 3, activation="relu")(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, L.Dense(3)(x))
    return tf.lite.TFLiteConverter.from_keras_model(model).convert()



def regenerate(models: dict[str, tuple], names: list[str], convert: Callable[[Any, Any], bytes],
               path: Callable[[str], Path] | None = None) -> dict[str, bytes]:
    """Convert and write every model of `models` (name -> (factory, what `convert` takes
    beside the Keras model)) that `names` selects (all when empty), after the corpus-wide
    Keras seed, each to `path(name)` (default HERE/NAME.tflite); returns what it wrote."""
    import keras

    keras.utils.set_random_seed(1)
    written = {}
    for name, (factory, how) in models.items():
        if names and name not in names:
            continue
        data = convert(factory(), how)
        target = path(name) if path is not None else HERE / f"{name}.tflite"
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        print(f"{name}: {len(data)} bytes")
        written[name] = data
    return written

def main(names: list[str]) -> None:
    if not names or "float_cnn" in names:
        (HERE / "float" / "float_cnn.tflite").write_bytes(_float_cnn())
    import keras

    keras.utils.set_random_seed(1)
    for name, (factory, shape, int8_io, _) in _models().items():
        if names and name not in names:
            continue
        model = factory()
        batch = model.inputs[0].shape[0] or 1
        data = _convert(model, shape if batch == 1 else shape, int8_io) if batch == 1 else \
            _convert_batched(model, shape, batch)
        (HERE / f"{name}.tflite").write_bytes(data)
        print(f"{name}: {len(data)} bytes")


def _convert_batched(model, shape, batch) -> bytes:
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def representative():
        for _ in range(64):
            yield [rng.normal(0.0, 1.0, size=(batch, *shape)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


if __name__ == "__main__":
    main(sys.argv[1:])
