"""Calibration for edgekit's own quantizer: the min/max of every float tensor of every
subgraph, read from TF's float interpreter.

Subgraph 0 runs with `experimental_preserve_all_tensors=True`, so every intermediate
tensor can be read after `invoke()`. TF's Python interpreter only shows the primary
subgraph, though: the tensors inside a WHILE body (or an IF branch) are out of reach,
and they take a new value on every iteration. So edgekit runs those subgraphs itself:
for each subgraph it builds a copy of the model in which that subgraph is the primary
one (the subgraph list permuted, the WHILE/IF/CALL_ONCE subgraph indices renumbered,
signatures dropped), and drives the loop from Python with the WHILE's semantics:

    values = WHILE inputs (read from the parent run)
    while cond(values): record body(values)'s tensors; values = body outputs

recording the body's tensors on every iteration, recursively for nested control flow.
The loop's final values are what the parent's WHILE outputs hold, so the parent run
itself stays TF's.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgekit.errors import ModelError

# A few hundred iterations per sample is plenty for sequence models; a runaway loop is a bug.
MAX_ITERATIONS = 100_000


@dataclass
class Ranges:
    """min/max of float tensors, keyed by (subgraph, tensor index)."""

    values: dict[tuple[int, int], tuple[float, float]] = field(default_factory=dict)

    def add(self, key: tuple[int, int], array: np.ndarray) -> None:
        if array.size == 0 or array.dtype.kind != "f":
            return
        low, high = float(np.min(array)), float(np.max(array))
        old = self.values.get(key)
        self.values[key] = (low, high) if old is None else (min(old[0], low), max(old[1], high))


def _subgraph_indices(options: Any) -> list[str]:
    return [name for name in ("condSubgraphIndex", "bodySubgraphIndex", "thenSubgraphIndex",
                              "elseSubgraphIndex", "initSubgraphIndex") if hasattr(options, name)]


def primary_model(model_t: Any, k: int) -> bytes:
    """The model with subgraph `k` first (a flatbuffer TF's interpreter can run on its own)."""
    import copy

    import flatbuffers

    model = copy.copy(model_t)
    order = [k, *[i for i in range(len(model_t.subgraphs)) if i != k]]
    new_index = {old: new for new, old in enumerate(order)}
    model.subgraphs = [copy.deepcopy(model_t.subgraphs[i]) for i in order]
    for graph in model.subgraphs:
        for op in graph.operators or []:
            for name in _subgraph_indices(op.builtinOptions):
                setattr(op.builtinOptions, name, new_index[getattr(op.builtinOptions, name)])
    model.signatureDefs = []
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class Calibrator:
    """Runs a float model on samples and gathers the Ranges of all its subgraphs."""

    def __init__(self, data: bytes) -> None:
        import ai_edge_litert.schema_py_generated as schema

        self.schema = schema
        self.model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
        self.data = data
        self.ranges = Ranges()
        self._interpreters: dict[int, Any] = {}
        self.iterations: dict[int, int] = {}  # body subgraph -> iterations run (all samples)

    def _interpreter(self, k: int) -> Any:
        if k not in self._interpreters:
            import tensorflow as tf

            content = self.data if k == 0 else primary_model(self.model, k)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # TF's own float kernels (as the converter's calibration), no XNNPACK delegate,
                # which would hide the intermediates.
                interpreter = tf.lite.Interpreter(
                    model_content=content, experimental_preserve_all_tensors=True,
                    experimental_op_resolver_type=tf.lite.experimental.OpResolverType
                    .BUILTIN_WITHOUT_DEFAULT_DELEGATES)
            interpreter.allocate_tensors()
            self._interpreters[k] = interpreter
        return self._interpreters[k]

    def _op_name(self, op: Any) -> str:
        code = self.model.operatorCodes[op.opcodeIndex]
        builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
        return next(k for k, v in vars(self.schema.BuiltinOperator).items() if v == builtin)

    def run(self, k: int, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Run subgraph `k` on `inputs`; record its tensors and its control flow's; its outputs."""
        interpreter = self._interpreter(k)
        graph = self.model.subgraphs[k]
        for index, given in zip(graph.inputs, inputs):
            like = interpreter.get_tensor(int(index))
            interpreter.set_tensor(int(index), np.asarray(given).reshape(like.shape).astype(like.dtype))
        interpreter.invoke()
        values: dict[int, np.ndarray] = {}

        def value(i: int) -> np.ndarray:
            if i not in values:
                values[i] = np.array(interpreter.get_tensor(i))
            return values[i]

        for i in range(len(graph.tensors)):
            try:
                self.ranges.add((k, i), value(i))
            except ValueError:  # a tensor TF never allocated (dead, or inside a delegate)
                continue
        for op in graph.operators or []:
            name = self._op_name(op)
            if name not in ("WHILE", "IF", "CALL_ONCE"):
                continue
            args = [value(int(i)) for i in op.inputs]
            if name == "WHILE":
                self._loop(op.builtinOptions, args)
            elif name == "IF":
                branch = op.builtinOptions.thenSubgraphIndex if bool(args[0].reshape(-1)[0]) \
                    else op.builtinOptions.elseSubgraphIndex
                self.run(branch, args[1:])
            elif name == "CALL_ONCE":
                self.run(op.builtinOptions.initSubgraphIndex, [])
        return [value(int(i)) for i in graph.outputs]

    def _loop(self, options: Any, values: list[np.ndarray]) -> None:
        cond, body = options.condSubgraphIndex, options.bodySubgraphIndex
        for _ in range(MAX_ITERATIONS):
            if not bool(self.run(cond, values)[0].reshape(-1)[0]):
                return
            values = self.run(body, values)
            self.iterations[body] = self.iterations.get(body, 0) + 1
        raise ModelError(f"WHILE with body subgraph {body} ran {MAX_ITERATIONS} iterations on one "
                         "calibration sample without stopping")


def calibrate(data: bytes, samples: Iterable[np.ndarray]) -> tuple[Ranges, dict[int, int]]:
    """Ranges of every float tensor of the float .tflite `data` over `samples` (batch-1 each,
    one input), and how many iterations each WHILE body ran."""
    calibrator = Calibrator(data)
    for sample in samples:
        calibrator.run(0, [np.asarray(sample, np.float32)[None]])
    return calibrator.ranges, calibrator.iterations
