"""Per-layer quantization error: float vs int8 for every quantized tensor.

Built on tf.lite.experimental.QuantizationDebugger's debug model, in which each int8 op
is paired with its float twin and a NumericVerify op. Measured with TF 2.21: the
debugger's own statistics on the `converter=` route are wrong (its interpreter does not
preserve the float tensors, which the arena then overwrites). So the debug model is
taken with `get_debug_quantized_model()` and run here with every tensor preserved, on
TFLite's reference kernels. Each float op reads the dequantized output of the int8
layer before it, so the error of a layer is its own, not the sum of those upstream.
"""

from __future__ import annotations

import csv
import json
import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import UsageError
from edgekit.quantize.convert import int8_converter, native_stderr, representative
from edgekit.quantize.source import FloatModel

REPORT_SUFFIXES = (".csv", ".json")
# A layer is flagged when its int8 error is large against its signal: below 25 dB
# (noise above ~5.6% of the signal's RMS) int8 starts to cost accuracy; a ranking alone
# would flag a 44 dB layer in a model where every layer is fine.
LOW_SQNR_DB = 25.0


@dataclass
class LayerError:
    index: int  # position among the quantized tensors, in execution order
    op: str
    tensor: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int
    sqnr_db: float  # 10 log10(sum f^2 / sum (f - dq)^2); inf when the error is zero
    rmse: float
    max_abs_error: float
    flagged: bool = False
    # With --activations int16: the same tensor's error in the int16x8 model run end to end
    # against the float model (TF's debugger cannot instrument int16x8 models, so this error
    # includes the layers upstream: an upper bound of the layer's own). None when the int16x8
    # model has no tensor of that name.
    sqnr_db_int16: float | None = None
    rmse_int16: float | None = None


@dataclass
class LayerReport:
    samples: int
    layers: list[LayerError] = field(default_factory=list)

    def worst(self) -> list[LayerError]:
        return [layer for layer in self.layers if layer.flagged]

    def to_json(self) -> dict[str, Any]:
        def clean(row: dict[str, Any]) -> dict[str, Any]:
            # JSON has no inf: a zero error gives sqnr_db null.
            return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in row.items()}
        return {"samples": self.samples,
                "layers": [clean({**asdict(layer), "shape": list(layer.shape)})
                           for layer in self.layers]}

    def write(self, path: Path) -> None:
        check_report_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix.lower() == ".json":
            path.write_text(json.dumps(self.to_json(), indent=2) + "\n")
            return
        names = list(LayerError.__dataclass_fields__)
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, names)
            writer.writeheader()
            for layer in self.layers:
                row = asdict(layer)
                row["shape"] = "x".join(map(str, layer.shape))
                writer.writerow(row)

    def rich_table(self) -> Any:
        from rich import box
        from rich.table import Table

        int16 = any(layer.sqnr_db_int16 is not None for layer in self.layers)
        title = "int8 and int16x8 error per layer" if int16 else "int8 error per layer"
        table = Table(title=f"{title} ({self.samples} samples)", box=box.SIMPLE_HEAD)
        headers = [("#", "right"), ("op", "left"), ("scale", "right"), ("zp", "right"),
                   ("SQNR dB", "right"), ("RMSE", "right"), ("max|err|", "right")]
        headers += [("int16 SQNR dB", "right"), ("int16 RMSE", "right")] if int16 else []
        headers.append(("", "left"))

        def int16_cells(layer: LayerError) -> list[str]:
            if not int16:
                return []
            if layer.sqnr_db_int16 is None or layer.rmse_int16 is None:
                return ["-", "-"]
            return [f"{layer.sqnr_db_int16:.1f}", f"{layer.rmse_int16:.2g}"]

        rows = [[str(layer.index), layer.op, f"{layer.scale:.3g}", str(layer.zero_point),
                 f"{layer.sqnr_db:.1f}", f"{layer.rmse:.2g}", f"{layer.max_abs_error:.2g}",
                 *int16_cells(layer), f"< {LOW_SQNR_DB:g} dB" if layer.flagged else ""]
                for layer in self.layers]
        for column, (name, justify) in enumerate(headers):
            width = max([len(name), *(len(row[column]) for row in rows)])
            table.add_column(name, justify=justify, min_width=width)  # type: ignore[arg-type]
        # The tensor name is the column that gives way on a narrow terminal.
        table.add_column("tensor", overflow="ellipsis", no_wrap=True)
        for row, layer in zip(rows, self.layers):
            if layer.flagged:
                row[-1] = f"[bold red]< {LOW_SQNR_DB:g} dB[/]"
            table.add_row(*row, _short(layer.tensor))
        return table


def _short(name: str, width: int = 40) -> str:
    first = name.split(";")[0]
    return first if len(first) <= width else "…" + first[-(width - 1):]


def _tensor_name(float_detail: dict[str, Any], quant_detail: dict[str, Any]) -> str:
    """The float twin's name, unless it is a debugger-made one; the debugger appends a digit
    to the int8 twin's name, which is stripped (as the debugger's own CSV dump does)."""
    name = float_detail["name"]
    if not name.startswith("tfl."):
        return name
    name = quant_detail["name"]
    return name[:-1] if name[-1:].isdigit() else name


def check_report_path(path: Path) -> None:
    if path.suffix.lower() not in REPORT_SUFFIXES:
        raise UsageError(f"report file {path} must end in .csv or .json")


def debug_model(model: FloatModel, samples: np.ndarray, per_tensor: bool = False) -> bytes:
    """The debugger's instrumented model (float I/O converter, as the debugger requires)."""
    import tensorflow as tf

    if model.kind == "tflite":
        raise UsageError("the per-layer report needs the Keras/SavedModel source; a float "
                           ".tflite goes through ai-edge-quantizer, which the TF debugger cannot "
                           "instrument")
    converter = int8_converter(model, samples, io=None, per_tensor=per_tensor)
    log: list[str] = []
    with native_stderr(log), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        debugger = tf.lite.experimental.QuantizationDebugger(
            converter=converter, debug_dataset=representative(samples[:1]))
        return bytes(debugger.get_debug_quantized_model())


class _Accumulator:
    def __init__(self) -> None:
        self.signal = 0.0
        self.noise = 0.0
        self.count = 0
        self.max_abs = 0.0

    def add(self, reference: np.ndarray, approx: np.ndarray) -> None:
        error = approx.astype(np.float64) - reference.astype(np.float64)
        self.signal += float(np.sum(reference.astype(np.float64) ** 2))
        self.noise += float(np.sum(error ** 2))
        self.count += error.size
        self.max_abs = max(self.max_abs, float(np.max(np.abs(error))) if error.size else 0.0)


def layer_report(model: FloatModel, samples: np.ndarray, per_tensor: bool = False,
                 max_samples: int = 100, compare_int16: bool = False) -> LayerReport:
    """Float vs int8 per layer; with compare_int16 also float vs int16x8 beside it (the two
    debug models' layers matched by their float tensor's name), to show which layers need
    16-bit activations."""
    samples = samples[:max_samples]
    report = _int8_layer_report(model, samples, per_tensor)
    if compare_int16:
        int16 = int16_tensor_errors(model, samples, per_tensor)
        for layer in report.layers:
            if layer.tensor in int16:
                layer.sqnr_db_int16, layer.rmse_int16 = int16[layer.tensor]
    return report


def _sqnr(acc: _Accumulator) -> float:
    return math.inf if acc.noise == 0 else 10 * math.log10(max(acc.signal, 1e-30) / acc.noise)


def int16_tensor_errors(model: FloatModel, samples: np.ndarray,
                        per_tensor: bool = False) -> dict[str, tuple[float, float]]:
    """Tensor name -> (SQNR dB, RMSE) of the int16x8 model's tensor against the float model's
    tensor of the same name, both run end to end on TFLite's reference kernels."""
    from edgekit.quantize.convert import _run, to_float
    from edgekit.quantize.evaluate import reference_interpreter

    quantized = _run(int8_converter(model, samples, io=None, per_tensor=per_tensor, activations="int16"),
                     "int16x8 conversion")
    runs = [reference_interpreter(data, preserve_all_tensors=True) for data in (to_float(model), quantized)]
    float_tensors = {t["name"]: t for t in runs[0].get_tensor_details()}
    pairs = []
    for t in runs[1].get_tensor_details():
        twin = float_tensors.get(t["name"])
        scales = t["quantization_parameters"]["scales"]
        if t["dtype"] == np.int16 and twin is not None and len(scales) == 1 and \
                tuple(twin["shape"]) == tuple(t["shape"]):
            pairs.append((t["name"], twin["index"], t["index"], float(scales[0])))
    stats = {name: _Accumulator() for name, *_ in pairs}
    for sample in samples:
        for run in runs:
            run.set_tensor(run.get_input_details()[0]["index"], sample[None].astype(np.float32))
            run.invoke()
        for name, f_index, q_index, scale in pairs:
            stats[name].add(runs[0].get_tensor(f_index), runs[1].get_tensor(q_index).astype(np.float64) * scale)
    return {name: (_sqnr(acc), math.sqrt(acc.noise / max(acc.count, 1))) for name, acc in stats.items()}


def _int8_layer_report(model: FloatModel, samples: np.ndarray, per_tensor: bool) -> LayerReport:
    from edgekit.quantize.evaluate import quantize_input, reference_interpreter

    interpreter = reference_interpreter(debug_model(model, samples, per_tensor),
                                        preserve_all_tensors=True)
    ops = interpreter._get_ops_details()  # the debugger itself relies on these, too
    verify = [op for op in ops if op["op_name"] == "NumericVerify"]
    defining = {t: op["op_name"] for op in ops for t in op["outputs"]}
    stats = [_Accumulator() for _ in verify]
    inp = interpreter.get_input_details()[0]
    for sample in samples:
        interpreter.set_tensor(inp["index"], quantize_input(sample[None], inp))
        interpreter.invoke()
        for acc, op in zip(stats, verify):
            q_index, f_index = op["inputs"][:2]
            detail = interpreter._get_tensor_details(q_index, 0)
            scale = detail["quantization_parameters"]["scales"][0]
            zero_point = detail["quantization_parameters"]["zero_points"][0]
            dequantized = (interpreter.get_tensor(q_index).astype(np.float64) - zero_point) * scale
            acc.add(interpreter.get_tensor(f_index), dequantized)

    report = LayerReport(samples=len(samples))
    for i, (acc, op) in enumerate(zip(stats, verify)):
        q_index, f_index = op["inputs"][:2]
        q_detail = interpreter._get_tensor_details(q_index, 0)
        f_detail = interpreter._get_tensor_details(f_index, 0)
        quant = q_detail["quantization_parameters"]
        sqnr = _sqnr(acc)
        report.layers.append(LayerError(
            index=i, op=defining.get(q_index, "?"), tensor=_tensor_name(f_detail, q_detail),
            shape=tuple(int(d) for d in q_detail["shape"]), scale=float(quant["scales"][0]),
            zero_point=int(quant["zero_points"][0]), sqnr_db=sqnr,
            rmse=math.sqrt(acc.noise / max(acc.count, 1)), max_abs_error=acc.max_abs))
    flag_low_sqnr(report)
    return report


def flag_low_sqnr(report: LayerReport, threshold_db: float = LOW_SQNR_DB) -> None:
    """Flag the layers whose SQNR is below the threshold (none, when all are fine)."""
    for layer in report.layers:
        layer.flagged = layer.sqnr_db < threshold_db
