"""`edgekit quantize` end to end: open → calibrate → convert → check → report → evaluate."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import UsageError

MODES = ("int8", "float16", "dynamic")
# Who quantizes to int8: "tf" is Google's (the TF converter; ai-edge-quantizer for a float
# .tflite), "edgekit" edgekit's own (quantize/ptq.py), "auto" Google's unless it is known not
# to work (control flow, rolled Keras 3 GRU/SimpleRNN) or fails, then edgekit's.
QUANTIZERS = ("auto", "tf", "edgekit")
NOT_FOR_MCU = "not for microcontrollers (float activations)"


@dataclass
class QuantizeResult:
    output: Path
    mode: str
    io: str | None
    size_bytes: int
    float_size_bytes: int | None
    input_shape: tuple[int, ...]
    ops: list[str]
    calib_samples: int
    source_kind: str
    notes: list[str] = field(default_factory=list)
    quantizer: str = "tf"  # who wrote the int8 model: "tf" or "edgekit"
    layers: Any = None  # report.LayerReport when a report was asked for
    evaluation: Any = None  # evaluate.Evaluation with eval data

    @property
    def for_microcontrollers(self) -> bool:
        return self.mode == "int8"

    @property
    def warning(self) -> str | None:
        return None if self.for_microcontrollers else f"{self.mode}: {NOT_FOR_MCU}"

    def to_json(self) -> dict[str, Any]:
        return {
            "output": str(self.output), "mode": self.mode, "io": self.io,
            "size_bytes": self.size_bytes, "float_size_bytes": self.float_size_bytes,
            "input_shape": list(self.input_shape), "ops": self.ops,
            "calib_samples": self.calib_samples, "source_kind": self.source_kind,
            "for_microcontrollers": self.for_microcontrollers, "warning": self.warning,
            "notes": self.notes, "quantizer": self.quantizer,
            "layers": self.layers.to_json() if self.layers is not None else None,
            "evaluation": self.evaluation.to_json() if self.evaluation is not None else None,
        }


def _samples(calib: str | Path | np.ndarray, sample_shape: tuple[int, ...], mapping: Any,
             max_samples: int | None) -> np.ndarray:
    from edgekit.quantize.calib import fit_samples, load_samples

    if isinstance(calib, np.ndarray):
        x = fit_samples(calib, sample_shape, "calibration array")
        return x[:max_samples] if max_samples else x
    return load_samples(calib, sample_shape, mapping=mapping, max_samples=max_samples)


# Measured with TF 2.21: converting an unrolled Keras 3 LSTM/GRU is not deterministic and
# sometimes leaves a float section (DEQUANTIZE → float ops); another attempt usually does not.
RECURRENT_ATTEMPTS = 5


def _int8_checked(float_model: Any, samples: np.ndarray, io: str, per_tensor: bool, name: str,
                  notes: list[str], activations: str = "int8") -> bytes:
    from edgekit.errors import ModelError
    from edgekit.quantize import check, convert

    attempts = RECURRENT_ATTEMPTS if float_model.recurrent else 1
    for attempt in range(1, attempts + 1):
        data = convert.to_int8(float_model, samples, io=io, per_tensor=per_tensor, activations=activations)
        try:
            check.check_integer_only(data, name, "int16" if activations == "int16" else io)
        except ModelError as exc:
            if attempt == attempts:
                if float_model.recurrent:
                    raise ModelError(f"{exc.message} (unrolled recurrent layers: still float after "
                                     f"{attempts} conversions; TF's converter is not deterministic "
                                     "on them)") from None
                raise
            continue
        if attempt > 1:
            notes.append(f"unrolled recurrent layers: fully integer on conversion attempt {attempt} "
                         "(TF's converter is not deterministic on them)")
        return data
    raise AssertionError("unreachable")


def edgekit_reason(float_model: Any) -> str | None:
    """Why Google's quantizers are known not to take `float_model`, or None."""
    from edgekit.quantize.check import read_model

    if float_model.rolled:
        return "a Keras 3 recurrent layer that is not unrolled (TF's converter crashes on it)"
    if float_model.tflite is not None:
        graphs = read_model(float_model.tflite, str(float_model.path))[0].SubgraphsLength()
        if graphs > 1:
            return f"control flow ({graphs} subgraphs), which ai-edge-quantizer cannot calibrate"
    return None


def _edgekit_int8(float_model: Any, samples: np.ndarray, io: str, per_tensor: bool, name: str) -> bytes:
    from edgekit.quantize import check, convert, ptq

    data = ptq.quantize_tflite(convert.to_float(float_model), samples, io=io, per_tensor=per_tensor)
    check.check_integer_only(data, name, io)
    return data


def _int8(float_model: Any, samples: np.ndarray, io: str, per_tensor: bool, name: str,
          notes: list[str], activations: str, quantizer: str) -> tuple[bytes, str]:
    """The int8 model and who wrote it ("tf" or "edgekit")."""
    from edgekit.errors import ModelError

    reason = edgekit_reason(float_model) if quantizer == "auto" else None
    if quantizer == "edgekit" or reason:
        if activations != "int8":
            raise UsageError("edgekit's own quantizer writes int8 activations; --activations int16 "
                             f"needs --quantizer tf{f' (this model has {reason})' if reason else ''}")
        data = _edgekit_int8(float_model, samples, io, per_tensor, name)
        notes.append(f"quantized by edgekit's own quantizer ({reason or '--quantizer edgekit'})")
        return data, "edgekit"
    try:
        return _int8_checked(float_model, samples, io, per_tensor, name, notes, activations), "tf"
    except ModelError as exc:
        if quantizer == "tf" or activations != "int8":
            raise
        try:
            data = _edgekit_int8(float_model, samples, io, per_tensor, name)
        except ModelError:
            raise exc from None
        notes.append(f"quantized by edgekit's own quantizer (Google's failed: {exc.message})")
        return data, "edgekit"


def quantize(model: str | Path, calib: str | Path | np.ndarray | None, output: str | Path, *,
             mode: str = "int8", io: str = "int8", per_tensor: bool = False,
             report: str | Path | bool | None = None,
             eval_data: str | Path | tuple[np.ndarray, np.ndarray] | None = None,
             image_mapping: Any = None, max_calib_samples: int | None = 500,
             activations: str = "int8", quantizer: str = "auto") -> QuantizeResult:
    """Quantize `model` and write the .tflite to `output`. See edgekit.api.quantize."""
    from edgekit.quantize import calib as calib_mod
    from edgekit.quantize import check, convert, source

    if mode not in MODES:
        raise UsageError(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "int8" and calib is None:
        raise UsageError("int8 quantization needs calibration data: --calib FILE.npz|FOLDER "
                           "(or 'random', which ruins accuracy)")
    if activations not in convert.ACTIVATION_TYPES:
        raise UsageError(f"--activations must be one of {', '.join(convert.ACTIVATION_TYPES)}, "
                         f"not {activations!r}")
    if quantizer not in QUANTIZERS:
        raise UsageError(f"--quantizer must be one of {', '.join(QUANTIZERS)}, not {quantizer!r}")
    if activations == "int16" and mode != "int8":
        raise UsageError("--activations int16 is full-integer quantization: it needs --mode int8")
    output = Path(output)
    if output.suffix.lower() != ".tflite":
        raise UsageError(f"output {output} must end in .tflite")
    mapping = image_mapping or calib_mod.ImageMapping()
    convert.import_tensorflow()
    with tempfile.TemporaryDirectory(prefix="edgekit-quantize-") as tmp:
        float_model = source.open_float_model(model, Path(tmp), rolled_ok=quantizer != "tf" and mode == "int8")
        samples = np.zeros((0, *float_model.sample_shape), np.float32)
        if calib is not None and mode == "int8":
            samples = _samples(calib, float_model.sample_shape, mapping, max_calib_samples)
        notes = list(float_model.notes)
        used = "tf"
        if mode == "int8":
            data, used = _int8(float_model, samples, io, per_tensor, str(output), notes, activations, quantizer)
        elif mode == "float16":
            data = convert.to_float16(float_model)
        else:
            data = convert.to_dynamic(float_model)
        need_float = report or eval_data is not None
        float_data = convert.to_float(float_model) if need_float or mode == "int8" else None
        layers = None
        if report and used == "edgekit":
            raise UsageError("--report runs TF's quantization debugger, which needs the TF converter; "
                             "this model was quantized by edgekit's own quantizer")
        if report and mode == "int8":
            from edgekit.quantize.report import layer_report

            layers = layer_report(float_model, samples, per_tensor=per_tensor,
                                  compare_int16=activations == "int16")
        evaluation = None
        if eval_data is not None:
            from edgekit.quantize.evaluate import evaluate

            if isinstance(eval_data, tuple):
                x, y = eval_data
                x = calib_mod.fit_samples(x, float_model.sample_shape, "evaluation data")
            else:
                x, y = calib_mod.load_labelled(eval_data, float_model.sample_shape)
            assert float_data is not None
            evaluation = evaluate(float_data, data, x, np.asarray(y),
                                  label="int16x8" if activations == "int16" else mode)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    if layers is not None and isinstance(report, (str, Path)):
        layers.write(Path(report))
    return QuantizeResult(
        output=output, mode=mode, io=("int16" if activations == "int16" else io) if mode == "int8" else None,
        size_bytes=len(data),
        float_size_bytes=len(float_data) if float_data is not None else None,
        input_shape=float_model.input_shape, ops=check.op_names(data, str(output)),
        calib_samples=len(samples), source_kind=float_model.kind, notes=notes, layers=layers,
        evaluation=evaluation, quantizer=used)
