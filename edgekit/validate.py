"""`edgekit validate`: the device's outputs against TFLite's reference kernels.

Inputs (seeded random, or .npy/.npz) go over serial; the same inputs go through
tf.lite.Interpreter with the BUILTIN_REF resolver on the int8 model named in the
build's report.json. With a float model and labelled data (.npz with x and y) it also
reports how far the device's int8 results are from the float model's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.device.session import connect, read_build
from edgekit.errors import DataError, DeviceError, UsageError
from edgekit.ir import Graph


@dataclass
class ValidateResult:
    board: str
    samples: int
    bit_exact: int
    max_abs_diff: int
    mismatched: list[int] = field(default_factory=list)  # sample indices
    float_metrics: dict[str, Any] | None = None
    rounding: str = "tflite"  # the build's: the oracle is TFLite's reference, or TFLite Micro
    build_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.bit_exact == self.samples

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"board": self.board, "build_id": self.build_id,
                                "oracle": "tflite-micro" if self.rounding == "tflm" else "tflite-reference",
                                "samples": self.samples,
                                "bit_exact": self.bit_exact, "max_abs_diff": self.max_abs_diff,
                                "mismatched_samples": self.mismatched[:100]}
        if self.float_metrics is not None:
            data["float"] = self.float_metrics
        return data


def compare_float(device: np.ndarray, float_out: np.ndarray, y: np.ndarray | None) -> dict[str, Any]:
    """int8-on-device (dequantized) versus float outputs, per sample flattened."""
    a = device.reshape(len(device), -1).astype(np.float64)
    b = float_out.reshape(len(float_out), -1).astype(np.float64)
    diff = a - b
    norms = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.where(norms > 0, np.sum(a * b, axis=1) / np.where(norms > 0, norms, 1), 1.0)
    metrics: dict[str, Any] = {
        "rmse": float(np.sqrt(np.mean(diff**2))),
        "mae": float(np.mean(np.abs(diff))),
        "cosine": float(np.mean(cos)),
        "l2_relative": float(np.linalg.norm(diff)) / max(float(np.linalg.norm(b)), 1e-30),
    }
    if y is not None:
        from edgekit.quantize.evaluate import score

        task, metric, int8_value = score(device, y)
        _, _, float_value = score(float_out, y)
        metrics.update(task=task, metric=metric, int8=int8_value, float_value=float_value)
    return metrics


def _labels(data: str | None) -> np.ndarray | None:
    if not data or not str(data).endswith(".npz"):
        return None
    with np.load(data) as archive:
        return np.asarray(archive["y"]) if "y" in archive.files else None


def validate_build(
    build_dir: str | Path | None = None, *, data: str | Path | None = None, samples: int = 10,
    port: str | None = None, board: str | None = None, seed: int = 0,
    float_model: str | Path | None = None,
    on_sample: Callable[[int, int], None] | None = None, **link_options: Any,
) -> ValidateResult:
    """Run the samples on the device and on the reference; on_sample(i, total) per sample."""
    import os
    import warnings

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's banner off stderr
    warnings.filterwarnings("ignore", message=".*tf.lite.Interpreter is deprecated.*")
    from edgekit.load import load_tflite
    from edgekit.reference import load_inputs, random_inputs, reference_outputs

    build = read_build(build_dir, board)
    model_path = build.model_path
    graph = load_tflite(model_path)
    inputs = load_inputs(Path(data), graph) if data else random_inputs(graph, samples, seed)
    if not inputs:
        raise DataError("no samples to validate")
    refs = reference_outputs(model_path.read_bytes(), inputs, build.report.get("rounding", "tflite"))
    out_tensors = [graph.tensors[i] for i in graph.outputs]
    device_outputs: list[list[np.ndarray]] = []
    result = ValidateResult(build.board.name, len(inputs), 0, 0,
                            rounding=str(build.report.get("rounding", "tflite")),
                            build_id=build.report.get("build_id"))
    with connect(build, port, **link_options) as link:
        hello = link.info()
        want = [a.nbytes for a in inputs[0]]
        if [t.bytes for t in hello.inputs] != want:
            raise DeviceError(f"the device's inputs are {[t.bytes for t in hello.inputs]} bytes, "
                              f"the model's {want}: is the right firmware flashed?")
        if _has_state(graph):
            # The samples are one sequence, as the reference ran them on one fresh
            # interpreter: the device's variables start over too.
            link.reset_state()
        for i, sample in enumerate(inputs):
            raw, _ = link.run([np.ascontiguousarray(a).tobytes() for a in sample])
            outs = [np.frombuffer(r, dtype=t.dtype).reshape(t.shape) for r, t in zip(raw, out_tensors)]
            device_outputs.append(outs)
            exact = True
            for out, index in zip(outs, graph.outputs):
                ref = refs[i][index].reshape(out.shape)
                diff = int(np.max(np.abs(out.astype(np.int64) - ref.astype(np.int64)), initial=0))
                result.max_abs_diff = max(result.max_abs_diff, diff)
                exact = exact and diff == 0
            result.bit_exact += int(exact)
            if not exact:
                result.mismatched.append(i)
            if on_sample is not None:
                on_sample(i, len(inputs))
    if float_model is not None:
        result.float_metrics = _float_metrics(float_model, data, inputs, device_outputs, graph)
    return result


def _has_state(graph: Graph) -> bool:
    """Whether the model keeps state between invokes (variables, run-once initialisers)."""
    return any(op.type in ("READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")
               for each in graph.all_graphs() for op in each.ops)


def _float_metrics(float_model, data, inputs, device_outputs, graph) -> dict[str, Any]:
    from edgekit.quantize.evaluate import predict

    if data is None or not str(data).endswith(".npz"):
        raise UsageError("--float needs --data FILE.npz holding float inputs x (and labels y)")
    import tempfile

    from edgekit.quantize.convert import to_float
    from edgekit.quantize.source import open_float_model

    with np.load(data) as archive:
        x = np.asarray(archive["x"] if "x" in archive.files else archive[archive.files[0]])
    out0 = graph.tensors[graph.outputs[0]]
    scale, zero_point = float(out0.quant.scale[0]), int(out0.quant.zero_point[0])
    device = np.stack([(o[0].astype(np.float32) - zero_point) * scale for o in device_outputs])
    in_shape = tuple(graph.tensors[graph.inputs[0]].shape)
    x = x.reshape((len(x), *in_shape[1:]))[: len(inputs)].astype(np.float32)
    with tempfile.TemporaryDirectory() as work:  # .keras / SavedModel → float .tflite
        float_tflite = to_float(open_float_model(float_model, Path(work)))
    float_out = predict(float_tflite, x)
    y = _labels(str(data))
    return compare_float(device, float_out, None if y is None else y[: len(inputs)])
