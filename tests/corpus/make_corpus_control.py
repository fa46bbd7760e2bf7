"""Regenerate the control-flow and state part of the test corpus: tf.function models
converted to int8 by TF 2.21 that use WHILE (with its condition and body subgraphs; one
nested in another's body), IF
(tf.cond: two branch subgraphs) and resource variables with a CALL_ONCE initialiser (a
streaming CNN that keeps its input window between invokes).

Like make_corpus.py, the .tflite files are committed: tests/test_verify.py runs every
tests/corpus/*.tflite on the host in both rounding modes (a sequence of samples on one
interpreter, so the variables' state is compared across invokes), and
tests/test_control_flow.py runs these under sanitizers and on qemu-cortex-m4. Rebuild with
`python tests/corpus/make_corpus_control.py [name ...]`.
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

from make_corpus import convert_int8  # noqa: E402


def _convert(module, shape: tuple[int, ...]) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_concrete_functions([module.run.get_concrete_function()], module)
    return convert_int8(converter, shape[1:])


def _models() -> dict[str, tuple[Callable, tuple[int, ...]]]:
    import tensorflow as tf

    rng = np.random.default_rng(7)

    def weights(*shape: int, gain: float = 0.5) -> tf.Tensor:
        return tf.constant(rng.normal(0.0, gain, size=shape).astype(np.float32))

    class WhileLoop(tf.Module):  # WHILE: an int32 counter and a float state, 4 iterations
        # (A body that also reads x from outside the loop, as an RNN cell does, crashes the
        # converter's integer quantization: the GRU/SimpleRNN problem of issue 14.)
        def __init__(self) -> None:
            self.w = weights(6, 6)

        @tf.function(input_signature=[tf.TensorSpec((1, 6), tf.float32)])
        def run(self, x):
            def body(i, h):
                return i + 1, tf.tanh(tf.matmul(h, self.w))

            _, h = tf.while_loop(lambda i, h: i < 4, body, (tf.constant(0), x))
            return h

    class NestedWhile(tf.Module):  # a WHILE in a WHILE's body: a subgraph plan in a subgraph plan
        def __init__(self) -> None:
            self.w = weights(4, 4)

        @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32)])
        def run(self, x):
            def inner(y):
                step = lambda j, y: (j + 1, tf.tanh(tf.matmul(y, self.w)))  # noqa: E731
                return tf.while_loop(lambda j, y: j < 2, step, (tf.constant(0), y))[1]

            return tf.while_loop(lambda i, y: i < 3, lambda i, y: (i + 1, inner(y)), (tf.constant(0), x))[1]

    class IfBranch(tf.Module):  # IF: tf.cond on the dense layer's largest value
        def __init__(self) -> None:
            self.w = weights(4, 5)

        @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32)])
        def run(self, x):
            y = tf.matmul(x, self.w)
            return tf.cond(tf.reduce_max(y) > 0.5, lambda: tf.nn.relu(y) * 2.0, lambda: tf.tanh(y) + 1.0)

    class StreamingCnn(tf.Module):  # variables: a 3-frame window kept between invokes
        def __init__(self) -> None:
            self.window = tf.Variable(tf.zeros((1, 3, 8)))
            self.kernel, self.dense = weights(3, 8, 6), weights(6, 4)

        @tf.function(input_signature=[tf.TensorSpec((1, 1, 8), tf.float32)])
        def run(self, frame):
            window = tf.concat([self.window[:, 1:], frame], axis=1)
            self.window.assign(window)
            features = tf.nn.relu(tf.nn.conv1d(window, self.kernel, 1, "VALID"))
            return tf.matmul(tf.reshape(features, (1, 6)), self.dense)

    return {"while_loop": (WhileLoop, (1, 6)), "if_branch": (IfBranch, (1, 4)),
            "streaming_cnn": (StreamingCnn, (1, 1, 8)), "nested_while": (NestedWhile, (1, 4))}


def main(names: list[str]) -> None:
    wanted = {k: v for k, v in _models().items() if not names or k in names}
    sizes = {}
    for name, (factory, shape) in wanted.items():
        (HERE / f"{name}.tflite").write_bytes(data := _convert(factory(), shape))
        sizes[name] = len(data)
    print(", ".join(f"{name}: {size} bytes" for name, size in sizes.items()))
    if not names or "while_loop" in names:  # the float form: what edgekit's quantizer refuses
        import tensorflow as tf

        module = _models()["while_loop"][0]()
        converter = tf.lite.TFLiteConverter.from_concrete_functions([module.run.get_concrete_function()], module)
        (HERE / "float" / "while_loop.tflite").write_bytes(converter.convert())


if __name__ == "__main__":
    main(sys.argv[1:])
