"""TFLite conversions of a FloatModel: full int8, plain float, float16, dynamic range.

Recipe for full int8 (measured with TF 2.21 on Keras 3 CNNs, by Keras and SavedModel):
Optimize.DEFAULT + representative_dataset + TFLITE_BUILTINS_INT8 + int8 input/output.
A float .tflite goes through ai-edge-quantizer's static int8 recipe instead, whose
float boundary QUANTIZE/DEQUANTIZE ops are then folded into int8 I/O.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError, ModelError, ToolError, UsageError
from edgekit.quantize.source import FloatModel

IO_TYPES = ("int8", "uint8")
# Activation types of a full-integer model: int8, or int16 with int8 weights and int64 bias
# (TF's int16x8 mode, EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8; its
# input and output are int16).
ACTIVATION_TYPES = ("int8", "int16")


@contextlib.contextmanager
def native_stderr(log: list[str]) -> Iterator[None]:
    """Capture what TF's C++ code writes to fd 2 (converter chatter) into `log`.

    Shown only when the conversion fails, so a success prints nothing but edgekit's lines.
    """
    with tempfile.TemporaryFile(mode="w+b") as sink:
        saved = os.dup(2)
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            log.append(sink.read().decode(errors="replace"))


def import_tensorflow() -> Any:
    """`import tensorflow` without its C++ start-up chatter (absl/oneDNN lines on fd 2)."""
    import sys

    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    log: list[str] = []
    try:
        with native_stderr(log):
            import tensorflow
    except ImportError as exc:
        raise ToolError(f"TensorFlow is needed to quantize ({exc}); install edgekit[tf]") from None
    return tensorflow


def _converter_error(exc: BaseException, log: list[str], what: str) -> ModelError:
    """One line out of a converter failure: the first 'error:' line if there is one."""
    text = "\n".join([str(exc), *log])
    for line in text.splitlines():
        if "error:" in line.lower():
            return ModelError(f"{what} failed: {line.strip()[:300]}")
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return ModelError(f"{what} failed: {(lines[-1] if lines else type(exc).__name__)[:300]}")


def _run(converter: Any, what: str) -> bytes:
    log: list[str] = []
    try:
        with native_stderr(log):
            return bytes(converter.convert())
    except Exception as exc:  # noqa: BLE001 - converter raises ConverterError, RuntimeError, ...
        raise _converter_error(exc, log, what) from None


def _tf_converter(model: FloatModel) -> Any:
    import tensorflow as tf

    if model.saved_model_dir is None:
        raise ModelError(f"{model.path}: a {model.kind} model has no TF converter route")
    return tf.lite.TFLiteConverter.from_saved_model(str(model.saved_model_dir))


def representative(samples: np.ndarray) -> Any:
    """representative_dataset factory: one batch-1 sample at a time, as the model takes it."""
    def generate() -> Iterator[list[np.ndarray]]:
        for sample in samples:
            yield [sample[None].astype(np.float32)]
    return generate


def int8_converter(model: FloatModel, samples: np.ndarray, *, io: str | None = "int8",
                   per_tensor: bool = False, activations: str = "int8") -> Any:
    """The full-integer TF converter; io=None keeps float I/O (what the debugger needs).
    activations="int16": the int16x8 ops set, with int16 I/O (unless io is None)."""
    import tensorflow as tf

    converter = _tf_converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative(samples)
    if activations == "int16":
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        io = None if io is None else "int16"
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if io is not None:
        converter.inference_input_type = getattr(tf, io)
        converter.inference_output_type = getattr(tf, io)
    if per_tensor:
        # Both switches: conv weights and (since TF 2.16 per-channel by default) dense weights.
        converter._experimental_disable_per_channel = True
        converter._experimental_disable_per_channel_quantization_for_dense_layers = True
    return converter


def to_int8(model: FloatModel, samples: np.ndarray, *, io: str = "int8",
            per_tensor: bool = False, activations: str = "int8") -> bytes:
    if io not in IO_TYPES:
        raise UsageError(f"--io must be one of {', '.join(IO_TYPES)}, not {io!r}")
    if activations not in ACTIVATION_TYPES:
        raise UsageError(f"--activations must be one of {', '.join(ACTIVATION_TYPES)}, not {activations!r}")
    if model.kind == "tflite":
        if activations == "int16":
            raise UsageError("--activations int16 needs the Keras or SavedModel source: a float .tflite "
                             "goes through ai-edge-quantizer's int8 recipe")
        return _tflite_to_int8(model, samples, io=io, per_tensor=per_tensor)
    return _run(int8_converter(model, samples, io=io, per_tensor=per_tensor, activations=activations),
                f"{'int16x8' if activations == 'int16' else 'int8'} conversion")


def to_float(model: FloatModel) -> bytes:
    """The model as a plain float .tflite (batch 1): the float side of reports and evaluation."""
    if model.tflite is not None:
        return model.tflite
    return _run(_tf_converter(model), "float conversion")


def to_float16(model: FloatModel) -> bytes:
    import tensorflow as tf

    if model.kind == "tflite":
        raise UsageError("--mode float16 needs the Keras/SavedModel source, not a .tflite")
    converter = _tf_converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return _run(converter, "float16 conversion")


def to_dynamic(model: FloatModel) -> bytes:
    import tensorflow as tf

    if model.kind == "tflite":
        return _tflite_with_recipe(model, "dynamic_wi8_afp32", None)
    converter = _tf_converter(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return _run(converter, "dynamic-range conversion")


# ---------------------------------------------------------------- float .tflite route

def _tflite_with_recipe(model: FloatModel, recipe_name: str, samples: np.ndarray | None,
                        per_tensor: bool = False) -> bytes:
    from ai_edge_quantizer import qtyping, quantizer, recipe

    assert model.tflite is not None
    log: list[str] = []
    try:
        with native_stderr(log), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its interpreter's preserve-all-tensors notice
            qt = quantizer.Quantizer(bytearray(model.tflite))
            if per_tensor:
                qt.add_static_config(".*", qtyping.TFLOperationName.ALL_SUPPORTED, 8, 8,
                                     qtyping.QuantGranularity.TENSORWISE)
            else:
                qt.load_quantization_recipe(getattr(recipe, recipe_name)())
            calibration = None
            if samples is not None:
                signature = _signature_key(model.tflite)
                data = {signature: [{model.input_name: s[None].astype(np.float32)} for s in samples]}
                calibration = qt.calibrate(data)
            result = qt.quantize(calibration, enable_progress_report=False)
    except EdgekitError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _converter_error(exc, log, "ai-edge-quantizer") from None
    return bytes(result.quantized_model)


def _refuse_control_flow(data: bytes | None) -> None:
    """ai-edge-quantizer cannot calibrate a float .tflite's subgraphs (WHILE/IF bodies)."""
    from edgekit.quantize.check import read_model

    if data is None:
        return
    model, _ = read_model(data, "model")
    if model.SubgraphsLength() > 1:
        raise ModelError(f"the float .tflite has control flow ({model.SubgraphsLength()} subgraphs: WHILE/IF), "
                         "which ai-edge-quantizer cannot calibrate; quantize it with --quantizer edgekit "
                         "(or auto), or convert the Keras model with the TF converter")


def _signature_key(data: bytes) -> str:
    from edgekit.quantize.check import read_model

    model, _ = read_model(data, "model")
    if model.SignatureDefsLength() == 0:
        raise ModelError("the float .tflite has no signature; ai-edge-quantizer needs one — convert "
                         "it from Keras/SavedModel again, or pass the Keras/SavedModel itself")
    return model.SignatureDefs(0).SignatureKey().decode()


def _refuse_float_lstm(model: FloatModel) -> None:
    """ai-edge-quantizer leaves a float LSTM cell in float: one line saying what to pass instead."""
    from edgekit.quantize.check import op_names

    if model.tflite is not None and "UNIDIRECTIONAL_SEQUENCE_LSTM" in op_names(model.tflite, str(model.path)):
        raise ModelError(f"{model.path} has a float UNIDIRECTIONAL_SEQUENCE_LSTM, which ai-edge-quantizer "
                         "leaves in float; quantize the Keras model itself (edgekit quantize MODEL.keras: LSTM "
                         "layers are rebuilt in tf_keras and convert to the int8 LSTM op)")


def _tflite_to_int8(model: FloatModel, samples: np.ndarray, *, io: str, per_tensor: bool) -> bytes:
    _refuse_control_flow(model.tflite)
    _refuse_float_lstm(model)
    quantized = _tflite_with_recipe(model, "static_wi8_ai8", samples, per_tensor)
    return fold_float_io(quantized, io)


def fold_float_io(data: bytes, io: str) -> bytes:
    """Replace float I/O + boundary QUANTIZE/DEQUANTIZE with int8 (or uint8) I/O.

    Uses TFLite's own modify_model_interface tool (shipped with ai-edge-litert/TF).
    """
    from tensorflow.lite.tools.optimize.python import _pywrap_modify_model_interface as mmi

    type_code = {"int8": 9, "uint8": 3}[io]  # TensorType enum of the schema
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp, "in.tflite"), Path(tmp, "out.tflite")
        src.write_bytes(data)
        log: list[str] = []
        with native_stderr(log):
            status = mmi.modify_model_interface(str(src), str(dst), type_code, type_code)
        if status != 0 or not dst.is_file():
            raise ModelError(f"could not switch the model's I/O to {io} (modify_model_interface "
                             f"status {status}): {' '.join(log).strip()[:200]}")
        return dst.read_bytes()
