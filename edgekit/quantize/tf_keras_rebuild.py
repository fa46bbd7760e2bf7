"""A Keras 3 model with LSTM layers, rebuilt layer for layer in tf_keras with the same weights.

TF 2.21's converter crashes (or leaves float) on Keras 3 LSTM layers that are not unrolled;
the same architecture built with tf_keras (Keras 2) converts to the fused
UNIDIRECTIONAL_SEQUENCE_LSTM op with its int16 cell state, which edgekit runs. The rebuild
covers a chain of layers tf_keras has with the same meaning and weight layout (LSTM gates
i, f, c, o in both); its float outputs are compared with the original's before it is used.
Anything else is one clear line saying what to change.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgekit.errors import ModelError

# Keras 3 class name -> the config keys that carry over to tf_keras unchanged.
_LAYERS = {
    "LSTM": ("units", "activation", "recurrent_activation", "use_bias", "return_sequences"),
    "Dense": ("units", "activation", "use_bias"),
    "Dropout": ("rate",),
    "Flatten": (),
    "Reshape": ("target_shape",),
    "Activation": ("activation",),
    "Softmax": ("axis",),
    "ReLU": (),
}
_LSTM_REFUSED = ("go_backwards", "stateful", "return_state")
TOLERANCE = 1e-5


def has_rolled_lstm(model: Any) -> bool:
    return any(type(layer).__name__ == "LSTM" and not getattr(layer, "unroll", False)
               for layer in getattr(model, "layers", []))


def _chain(model: Any) -> list[Any]:
    """The model's layers when each feeds only the next (Sequential or a plain functional chain)."""
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    for before, layer in zip(layers, layers[1:]):
        inbound = [node for node in getattr(layer, "_inbound_nodes", [])]
        parents = {id(t._keras_history.operation) for node in inbound for t in node.input_tensors
                   if hasattr(t, "_keras_history")}
        if parents and parents != {id(before)}:
            raise ModelError(f"layer '{layer.name}' does not take the previous layer's output: edgekit rebuilds "
                             "Keras 3 LSTM models in tf_keras only as a chain of layers; build the model with "
                             "tf_keras, or use LSTM(..., unroll=True)")
    return layers


def _tf_keras_layer(tf_keras: Any, layer: Any) -> Any:
    kind = type(layer).__name__
    if kind not in _LAYERS:
        raise ModelError(f"layer '{layer.name}' ({kind}) has no tf_keras twin edgekit rebuilds an LSTM model "
                         f"with (it knows {', '.join(sorted(_LAYERS))}); build the model with tf_keras, or "
                         "use LSTM(..., unroll=True)")
    config = layer.get_config()
    if kind == "LSTM":
        refused = [key for key in _LSTM_REFUSED if config.get(key)]
        if refused:
            raise ModelError(f"LSTM layer '{layer.name}' has {refused[0]}=True, which the converter's fused "
                             "LSTM op does not express; edgekit needs a plain LSTM")
    values = {key: config[key] for key in _LAYERS[kind] if key in config}
    for key in ("activation", "recurrent_activation"):
        if key in values and not isinstance(values[key], str):
            raise ModelError(f"layer '{layer.name}': a {key} given as {type(values[key]).__name__} cannot be "
                             "rebuilt in tf_keras; use a named activation")
    return getattr(tf_keras.layers, kind)(name=layer.name, **values)


def rebuild_in_tf_keras(model: Any, input_shape: tuple[int, ...]) -> Any:
    """The tf_keras twin of `model` (batch-1 input), float outputs checked against it."""
    try:
        import tf_keras
    except ImportError:
        raise ModelError("Keras 3 LSTM layers do not convert to int8 with TF 2.21 and tf_keras is not "
                         "installed to rebuild them (pip install tf-keras), or use LSTM(..., unroll=True)") from None
    x = inp = tf_keras.Input(input_shape[1:], batch_size=1)
    pairs = []
    for layer in _chain(model):
        twin = _tf_keras_layer(tf_keras, layer)
        x = twin(x)
        pairs.append((layer, twin))
    twin_model = tf_keras.Model(inp, x)
    for layer, twin in pairs:
        twin.set_weights(layer.get_weights())
    probe = np.random.default_rng(0).normal(0.0, 1.0, size=input_shape).astype(np.float32)
    want = np.asarray(model(probe, training=False))
    got = np.asarray(twin_model(probe, training=False))
    if want.shape != got.shape or not np.allclose(want, got, atol=TOLERANCE, rtol=TOLERANCE):
        raise ModelError("the tf_keras rebuild of this Keras 3 LSTM model computes different float outputs; "
                         "build the model with tf_keras, or use LSTM(..., unroll=True)")
    return twin_model
