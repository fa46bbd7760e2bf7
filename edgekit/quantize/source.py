"""Open a float model — Keras 3 .keras, legacy .h5, SavedModel folder, float .tflite — with
its batch dimension fixed at 1.

Why batch 1: a None batch makes the converter emit SHAPE/STRIDED_SLICE/PACK (and FILL
for RNNs) to compute shapes at run time, which a static-arena microcontroller build
cannot prepare. Every TF source is therefore re-exported as a SavedModel whose serving
signature has a concrete batch of 1; the TFLite converter then reads that SavedModel.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import ModelError

KINDS = ("keras", "h5", "saved_model", "tflite")
# Ops a None batch adds to compute shapes at run time (measured with TF 2.21).
DYNAMIC_SHAPE_OPS = {"SHAPE", "FILL"}


@dataclass
class FloatModel:
    path: Path
    kind: str  # one of KINDS
    input_shape: tuple[int, ...]  # batch dimension included, fixed at 1
    input_name: str = "input"
    saved_model_dir: Path | None = None  # batch-1 SavedModel (TF sources)
    tflite: bytes | None = None  # the model itself (kind "tflite")
    recurrent: bool = False  # has unrolled Keras 3 recurrent layers
    rolled: str | None = None  # why the TF converter cannot quantize it (rolled Keras 3 GRU/RNN)
    notes: list[str] = field(default_factory=list)

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.input_shape[1:]


def detect_kind(path: Path) -> str:
    if path.is_dir():
        if (path / "saved_model.pb").is_file():
            return "saved_model"
        raise ModelError(f"{path} is a folder without saved_model.pb; expected a SavedModel")
    if not path.exists():
        raise ModelError(f"model {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return "keras"
    if suffix in (".h5", ".hdf5"):
        return "h5"
    if suffix == ".tflite":
        return "tflite"
    raise ModelError(f"{path}: unknown model format '{suffix}'; expected .keras, .h5, a SavedModel "
                     "folder or .tflite")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def batch_one(shape: Any, what: str) -> tuple[int, ...]:
    """`shape` with a None/-1 batch replaced by 1; other unknown dimensions are an error."""
    dims = [None if d is None or d == -1 else int(d) for d in shape]
    if not dims:
        raise ModelError(f"{what} is a scalar; edgekit needs a batched tensor input")
    if dims[0] not in (None, 1):
        raise ModelError(f"{what} has batch size {dims[0]}; edgekit needs batch 1 (or None)")
    if any(d is None for d in dims[1:]):
        raise ModelError(f"{what} has shape {tuple(dims)} with unknown dimensions; edgekit needs a "
                         "fixed input shape (set it in the model's Input layer)")
    return (1, *dims[1:])  # type: ignore[arg-type]


# ---------------------------------------------------------------- Keras 3

def _walk_layers(layer: Any) -> list[Any]:
    """Every layer inside `layer`, including the wrapped layers of Bidirectional/TimeDistributed."""
    found = [layer]
    for attr in ("layers", "_layers"):
        for child in getattr(layer, attr, None) or []:
            if child is not layer:
                found.extend(_walk_layers(child))
    for attr in ("forward_layer", "backward_layer", "layer"):
        child = getattr(layer, attr, None)
        if child is not None and hasattr(child, "weights"):
            found.extend(_walk_layers(child))
    return found


def check_recurrent_unrolled(model: Any) -> int:
    """Keras 3 LSTM/GRU/SimpleRNN convert to int8 only when unrolled (measured, TF 2.21).

    Returns how many (unrolled) recurrent layers the model has."""
    import keras

    recurrent = [layer for layer in _walk_layers(model) if isinstance(layer, keras.layers.RNN)]
    for layer in recurrent:
        if not getattr(layer, "unroll", False):
            raise ModelError(
                f"recurrent layer '{layer.name}' ({type(layer).__name__}) is not unrolled: Keras 3 "
                "recurrent layers only convert to int8 with unroll=True and a fixed sequence "
                "length — rebuild the layer with unroll=True, copy the weights, save again")
    return len(recurrent)


def _export_keras3(model: Any, out_dir: Path) -> tuple[tuple[int, ...], str]:
    import keras
    import tensorflow as tf

    inputs = getattr(model, "inputs", None)
    if not inputs:
        raise ModelError("the Keras model has no defined inputs (a subclassed model that was never "
                         "built?); save a functional or Sequential model")
    if len(inputs) != 1:
        raise ModelError(f"the model has {len(inputs)} inputs; edgekit supports one input for now")
    shape = batch_one(inputs[0].shape, f"model input '{inputs[0].name}'")
    if np.dtype(inputs[0].dtype).kind != "f":
        raise ModelError(f"model input '{inputs[0].name}' has dtype {inputs[0].dtype}; expected float")
    archive = keras.export.ExportArchive()
    archive.track(model)
    # As TF's own Keras 3 path, but with the batch fixed and inference mode.
    spec = tf.TensorSpec(shape, tf.float32, name="input")
    archive.add_endpoint("serving_default", functools.partial(model.__call__, training=False), [spec])
    archive.write_out(str(out_dir), verbose=False)
    return shape, "input"


def _load_keras3(path: Path) -> Any:
    import keras

    try:
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for bad files
        raise ModelError(f"cannot load {path} as a Keras 3 model: {_first_line(exc)}") from None


# ---------------------------------------------------------------- tf_keras (.h5)

def _export_tf_keras(model: Any, out_dir: Path) -> tuple[tuple[int, ...], str]:
    import tensorflow as tf

    if len(model.inputs) != 1:
        raise ModelError(f"the model has {len(model.inputs)} inputs; edgekit supports one input for now")
    shape = batch_one(model.inputs[0].shape, f"model input '{model.inputs[0].name}'")

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32, name="input")])
    def serve(x: Any) -> Any:
        return model(x, training=False)

    tf.saved_model.save(model, str(out_dir), signatures={"serving_default": serve})
    return shape, "input"


def _load_tf_keras_or_none(path: Path) -> Any:
    """The model loaded with tf_keras, or None when tf_keras is not installed."""
    try:
        import tf_keras
    except ImportError:
        return None
    try:
        return tf_keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load {path} with tf_keras: {_first_line(exc)}") from None


def _open_h5(path: Path, out_dir: Path) -> tuple[tuple[int, ...], str, list[str]]:
    model = _load_tf_keras_or_none(path)
    if model is not None:
        return (*_export_tf_keras(model, out_dir), ["loaded with tf_keras (legacy Keras 2)"])
    # Keras 3 reads many legacy .h5 files itself.
    try:
        model = _load_keras3(path)
    except ModelError as exc:
        raise ModelError(f"{exc.message}; legacy .h5 models need tf-keras "
                         "(make tf-keras, or re-save the model as .keras)") from None
    check_recurrent_unrolled(model)
    return (*_export_keras3(model, out_dir), ["tf_keras not installed; loaded the .h5 with Keras 3"])


# ---------------------------------------------------------------- SavedModel

def _open_saved_model(path: Path, out_dir: Path) -> tuple[Path, tuple[int, ...], str]:
    import tensorflow as tf

    try:
        loaded = tf.saved_model.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"cannot load SavedModel {path}: {_first_line(exc)}") from None
    signatures = getattr(loaded, "signatures", {})
    if "serving_default" not in signatures:
        raise ModelError(f"SavedModel {path} has no 'serving_default' signature "
                         f"(has {sorted(signatures) or 'none'})")
    signature = signatures["serving_default"]
    _, kwargs = signature.structured_input_signature
    if len(kwargs) != 1:
        raise ModelError(f"SavedModel {path} has {len(kwargs)} inputs; edgekit supports one for now")
    (name, spec), = kwargs.items()
    if not spec.dtype.is_floating:
        raise ModelError(f"SavedModel input '{name}' has dtype {spec.dtype.name}; expected float")
    shape = batch_one(spec.shape.as_list(), f"SavedModel input '{name}'")
    if list(spec.shape) == list(shape):
        return path, shape, name  # already static: convert the original

    @tf.function(input_signature=[tf.TensorSpec(shape, spec.dtype, name=name)])
    def serve(x: Any) -> Any:
        return signature(**{name: x})

    holder = tf.Module()
    holder.loaded = loaded  # keeps the variables tracked for saving
    tf.saved_model.save(holder, str(out_dir), signatures={"serving_default": serve})
    return out_dir, shape, name


# ---------------------------------------------------------------- float .tflite

def _open_tflite(path: Path) -> tuple[bytes, tuple[int, ...], str]:
    from edgekit.quantize.check import read_model

    data = path.read_bytes()
    model, schema = read_model(data, str(path))
    graph = model.Subgraphs(0)
    if graph.InputsLength() != 1:
        raise ModelError(f"{path} has {graph.InputsLength()} inputs; edgekit supports one for now")
    tensor = graph.Tensors(graph.Inputs(0))
    name = tensor.Name().decode()
    if tensor.Type() != schema.TensorType.FLOAT32:
        raise ModelError(f"{path} is already quantized (input '{name}' is not float32); "
                         "quantize takes a float model")
    shape = batch_one(tensor.ShapeAsNumpy().tolist(), f"input '{name}' of {path}")
    from edgekit.quantize.check import op_names

    shape_ops = sorted({op for op in op_names(data, str(path)) if op in DYNAMIC_SHAPE_OPS})
    if shape_ops:
        raise ModelError(f"{path} was converted with a dynamic batch (it computes shapes at run time "
                         f"with {', '.join(shape_ops)}), which does not quantize for a "
                         "microcontroller; pass the Keras/SavedModel model itself, or convert it "
                         "with a fixed batch of 1")
    # ai-edge-quantizer feeds calibration data by signature input name, not tensor name.
    if model.SignatureDefsLength() > 0 and model.SignatureDefs(0).InputsLength() == 1:
        name = model.SignatureDefs(0).Inputs(0).Name().decode()
    return data, shape, name


def open_float_model(path: str | Path, workdir: Path, *, rolled_ok: bool = False) -> FloatModel:
    """Load `path` and prepare a batch-1 form of it for conversion (files go into `workdir`).

    rolled_ok: a Keras 3 GRU/SimpleRNN that is not unrolled is opened (FloatModel.rolled says
    why the TF converter cannot take it) instead of refused; it converts to a float WHILE
    loop, which edgekit's own quantizer takes."""
    path = Path(path)
    kind = detect_kind(path)
    if kind == "tflite":
        data, shape, name = _open_tflite(path)
        return FloatModel(path, kind, shape, name, tflite=data)
    out_dir = workdir / "batch1_saved_model"
    notes: list[str] = []
    recurrent = False
    rolled = None
    if kind == "keras":
        try:
            model = _load_keras3(path)
        except ModelError:
            model = _load_tf_keras_or_none(path)  # a .keras written by tf_keras
            if model is None:
                raise
            shape, name = _export_tf_keras(model, out_dir)
            notes.append("loaded with tf_keras (legacy Keras 2)")
        else:
            from edgekit.quantize.tf_keras_rebuild import has_rolled_lstm, rebuild_in_tf_keras

            if has_rolled_lstm(model):  # TF's converter fails on it; tf_keras gives the fused op
                inputs = getattr(model, "inputs", None) or []
                if len(inputs) != 1:
                    raise ModelError(f"the model has {len(inputs)} inputs; edgekit supports one input for now")
                twin = rebuild_in_tf_keras(model, batch_one(inputs[0].shape, f"model input '{inputs[0].name}'"))
                shape, name = _export_tf_keras(twin, out_dir)
                notes.append("Keras 3 LSTM layers rebuilt in tf_keras with the same weights (float outputs "
                             "checked equal) for the converter's fused LSTM op")
            else:
                try:
                    recurrent = check_recurrent_unrolled(model) > 0
                except ModelError as exc:
                    if not rolled_ok:
                        raise
                    rolled = exc.message
                shape, name = _export_keras3(model, out_dir)
    elif kind == "h5":
        shape, name, notes = _open_h5(path, out_dir)
    else:
        out_dir, shape, name = _open_saved_model(path, out_dir)
    return FloatModel(path, kind, shape, name, saved_model_dir=out_dir, notes=notes,
                      recurrent=recurrent, rolled=rolled)

