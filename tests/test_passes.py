"""Build-time passes: what they fold, and that the graph stays valid after each."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgekit.ir import validate
from edgekit.load import load_tflite
from edgekit.passes import (
    DEFAULT_PASSES,
    fold_constants,
    fold_dilated_conv,
    fuse_activations,
    fuse_residual_blocks,
    remove_dead_ops,
    run_passes,
)

CORPUS = Path(__file__).resolve().parent / "corpus"


def test_flatten_shape_subgraph_is_folded():
    graph = load_tflite(CORPUS / "cnn_flatten.tflite")
    assert {"SHAPE", "STRIDED_SLICE", "PACK"} <= {op.type for op in graph.ops}
    graph = run_passes(graph)
    types = [op.type for op in graph.ops]
    assert not {"SHAPE", "STRIDED_SLICE", "PACK"} & set(types)
    reshape = next(op for op in graph.ops if op.type == "RESHAPE")
    shape_operand = graph.tensors[reshape.inputs[1]]
    assert shape_operand.is_constant
    assert np.prod(shape_operand.data) == graph.tensors[reshape.outputs[0]].num_elements


def test_space_to_batch_conv1d_becomes_dilated_conv():
    graph = load_tflite(CORPUS / "conv1d_dilated_free_batch.tflite")
    assert [op.type for op in graph.ops].count("SPACE_TO_BATCH_ND") == 2
    graph = run_passes(graph)
    types = [op.type for op in graph.ops]
    assert "SPACE_TO_BATCH_ND" not in types and "BATCH_TO_SPACE_ND" not in types
    convs = [op for op in graph.ops if op.type == "CONV_2D"]
    assert [(c.options["dilation_w_factor"], c.options["padding"]) for c in convs] == [(2, "SAME"), (2, "VALID")]
    # Shapes along the rewritten chain are consistent: conv output width = result width.
    for conv in convs:
        out = graph.tensors[conv.outputs[0]]
        assert out.shape[:3] == (1, 1, graph.tensors[graph.consumers()[conv.outputs[0]][0].outputs[0]].shape[1])


def test_each_pass_keeps_graph_valid(mlperf_models):
    for path in list(mlperf_models.values()) + sorted(CORPUS.glob("*.tflite")):
        graph = load_tflite(path)
        for each in (fold_constants, remove_dead_ops, fold_dilated_conv, fuse_activations, fuse_residual_blocks):
            graph = each(graph)
            validate(graph)


def test_mlperf_models_unchanged_by_passes(mlperf_models):
    """Every pass but the residual-block fusion (IC's first stage: tests/test_fuse_residual.py)."""
    passes = [p for p in DEFAULT_PASSES if p is not fuse_residual_blocks]
    for path in mlperf_models.values():
        before = [op.type for op in load_tflite(path).ops]
        after = [op.type for op in run_passes(load_tflite(path), passes).ops]
        assert before == after
