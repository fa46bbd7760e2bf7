"""Regenerate the int16x8 part of the test corpus: Keras 3 models converted by TF 2.21 with
int16 activations and int8 weights (EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8,
int16 input and output).

The .tflite files go to tests/corpus/int16/ and are run by tests/test_corpus_int16.py on the
host (TF's reference kernels, TFLite Micro, ASan+UBSan) and on qemu-cortex-m4 over serial.
Rebuild with `python tests/corpus/make_corpus_int16.py [name ...]`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent / "int16"
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import regenerate  # noqa: E402


def _convert(model, shape: tuple[int, ...]) -> bytes:
    import tensorflow as tf

    rng = np.random.default_rng(0)

    def representative() -> Iterator[list[np.ndarray]]:
        for _ in range(64):
            yield [rng.normal(0.0, 1.0, size=(1, *shape)).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = tf.int16
    converter.inference_output_type = tf.int16
    return converter.convert()


def _models() -> dict[str, tuple[Callable, tuple[int, ...]]]:
    import keras
    from keras import layers as L

    B = {"bias_initializer": "random_normal"}  # non-zero biases: the converter keeps them

    def int16_cnn():  # CONV_2D, DEPTHWISE_CONV_2D, pools, RESHAPE, FULLY_CONNECTED
        x = inp = keras.Input((10, 10, 3), batch_size=1)
        x = L.Conv2D(8, 3, strides=2, padding="same", activation="relu", **B)(x)
        x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu6", **B)(x)
        x = L.AveragePooling2D(2, padding="same")(x)
        x = L.Conv2D(6, 1, **B)(x)
        x = L.MaxPooling2D(2)(x)
        x = L.Flatten()(x)
        return keras.Model(inp, L.Dense(10, **B)(x))

    def int16_fc():  # FULLY_CONNECTED chain with relu, without bias, batch of 3
        x = inp = keras.Input((24,), batch_size=3)
        x = L.Dense(32, activation="relu", **B)(x)
        x = L.Dense(16, use_bias=False)(x)
        return keras.Model(inp, L.Dense(8, **B)(x))

    def int16_unsupported():  # FC, then MAXIMUM: no int16 MAXIMUM kernel in edgekit
        x = inp = keras.Input((12,), batch_size=1)
        a, b = L.Dense(8, **B)(x), L.Dense(8, **B)(x)
        return keras.Model(inp, L.Maximum()([a, b]))

    def int16_activations():  # TANH, LOGISTIC, RELU6 (standalone), SOFTMAX
        # (HARD_SWISH: neither TF Lite nor TFLite Micro has an int16 kernel for it.)
        x = inp = keras.Input((12,), batch_size=2)
        t = L.Activation("tanh")(L.Dense(16, **B)(x))
        s = L.Dense(16, activation="sigmoid", **B)(x)
        x = L.Concatenate()([t, s])
        x = L.ReLU(max_value=6.0)(L.Reshape((4, 8))(x))
        x = L.Dense(10, **B)(L.Flatten()(x))
        return keras.Model(inp, L.Softmax()(x))

    def int16_transpose_conv():  # TRANSPOSE_CONV (strided SAME, VALID with relu), CONV_2D
        x = inp = keras.Input((5, 5, 3), batch_size=1)
        x = L.Conv2D(6, 3, padding="same", **B)(x)
        x = L.Conv2DTranspose(4, 3, strides=2, padding="same", **B)(x)
        return keras.Model(inp, L.Conv2DTranspose(3, 2, padding="valid", activation="relu", **B)(x))

    def int16_elementwise():  # ADD, SUB, MUL, LEAKY_RELU, CONCATENATION, MEAN
        # (HARD_SWISH: TF 2.21's converter has no 16x8 quantization for it.)
        a = inp = keras.Input((6, 6, 4), batch_size=1)
        b = L.Conv2D(4, 1, **B)(a)
        c = L.Conv2D(4, 3, padding="same", **B)(a)
        x = L.Add()([b, c])
        x = L.Subtract()([x, a])
        x = L.Multiply()([x, b])
        x = L.LeakyReLU(negative_slope=0.2)(x)
        x = L.Concatenate()([x, c])
        x = L.GlobalAveragePooling2D()(x)
        return keras.Model(inp, x)

    def int16_movement():  # PAD, TRANSPOSE, STRIDED_SLICE, RESHAPE, RELU6, SUM
        import tensorflow as tf

        x = inp = keras.Input((6, 5, 4), batch_size=1)
        x = L.ZeroPadding2D(((1, 0), (2, 1)))(x)
        x = L.Conv2D(4, 3, activation="relu6", **B)(x)
        x = L.Permute((2, 1, 3))(x)
        x = L.Lambda(lambda t: t[:, 1:4, ::2, :])(x)
        x = L.Lambda(lambda t: tf.reduce_sum(t, axis=[1], keepdims=True))(x)
        x = L.Reshape((-1,))(x)
        return keras.Model(inp, x)

    return {
        "int16_cnn": (int16_cnn, (10, 10, 3)),
        "int16_fc": (int16_fc, (24,)),
        "int16_unsupported": (int16_unsupported, (12,)),
        "int16_elementwise": (int16_elementwise, (6, 6, 4)),
        "int16_movement": (int16_movement, (6, 5, 4)),
        "int16_activations": (int16_activations, (12,)),
        "int16_transpose_conv": (int16_transpose_conv, (5, 5, 3)),
    }


def with_int8_output(data: bytes) -> bytes:
    """The model with a QUANTIZE int16 -> int8 appended to its output: a mixed int16/int8
    model (TF's QUANTIZE takes int16 to int8, not int8 to int16)."""
    import ai_edge_litert.schema_py_generated as schema
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    graph = model.subgraphs[0]
    last = graph.tensors[graph.outputs[0]]
    out = schema.TensorT()
    out.shape, out.type, out.name, out.buffer = last.shape, schema.TensorType.INT8, b"int8_output", 0
    model.buffers.append(schema.BufferT())
    out.buffer = len(model.buffers) - 1
    out.quantization = schema.QuantizationParametersT()
    out.quantization.scale = [float(last.quantization.scale[0]) * 256.0]
    out.quantization.zeroPoint = [3]
    graph.tensors.append(out)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
    code.version = 1
    model.operatorCodes.append(code)
    op = schema.OperatorT()
    op.opcodeIndex = len(model.operatorCodes) - 1
    op.inputs, op.outputs = [graph.outputs[0]], [len(graph.tensors) - 1]
    graph.operators.append(op)
    graph.outputs = [len(graph.tensors) - 1]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def main(names: list[str]) -> None:
    written = regenerate(_models(), names, _convert, lambda name: HERE / f"{name}.tflite")
    if "int16_cnn" in written:  # and the same CNN with a QUANTIZE int16 -> int8 appended
        mixed = with_int8_output(written["int16_cnn"])
        (HERE / "int16_mixed.tflite").write_bytes(mixed)
        print(f"int16_mixed: {len(mixed)} bytes")


if __name__ == "__main__":
    main(sys.argv[1:])
