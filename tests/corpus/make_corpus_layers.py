"""Regenerate the layer corpus of issue 13's matrix ops: Keras 3 models converted to int8 by
TF 2.21 whose hot layers are TRANSPOSE_CONV (a small U-Net with Conv2DTranspose), BATCH_MATMUL
(a keyword-spotting transformer with MultiHeadAttention) and grouped CONV_2D (a CNN with
Conv2D(groups=g)); and residual_blocks, the conv -> conv -> ADD blocks that
edgekit/passes/fuse_residual.py fuses.

Same conventions as make_corpus.py (whose converter settings this reuses): the .tflite
files are committed; run `python tests/corpus/make_corpus_layers.py [NAME...]` to rebuild.
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
    from keras import layers as L

    def unet_transpose():  # encoder-decoder: Conv2DTranspose (stride 2, with and without bias)
        x = inp = keras.Input((16, 16, 1), batch_size=1)
        e1 = L.Conv2D(8, 3, padding="same", activation="relu")(x)
        e2 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(e1)
        b = L.Conv2D(16, 3, padding="same", activation="relu")(e2)
        d1 = L.Conv2DTranspose(8, 3, strides=2, padding="same")(b)
        d1 = L.Concatenate()([d1, e1])
        d1 = L.Conv2D(8, 3, padding="same", activation="relu")(d1)
        d2 = L.Conv2DTranspose(4, 2, strides=1, padding="valid", use_bias=False)(d1)  # 17x17
        return keras.Model(inp, L.Conv2D(2, 2, padding="valid")(d2))

    def kws_transformer():  # keyword spotting: MFCC frames -> MultiHeadAttention block
        x = inp = keras.Input((16, 10), batch_size=1)
        x = L.Dense(16)(x)
        a = L.MultiHeadAttention(num_heads=2, key_dim=8)(x, x)
        x = L.LayerNormalization()(L.Add()([x, a]))
        f = L.Dense(32, activation="relu")(x)
        x = L.Add()([x, L.Dense(16)(f)])
        x = L.GlobalAveragePooling1D()(x)
        return keras.Model(inp, L.Dense(12)(x))

    def grouped_cnn():  # ResNeXt-style grouped 3x3 convolutions
        x = inp = keras.Input((12, 12, 3), batch_size=1)
        x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
        x = L.Conv2D(16, 3, padding="same", groups=4, activation="relu")(x)
        x = L.Conv2D(24, 3, strides=2, padding="same", groups=2)(x)
        x = L.Conv2D(24, 1, groups=3, activation="relu")(x)
        x = L.GlobalAveragePooling2D()(x)
        return keras.Model(inp, L.Dense(5)(x))

    def residual_blocks():  # ResNet-style blocks with the identity skip: fused row by row
        x = inp = keras.Input((12, 10, 3), batch_size=1)
        x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
        y = L.Conv2D(16, 3, padding="same", activation="relu")(x)
        y = L.Conv2D(16, 3, padding="same")(y)
        x = L.ReLU()(L.Add()([x, y]))  # the skip is the ADD's first input
        y = L.Conv2D(32, 5, padding="same", activation="relu")(x)
        y = L.Conv2D(16, 3, padding="same")(y)
        x = L.Add()([y, x])  # second input, no activation, 5x5 then 3x3 over 32 channels
        y = L.Conv2D(16, (1, 3), padding="same", activation="relu")(x)
        y = L.Conv2D(16, (3, 1), padding="same")(y)
        x = L.ReLU()(L.Add()([x, y]))  # a 1-row window, then a 1-column one
        x = L.GlobalAveragePooling2D()(x)
        return keras.Model(inp, L.Dense(4)(x))

    return {
        "residual_blocks": (residual_blocks, (12, 10, 3)),
        "unet_transpose": (unet_transpose, (16, 16, 1)),
        "kws_transformer": (kws_transformer, (16, 10)),
        "grouped_cnn": (grouped_cnn, (12, 12, 3)),
    }


def main(names: list[str]) -> None:
    regenerate(_models(), names, _convert)


if __name__ == "__main__":
    main(sys.argv[1:])
