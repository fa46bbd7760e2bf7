"""Mutations of real .tflite models for the front-end fuzz test (tests/test_fuzz_frontend.py).

A mutation edits the model as the generated TFLite schema reads it (a scale, a zero point,
a shape, an op's tensor list, a buffer, an opcode, an option) and packs it again, or it
flips, cuts or inserts bytes of the packed file. Everything is drawn from one seeded
random.Random, so a failure names a mutation that can be replayed.

Run it alone to measure: `python tests/fuzz_frontend.py [MUTATIONS_PER_MODEL]`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flatbuffers

from edgekit.codegen.model import lower_graph
from edgekit.errors import EdgekitError
from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes
from edgekit.passes import run_passes
from edgekit.pipeline import check_integer_model, plan_memory

HERE = Path(__file__).resolve().parent
MODELS = [HERE.parent.parent / "shared" / "models" / name for name in (
    "kws_ds_cnn_int8.tflite", "vww_mobilenet_int8.tflite", "ic_resnet8_int8.tflite", "ad_autoencoder_int8.tflite")]
MODELS += [HERE / "corpus" / name for name in ("elementwise.tflite", "cnn_flatten.tflite", "activations.tflite",
                                                "dilated.tflite", "float_io.tflite")]
CONTEXTS = [LoweringContext("tflite", "portable"), LoweringContext("tflm", "arm-dsp")]

_ODD_FLOATS = [math.nan, 0.0, -0.5, math.inf, -math.inf, 1e-45, 1e30, -0.0]
_ODD_INTS = [0, -1, 1, 2, 3, 4, 7, 100, 127, 128, -128, -129, 255, 256, 1 << 20, (1 << 31) - 1, -(1 << 31)]


class Unpackable(Exception):
    """Not a mutation: the schema bindings cannot write this value (e.g. a negative uint),
    or an earlier edit left nothing for this one to edit."""


@dataclass
class Edit:
    """obj.attr = value, with the old value kept to undo it."""

    obj: Any
    attr: str
    value: Any

    def apply(self) -> None:
        self.old = getattr(self.obj, self.attr)
        setattr(self.obj, self.attr, self.value)

    def undo(self) -> None:
        setattr(self.obj, self.attr, self.old)


def _schema() -> Any:
    import ai_edge_litert.schema_py_generated as schema

    return schema


def pack(model: Any) -> bytes:
    builder = flatbuffers.Builder(1 << 16)
    try:
        builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    except Exception as exc:  # noqa: BLE001 - struct.error, OverflowError...: value does not fit its field
        raise Unpackable(str(exc)) from None
    return bytes(builder.Output())


def _replace(items: Any, position: int, value: Any) -> list:
    result = list(items)
    result[position] = value
    return result


def _quantized(t: Any) -> bool:
    q = t.quantization
    return (q is not None and q.scale is not None and len(q.scale) > 0 and q.zeroPoint is not None
            and len(q.zeroPoint) > 0)


def _index_value(rng: random.Random, count: int) -> int:
    return rng.choice([-1, -2, count, count + 5, 1 << 20, rng.randrange(max(count, 1))])


class Mutator:
    """The structure-aware mutations of one parsed model (ModelT), applied and undone in place."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.model = _schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
        self.subgraph = self.model.subgraphs[0]
        self.tensors = self.subgraph.tensors
        self.quantized = [i for i, t in enumerate(self.tensors)
                          if t.quantization is not None and t.quantization.scale is not None
                          and len(t.quantization.scale) > 0]
        self.with_data = [i for i, b in enumerate(self.model.buffers) if b.data is not None and len(b.data) > 0]
        self.kinds: list[Callable[[random.Random], tuple[str, list[Edit]]]] = [
            self.scale, self.zero_point, self.quantized_dimension, self.channel_count, self.no_quantization,
            self.shape, self.op_inputs, self.op_outputs, self.buffer_length, self.tensor_buffer,
            self.opcode_index, self.opcode, self.options, self.tensor_type, self.graph_io,
        ]

    def _tensor(self, rng: random.Random, quantized: bool = False) -> tuple[int, Any]:
        # An earlier edit of the same mutation may have removed a quantization or a shape.
        if not quantized:
            index = rng.randrange(len(self.tensors))
            return index, self.tensors[index]
        candidates = [i for i in self.quantized if _quantized(self.tensors[i])]
        if not candidates:
            raise Unpackable("no quantized tensor left")
        index = rng.choice(candidates)
        return index, self.tensors[index]

    def _op(self, rng: random.Random) -> tuple[int, Any]:
        index = rng.randrange(len(self.subgraph.operators))
        return index, self.subgraph.operators[index]

    def scale(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng, quantized=True)
        q = t.quantization
        k = rng.randrange(len(q.scale))
        value = rng.choice(_ODD_FLOATS)
        return f"tensor {index} scale[{k}] = {value}", [Edit(q, "scale", _replace(q.scale, k, value))]

    def zero_point(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng, quantized=True)
        q = t.quantization
        points = list(q.zeroPoint)
        k = rng.randrange(len(points))
        value = rng.choice(_ODD_INTS + [1 << 40])
        return f"tensor {index} zero_point[{k}] = {value}", [Edit(q, "zeroPoint", _replace(points, k, value))]

    def quantized_dimension(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng, quantized=True)
        value = rng.choice([1, 2, 3, 4, 7, len(t.shape) if t.shape is not None else 1])
        return f"tensor {index} quantized_dimension = {value}", [Edit(t.quantization, "quantizedDimension", value)]

    def channel_count(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng, quantized=True)
        q = t.quantization
        scales = list(q.scale)
        points = list(q.zeroPoint)
        how = rng.choice(["drop scale", "add scale", "drop zero point", "add both", "drop both"])
        if how == "drop scale":
            edits = [Edit(q, "scale", scales[:-1])]
        elif how == "add scale":
            edits = [Edit(q, "scale", scales + [scales[-1]])]
        elif how == "drop zero point":
            edits = [Edit(q, "zeroPoint", points[:-1])]
        elif how == "add both":
            edits = [Edit(q, "scale", scales + [scales[-1]]), Edit(q, "zeroPoint", points + [0])]
        else:
            edits = [Edit(q, "scale", scales[:-1]), Edit(q, "zeroPoint", points[:-1])]
        return f"tensor {index} per-channel arrays: {how}", edits

    def no_quantization(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng, quantized=True)
        return f"tensor {index} loses its quantization", [Edit(t, "quantization", None)]

    def shape(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng)
        shape = list(t.shape) if t.shape is not None else []
        how = rng.choice(["dim", "dim", "drop", "add"]) if shape else "add"
        if how == "dim":
            k = rng.randrange(len(shape))
            value = rng.choice([0, -1, -7, shape[k] + 1, shape[k] * 2, 1, 3, (1 << 31) - 1])
            shape[k] = value
            what = f"shape[{k}] = {value}"
        elif how == "drop":
            del shape[rng.randrange(len(shape))]
            what = "one dim fewer"
        else:
            shape.insert(rng.randrange(len(shape) + 1), rng.choice([1, 2]))
            what = "one dim more"
        return f"tensor {index} {what} → {shape}", [Edit(t, "shape", shape)]

    def _index_list(self, rng: random.Random, items: list[int], count: int) -> tuple[str, list[int]]:
        how = rng.choice(["drop", "add", "set", "set", "clear"]) if items else "add"
        items = list(items)
        if how == "drop":
            k = rng.randrange(len(items))
            del items[k]
            return f"drop [{k}]", items
        if how == "add":
            value = _index_value(rng, count)
            items.insert(rng.randrange(len(items) + 1), value)
            return f"add {value}", items
        if how == "clear":
            return "empty", []
        k = rng.randrange(len(items))
        items[k] = _index_value(rng, count)
        return f"[{k}] = {items[k]}", items

    def op_inputs(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, op = self._op(rng)
        what, items = self._index_list(rng, list(op.inputs if op.inputs is not None else []), len(self.tensors))
        return f"op {index} inputs {what} → {items}", [Edit(op, "inputs", items)]

    def op_outputs(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, op = self._op(rng)
        what, items = self._index_list(rng, list(op.outputs if op.outputs is not None else []), len(self.tensors))
        return f"op {index} outputs {what} → {items}", [Edit(op, "outputs", items)]

    def graph_io(self, rng: random.Random) -> tuple[str, list[Edit]]:
        attr = rng.choice(["inputs", "outputs"])
        what, items = self._index_list(rng, list(getattr(self.subgraph, attr)), len(self.tensors))
        return f"graph {attr} {what} → {items}", [Edit(self.subgraph, attr, items)]

    def buffer_length(self, rng: random.Random) -> tuple[str, list[Edit]]:
        import numpy as np

        index = rng.choice(self.with_data)
        buffer = self.model.buffers[index]
        size = len(buffer.data) if buffer.data is not None else 0
        how = rng.choice(["cut", "extend", "empty", "one byte"]) if size else "extend"
        if how == "cut":
            data = buffer.data[:rng.randrange(size)]
        elif how == "extend":
            old = buffer.data if buffer.data is not None else np.zeros(0, dtype=np.uint8)
            data = np.concatenate([old, np.zeros(rng.choice([1, 3, 4, max(size, 2)]), dtype=np.uint8)])
        elif how == "empty":
            data = None
        else:
            data = buffer.data[:1]
        return f"buffer {index} ({size} bytes): {how}", [Edit(buffer, "data", data)]

    def tensor_buffer(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng)
        value = rng.choice([0, len(self.model.buffers), rng.randrange(len(self.model.buffers))])
        return f"tensor {index} buffer = {value}", [Edit(t, "buffer", value)]

    def opcode_index(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, op = self._op(rng)
        value = rng.choice([len(self.model.operatorCodes), 1 << 20, rng.randrange(len(self.model.operatorCodes))])
        return f"op {index} opcode_index = {value}", [Edit(op, "opcodeIndex", value)]

    def opcode(self, rng: random.Random) -> tuple[str, list[Edit]]:
        """An operator code becomes another op type that edgekit lowers (same inputs, new meaning)."""
        schema = _schema()
        names = ["ADD", "SUB", "MUL", "MAXIMUM", "MINIMUM", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                 "AVERAGE_POOL_2D", "MAX_POOL_2D", "MEAN", "SOFTMAX", "RESHAPE", "SQUEEZE", "EXPAND_DIMS",
                 "TRANSPOSE", "STRIDED_SLICE", "PAD", "PADV2", "CONCATENATION", "RELU", "RELU6", "LOGISTIC",
                 "TANH", "LEAKY_RELU", "HARD_SWISH", "QUANTIZE", "DEQUANTIZE", "SHAPE", "PACK", "GATHER", "FILL"]
        k = rng.randrange(len(self.model.operatorCodes))
        name = rng.choice(names)
        code = self.model.operatorCodes[k]
        value = getattr(schema.BuiltinOperator, name)
        return f"operator code {k} becomes {name}", [Edit(code, "builtinCode", value),
                                                     Edit(code, "deprecatedBuiltinCode", value)]

    def options(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, op = self._op(rng)
        options = op.builtinOptions
        fields = [k for k in vars(options)] if options is not None else []
        if not fields or rng.random() < 0.1:
            return f"op {index} loses its options", [Edit(op, "builtinOptions", None),
                                                      Edit(op, "builtinOptionsType", 0)]
        name = rng.choice(fields)
        old = getattr(options, name)
        if isinstance(old, bool):
            value: Any = not old
        elif isinstance(old, float):
            value = rng.choice(_ODD_FLOATS)
        elif isinstance(old, int):
            value = rng.choice(_ODD_INTS)
        else:
            value = rng.choice([None, [rng.choice(_ODD_INTS)], []])
        return f"op {index} option {name} = {value}", [Edit(options, name, value)]

    def tensor_type(self, rng: random.Random) -> tuple[str, list[Edit]]:
        index, t = self._tensor(rng)
        value = rng.choice([0, 1, 2, 3, 4, 6, 7, 9, 10, 15, 5, 17, 99])
        return f"tensor {index} type = {value}", [Edit(t, "type", value)]

    def structured(self, rng: random.Random) -> tuple[str, bytes]:
        """One to three schema-level edits, packed; the model is restored afterwards."""
        descriptions, edits = [], []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            what, more = rng.choice(self.kinds)(rng)
            for edit in more:
                edit.apply()
            descriptions.append(what)
            edits += more
        try:
            return "; ".join(descriptions), pack(self.model)
        finally:
            for edit in reversed(edits):
                edit.undo()

    def bytewise(self, rng: random.Random) -> tuple[str, bytes]:
        blob = bytearray(self.data)
        steps = []
        for _ in range(rng.choice([1, 1, 2, 4, 8])):
            how = rng.choice(["flip", "flip", "flip", "truncate", "delete", "insert"])
            at = rng.randrange(len(blob))
            if how == "flip":
                bit = rng.randrange(1, 256)
                blob[at] ^= bit
                steps.append(f"xor {bit:#x} at {at}")
            elif how == "truncate":
                del blob[at:]
                steps.append(f"truncate to {at}")
            elif how == "delete":
                n = rng.randrange(1, 64)
                del blob[at:at + n]
                steps.append(f"delete {n} at {at}")
            else:
                n = rng.randrange(1, 16)
                blob[at:at] = bytes(rng.randrange(256) for _ in range(n))
                steps.append(f"insert {n} at {at}")
            if len(blob) < 16:
                break
        return "bytes: " + ", ".join(steps), bytes(blob)


def front_end(data: bytes, ctx: LoweringContext) -> None:
    """load → integer check → passes → lowering → memory plan, as `edgekit build` runs them."""
    graph = load_tflite_bytes(data, name="mutant", source="mutant.tflite")
    check_integer_model(graph, "mutant.tflite")
    graph = run_passes(graph)
    lowered = lower_graph(graph, ctx)
    plan_memory(graph, lowered, alignment=16, planner="greedy_by_size")


@dataclass
class Outcome:
    model: str
    seed: int
    description: str
    error: BaseException | None  # None: loaded or refused with an EdgekitError


def mutations(model: Path, count: int, seed: int) -> Iterator[tuple[str, bytes]]:
    """`count` mutants of `model` from `seed`: about three quarters structural, the rest bytes."""
    rng = random.Random(seed)
    mutator = Mutator(model.read_bytes())
    made = 0
    while made < count:
        try:
            what, data = mutator.structured(rng) if rng.random() < 0.75 else mutator.bytewise(rng)
        except Unpackable:
            continue
        made += 1
        yield what, data


def fuzz(models: list[Path], per_model: int, seed: int = 0) -> tuple[int, list[Outcome], dict[str, int]]:
    """Run every mutant through the front end; return (mutations run, escapes, counts by outcome)."""
    escapes: list[Outcome] = []
    tally: dict[str, int] = {}
    total = 0
    for m, model in enumerate(models):
        for k, (what, data) in enumerate(mutations(model, per_model, seed + m)):
            total += 1
            try:
                front_end(data, CONTEXTS[k % len(CONTEXTS)])
                outcome = "built"
            except EdgekitError as exc:
                outcome = type(exc).__name__
            except Exception as exc:  # noqa: BLE001 - what the test is looking for
                outcome = "escape"
                escapes.append(Outcome(model.name, seed + m, what, exc))
            tally[outcome] = tally.get(outcome, 0) + 1
    return total, escapes, tally


if __name__ == "__main__":
    import sys
    import traceback

    per_model = int(sys.argv[1]) if len(sys.argv) > 1 else 1200
    start = time.perf_counter()
    total, escapes, tally = fuzz(MODELS, per_model)
    elapsed = time.perf_counter() - start
    print(f"{total} mutations in {elapsed:.1f} s ({total / elapsed:.0f}/s): {tally}")
    for e in escapes:
        assert e.error is not None
        frame = traceback.extract_tb(e.error.__traceback__)[-1]
        print(f"{e.model} seed {e.seed}: {e.description}: {type(e.error).__name__}: {str(e.error)[:120]} "
              f"[{Path(frame.filename).name}:{frame.lineno} {frame.name}]")
