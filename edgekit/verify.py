"""`edgekit verify`: the generated C against TFLite's reference kernels, byte for byte."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import EdgekitError
from edgekit.ir import Graph
from edgekit.pipeline import CompiledModel
from edgekit.targets.host import build_host_verifier


@dataclass
class VerifyResult:
    model: str
    samples: int
    bit_exact: int
    max_abs_diff: int
    rounding: str
    first_mismatch: dict[str, Any] | None = None
    per_output_max_abs_diff: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.bit_exact == self.samples

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _np_dtype(dtype: str) -> np.dtype:
    return np.dtype(dtype)


def random_inputs(graph: Graph, samples: int, seed: int = 0) -> list[list[np.ndarray]]:
    """Seeded random inputs covering each input type's full range."""
    rng = np.random.default_rng(seed)
    result = []
    for _ in range(samples):
        sample = []
        for index in graph.inputs:
            t = graph.tensors[index]
            if t.dtype in ("int8", "uint8", "int16"):
                info = np.iinfo(t.dtype)
                sample.append(rng.integers(info.min, info.max + 1, size=t.shape, dtype=t.dtype))
            else:
                sample.append(rng.uniform(-1.0, 1.0, size=t.shape).astype(t.dtype))
        result.append(sample)
    return result


def load_inputs(path: Path, graph: Graph) -> list[list[np.ndarray]]:
    """Samples from .npy (one input) or .npz (one array per input, in order)."""
    try:
        if path.suffix == ".npz":
            with np.load(path) as archive:
                arrays = [archive[k] for k in archive.files]
        else:
            arrays = [np.load(path)]
    except (OSError, ValueError) as exc:
        raise EdgekitError(f"cannot read inputs from {path}: {exc}") from None
    if "x" in getattr(arrays, "files", []):
        arrays = [arrays[0]]
    if len(arrays) < len(graph.inputs):
        raise EdgekitError(f"{path} holds {len(arrays)} arrays; the model has {len(graph.inputs)} inputs")
    per_input = []
    for array, index in zip(arrays, graph.inputs):
        t = graph.tensors[index]
        shape = tuple(t.shape)
        if array.shape == shape:
            array = array[None]
        elif array.shape[1:] != shape:
            if tuple(array.shape[1:]) == shape[1:]:
                array = array[:, None]
            else:
                raise EdgekitError(f"{path}: array of shape {array.shape} does not fit input "
                                   f"{t.name!r} of shape {list(shape)}")
        if array.dtype.kind == "f" and t.dtype in ("int8", "uint8") and t.quant is not None:
            scale, zero_point = float(t.quant.scale[0]), int(t.quant.zero_point[0])
            info = np.iinfo(t.dtype)
            array = np.clip(np.round(array / scale) + zero_point, info.min, info.max)
        per_input.append(array.astype(t.dtype))
    count = min(len(a) for a in per_input)
    return [[a[i].reshape(graph.tensors[idx].shape) for a, idx in zip(per_input, graph.inputs)]
            for i in range(count)]


def reference_outputs(model_bytes: bytes, samples: list[list[np.ndarray]], rounding: str,
                      keep_all: bool = False) -> list[dict[int, np.ndarray]]:
    """Run TFLite's reference kernels (or TFLite Micro) → {tensor index: array} per sample."""
    if rounding == "tflm":
        return _tflm_outputs(model_bytes, samples)
    import warnings

    from edgekit.quantize.convert import import_tensorflow

    tf = import_tensorflow()  # without TF's C++ start-up lines on stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "tf.lite.Interpreter is deprecated"
        interpreter = tf.lite.Interpreter(
            model_content=model_bytes,
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=keep_all)
    interpreter.allocate_tensors()
    inputs = interpreter.get_input_details()
    results = []
    for sample in samples:
        for detail, value in zip(inputs, sample):
            interpreter.set_tensor(detail["index"], value)
        interpreter.invoke()
        wanted = [t["index"] for t in interpreter.get_tensor_details()] if keep_all else \
            [d["index"] for d in interpreter.get_output_details()]
        values = {}
        for index in wanted:
            try:
                values[index] = np.array(interpreter.get_tensor(index))
            except ValueError:
                pass  # tensors without data (e.g. optional, unallocated)
        results.append(values)
    return results


def _tflm_outputs(model_bytes: bytes, samples: list[list[np.ndarray]]) -> list[dict[int, np.ndarray]]:
    """TFLite Micro's outputs, keyed by the model's output tensor indices like the reference's."""
    from tflite_micro.python.tflite_micro import runtime

    from edgekit.load import load_tflite_bytes

    outputs = load_tflite_bytes(model_bytes).outputs
    interpreter = runtime.Interpreter.from_bytes(model_bytes, arena_size=4 << 20)
    results = []
    for sample in samples:
        for k, value in enumerate(sample):
            interpreter.set_input(value, k)
        interpreter.invoke()
        results.append({index: np.array(interpreter.get_output(k)) for k, index in enumerate(outputs)})
    return results


def run_generated(compiled: CompiledModel, work_dir: Path, samples: list[list[np.ndarray]],
                  debug: bool = False, sanitize: bool = False) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run the host build on the samples → (outputs per sample, per-op outputs per sample)."""
    graph = compiled.graph
    binary = build_host_verifier(compiled.generated.sources, work_dir, debug=debug, sanitize=sanitize)
    stdin = b"".join(np.ascontiguousarray(x).tobytes() for sample in samples for x in sample)
    try:
        result = subprocess.run([str(binary)], input=stdin, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise EdgekitError("the host build of the model did not finish within 600 s") from None
    if result.returncode != 0:
        raise EdgekitError(f"the host build of the model failed (exit {result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()[:300]}")
    out_tensors = [graph.tensors[i] for i in graph.outputs]
    op_tensors = [graph.tensors[graph.ops[i].outputs[0]] for i in compiled.plan.op_order] if debug else []
    data = memoryview(result.stdout)
    position = 0
    outputs, per_op = [], []
    for _ in samples:
        sample_ops = []
        for t in op_tensors:
            sample_ops.append(np.frombuffer(data[position:position + t.nbytes], dtype=t.dtype).reshape(t.shape))
            position += t.nbytes
        sample_outputs = []
        for t in out_tensors:
            sample_outputs.append(np.frombuffer(data[position:position + t.nbytes], dtype=t.dtype).reshape(t.shape))
            position += t.nbytes
        outputs.append(sample_outputs)
        per_op.append(sample_ops)
    if position != len(data):
        raise EdgekitError(f"the host build wrote {len(data)} bytes, expected {position}")
    return outputs, per_op


def verify(compiled: CompiledModel, work_dir: Path, samples: list[list[np.ndarray]],
           debug: bool = False, sanitize: bool = False) -> VerifyResult:
    graph = compiled.graph
    rounding = compiled.ctx.rounding
    ours, per_op = run_generated(compiled, work_dir, samples, debug=debug, sanitize=sanitize)
    reference = reference_outputs(compiled.model_bytes, samples, rounding, keep_all=debug and rounding != "tflm")
    bit_exact, max_diff = 0, 0
    per_output = [0] * len(graph.outputs)
    first = None
    for s, (mine, ref) in enumerate(zip(ours, reference)):
        exact = True
        for k, (index, value) in enumerate(zip(graph.outputs, mine)):
            expected = ref[index]
            diff = int(np.max(np.abs(value.astype(np.int64) - expected.astype(np.int64)))) if value.size else 0
            per_output[k] = max(per_output[k], diff)
            max_diff = max(max_diff, diff)
            exact = exact and diff == 0
        bit_exact += exact
        if not exact and first is None and debug and rounding != "tflm":
            first = _first_differing_op(compiled, per_op[s], ref, s)
    return VerifyResult(model=str(compiled.model_path), samples=len(samples), bit_exact=bit_exact,
                        max_abs_diff=max_diff, rounding=rounding, first_mismatch=first,
                        per_output_max_abs_diff=per_output)


def _first_differing_op(compiled: CompiledModel, op_outputs: list[np.ndarray], ref: dict[int, np.ndarray],
                        sample: int) -> dict[str, Any] | None:
    graph = compiled.graph
    for position, (op_index, value) in enumerate(zip(compiled.plan.op_order, op_outputs)):
        op = graph.ops[op_index]
        tensor = op.outputs[0]
        if tensor not in ref:
            continue
        expected = ref[tensor]
        if expected.shape != value.shape or not np.array_equal(expected, value):
            diff = np.abs(value.astype(np.int64) - expected.reshape(value.shape).astype(np.int64))
            return dict(sample=sample, op=position, type=op.type, tensor=graph.tensors[tensor].name,
                        max_abs_diff=int(diff.max()), differing_bytes=int(np.count_nonzero(diff)))
    return None


def verify_model(model: str | Path, board: str = "host", samples: int = 10, inputs: str | Path | None = None,
                 rounding: str = "tflite", debug: bool = False, sanitize: bool = False,
                 work_dir: str | Path | None = None, seed: int = 0) -> VerifyResult:
    import tempfile

    from edgekit.boards import load_board
    from edgekit.build import int8_model_bytes
    from edgekit.pipeline import compile_model
    from edgekit.targets import HostTarget, target_for

    model = Path(model)
    target = load_board(board)
    kind = target_for(target)
    if kind.needs_hardware:
        raise EdgekitError(f"verify runs on the host or an emulated board; for {target.name} "
                           "flash it and use `edgekit validate`")
    if not isinstance(kind, HostTarget):  # the firmware in QEMU, over the serial protocol
        return _verify_on_emulated(model, target.name, samples, inputs, rounding, work_dir, seed)
    with tempfile.TemporaryDirectory(prefix="edgekit-verify-") as tmp:
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        model_path, model_bytes = int8_model_bytes(model, work, None)
        compiled = compile_model(model_path, model_bytes, target, rounding=rounding)
        if inputs is not None:
            data = load_inputs(Path(inputs), compiled.graph)
        else:
            if samples < 1:
                raise EdgekitError("--samples must be at least 1")
            data = random_inputs(compiled.graph, samples, seed)
        return verify(compiled, work / "host", data, debug=debug, sanitize=sanitize)


def _verify_on_emulated(model: Path, board: str, samples: int, inputs: str | Path | None, rounding: str,
                        work_dir: str | Path | None, seed: int) -> VerifyResult:
    """Build for the emulated board, run it in QEMU and compare over the serial protocol."""
    import tempfile

    from edgekit.build import build
    from edgekit.device.flash import stop
    from edgekit.device.validate import validate_build

    with tempfile.TemporaryDirectory(prefix="edgekit-verify-") as tmp:
        out = Path(work_dir) if work_dir is not None else Path(tmp)
        build(model, board, out / board, rounding=rounding)
        try:
            checked = validate_build(out / board, data=inputs, samples=samples, seed=seed)
        finally:
            stop(out / board)
    return VerifyResult(model=str(model), samples=checked.samples, bit_exact=checked.bit_exact,
                        max_abs_diff=checked.max_abs_diff, rounding=rounding)
