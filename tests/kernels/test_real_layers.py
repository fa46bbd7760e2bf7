"""Real layers: every CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and pooling layer of the
four MLPerf Tiny models, and of a small Keras model built by the TF converter (which picks
its own scales), extracted one by one and checked byte for byte on the host, portable and
packed kernels (the QEMU run of the same layers is benchmarks/kernels.py)."""

from __future__ import annotations

import pytest
from support.harness import check_model
from support.tflite_builder import converter_model, extract_op

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite, load_tflite_bytes

OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D")


def _check_layers(graph, rounding: str = "tflite") -> int:  # type: ignore[no-untyped-def]
    count = 0
    for op in graph.ops:
        if op.type in OPS:
            model = extract_op(graph, op)
            for variant in ("portable", "arm-dsp"):
                check_model(model, LoweringContext(rounding=rounding, variant=variant), seed=op.index)
            count += 1
    return count


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_mlperf_layers_bit_exact(mlperf_model, rounding: str) -> None:  # type: ignore[no-untyped-def]
    assert _check_layers(load_tflite(mlperf_model), rounding) > 0


def _keras_model(tf):  # type: ignore[no-untyped-def]
    keras = tf.keras
    inputs = keras.Input((12, 10, 3))
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")(x)
    x = keras.layers.Conv2D(12, 1)(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.AveragePooling2D(pool_size=(1, 2))(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(5)(x)
    return keras.Model(inputs, outputs)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_converter_built_layers_bit_exact(rounding: str) -> None:
    graph = load_tflite_bytes(converter_model(_keras_model, (12, 10, 3)))
    types = {op.type for op in graph.ops}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D"} <= types
    assert _check_layers(graph, rounding) >= 5
