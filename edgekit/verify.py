"""`edgekit verify`: the generated C against TFLite's reference kernels, byte for byte."""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.errors import BoardError, InternalError, UsageError
from edgekit.pipeline import CompiledModel
from edgekit.reference import load_inputs, random_inputs, reference_outputs
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


def run_generated(compiled: CompiledModel, work_dir: Path, samples: list[list[np.ndarray]],
                  debug: bool = False, sanitize: bool = False) -> tuple[list[list[np.ndarray]], list[list[np.ndarray]]]:
    """Run the host build on the samples → (outputs per sample, per-op outputs per sample)."""
    graph = compiled.graph
    binary = build_host_verifier(compiled.generated.sources, work_dir, debug=debug, sanitize=sanitize)
    stdin = b"".join(np.ascontiguousarray(x).tobytes() for sample in samples for x in sample)
    try:
        result = subprocess.run([str(binary)], input=stdin, capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        raise InternalError("the host build of the model did not finish within 600 s") from None
    if result.returncode != 0:
        raise InternalError(f"the host build of the model failed (exit {result.returncode}): "
                           f"{result.stderr.decode(errors='replace').strip()[:300]}")
    out_tensors = [graph.tensors[i] for i in graph.outputs]
    # (An op without outputs, e.g. ASSIGN_VARIABLE, reports 0 bytes.)
    op_tensors = [graph.tensors[graph.ops[i].outputs[0]] if graph.ops[i].outputs else None
                  for i in compiled.plan.op_order] if debug else []
    data = memoryview(result.stdout)
    position = 0
    outputs, per_op = [], []
    for _ in samples:
        sample_ops = []
        for t in op_tensors:
            if t is None:
                sample_ops.append(np.zeros(0, dtype=np.int8))
                continue
            sample_ops.append(np.frombuffer(data[position:position + t.nbytes], dtype=t.dtype).reshape(t.shape))
            position += t.nbytes
        sample_outputs = []
        for t in out_tensors:
            sample_outputs.append(np.frombuffer(data[position:position + t.nbytes], dtype=t.dtype).reshape(t.shape))
            position += t.nbytes
        outputs.append(sample_outputs)
        per_op.append(sample_ops)
    if position != len(data):
        raise InternalError(f"the host build wrote {len(data)} bytes, expected {position}")
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
        if not op.outputs or op.outputs[0] not in ref:
            continue
        tensor = op.outputs[0]
        expected = ref[tensor]
        if expected.shape != value.shape or not np.array_equal(expected, value):
            diff = np.abs(value.astype(np.int64) - expected.reshape(value.shape).astype(np.int64))
            return dict(sample=sample, op=position, type=op.type, tensor=graph.tensors[tensor].name,
                        max_abs_diff=int(diff.max()), differing_bytes=int(np.count_nonzero(diff)))
    return None


def verify_model(model: str | Path, board: str = "host", samples: int = 10, inputs: str | Path | None = None,
                 rounding: str = "tflite", debug: bool = False, sanitize: bool = False,
                 work_dir: str | Path | None = None, seed: int = 0, calib: str | None = None) -> VerifyResult:
    """`calib`: calibration data to quantize a float model first, as `edgekit build --calib`."""
    import tempfile

    from edgekit.boards import load_board
    from edgekit.build import int8_model_bytes
    from edgekit.pipeline import compile_model
    from edgekit.targets import HostTarget, target_for

    model = Path(model)
    target = load_board(board)
    runner = target_for(target)
    if runner.needs_hardware:
        raise BoardError(f"verify runs on the host or an emulated board; for {target.name} "
                         "flash it and use `edgekit validate`")
    if not isinstance(runner, HostTarget):  # the firmware in QEMU, over the serial protocol
        return _verify_on_emulated(model, target.name, samples, inputs, rounding, work_dir, seed, calib)
    with tempfile.TemporaryDirectory(prefix="edgekit-verify-") as tmp:
        work = Path(work_dir) if work_dir is not None else Path(tmp)
        model_path, model_bytes = int8_model_bytes(model, work, calib)
        compiled = compile_model(model_path, model_bytes, target, rounding=rounding)
        if inputs is not None:
            data = load_inputs(Path(inputs), compiled.graph)
        else:
            if samples < 1:
                raise UsageError("--samples must be at least 1")
            data = random_inputs(compiled.graph, samples, seed)
        return verify(compiled, work / "host", data, debug=debug, sanitize=sanitize)


def _verify_on_emulated(model: Path, board: str, samples: int, inputs: str | Path | None, rounding: str,
                        work_dir: str | Path | None, seed: int, calib: str | None) -> VerifyResult:
    """Build for the emulated board, run it in QEMU and compare over the serial protocol."""
    import tempfile

    from edgekit.build import build
    from edgekit.device.flash import stop
    from edgekit.validate import validate_build

    with tempfile.TemporaryDirectory(prefix="edgekit-verify-") as tmp:
        out = Path(work_dir) if work_dir is not None else Path(tmp)
        build(model, board, out / board, calib=calib, rounding=rounding)
        try:
            checked = validate_build(out / board, data=inputs, samples=samples, seed=seed)
        finally:
            stop(out / board)
    return VerifyResult(model=str(model), samples=checked.samples, bit_exact=checked.bit_exact,
                        max_abs_diff=checked.max_abs_diff, rounding=rounding)
