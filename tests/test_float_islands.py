"""The integer rewrite of float islands (edgekit/passes/float_islands.py) on a
converter-built model: Keras' LayerNormalization leaves DEQUANTIZE → NEG → QUANTIZE in
float; the rewritten table must reproduce TF's float island byte for byte."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgekit.load import load_tflite
from edgekit.passes.float_islands import LOOKUP_TABLE, island_table, rewrite_float_islands
from edgekit.pipeline import check_integer_model

CORPUS = Path(__file__).resolve().parent / "corpus"
LAYER_NORM = CORPUS / "layer_norm.tflite"


def test_layer_norm_islands_become_tables() -> None:
    graph = load_tflite(LAYER_NORM)
    before = [op.type for op in graph.ops]
    assert before.count("NEG") == 2 and before.count("DEQUANTIZE") == 2
    graph = rewrite_float_islands(graph)
    after = [op.type for op in graph.ops]
    assert "NEG" not in after and "DEQUANTIZE" not in after and after.count(LOOKUP_TABLE) == 2
    assert len(after) == len(before) - 4
    assert {op.options["island"] for op in graph.ops if op.type == LOOKUP_TABLE} == {
        "DEQUANTIZE > NEG > QUANTIZE"}
    check_integer_model(graph, "layer_norm")  # no float left: a device build is possible


def test_island_table_matches_tf_float_island_byte_for_byte() -> None:
    """TF's interpreter (reference kernels, every tensor kept) on many inputs: each int8
    value entering the island and the int8 value leaving it, against the table."""
    import tensorflow as tf

    graph = load_tflite(LAYER_NORM)
    producers = graph.producers()
    islands = []
    for op in graph.ops:
        if op.type == "QUANTIZE" and producers[op.inputs[0]].type == "NEG":
            deq = producers[producers[op.inputs[0]].inputs[0]]
            x, y = graph.tensors[deq.inputs[0]], graph.tensors[op.outputs[0]]
            table = island_table(float(x.quant.scale[0]), int(x.quant.zero_point[0]), ["NEG"],
                                 float(y.quant.scale[0]), int(y.quant.zero_point[0]))
            islands.append((x.index, y.index, table))
    assert len(islands) == 2
    interpreter = tf.lite.Interpreter(
        model_path=str(LAYER_NORM), experimental_preserve_all_tensors=True,
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    detail = interpreter.get_input_details()[0]
    rng = np.random.default_rng(4)
    seen = 0
    for _ in range(40):
        interpreter.set_tensor(detail["index"], rng.integers(-128, 128, detail["shape"]).astype(np.int8))
        interpreter.invoke()
        for x_index, y_index, table in islands:
            x = interpreter.get_tensor(x_index).reshape(-1).astype(np.int64)
            y = interpreter.get_tensor(y_index).reshape(-1)
            assert np.array_equal(table[x + 128], y)
            seen += x.size
    assert seen > 0


def test_non_islands_are_left_alone() -> None:
    """float_io's DEQUANTIZE feeds the graph output: not an island."""
    graph = load_tflite(CORPUS / "float_io.tflite")
    before = [op.type for op in graph.ops]
    assert [op.type for op in rewrite_float_islands(graph).ops] == before


def test_table_of_exact_float_ops() -> None:
    # ABS then RELU6 over scale 0.1, zp 0 into scale 0.05, zp -128: |x| * 2 saturating at 6.
    table = island_table(0.1, 0, ["ABS", "RELU6"], 0.05, -128)
    x = np.arange(-128, 128)
    expected = np.clip(np.minimum(np.abs(x) * 2, 120) - 128, -128, 127)
    assert np.array_equal(table, expected)
