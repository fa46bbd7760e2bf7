"""The residual-block fusion (edgekit/passes/fuse_residual.py, kernels/residual.py): which
blocks it fuses, that the fused op computes what the three ops did (bit-exact with TF's
reference kernels and TFLite Micro, on the host under sanitizers and on the emulated Arm
boards' own kernels), and what it saves in the arena."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.boards import load_board
from edgekit.ir.ops import op_macs
from edgekit.load import load_tflite
from edgekit.memory import check_plan
from edgekit.passes import DEFAULT_PASSES, fuse_residual_blocks, run_passes
from edgekit.passes.fuse_residual import RESIDUAL_BLOCK
from edgekit.pipeline import compile_model
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
BLOCKS = CORPUS / "residual_blocks.tflite"
# TFLite Micro + CMSIS-NN's smallest IC arena per board (../shared/docs/TARGETS.md, 2026-12-02).
TFLM_IC_ARENA = {"qemu-cortex-m4": 55_000, "qemu-cortex-m7": 55_000, "qemu-cortex-m33": 55_000,
                 "qemu-cortex-m55": 55_032}
UNFUSED = [p for p in DEFAULT_PASSES if p is not fuse_residual_blocks]


def _types(path: Path, passes=None) -> list[str]:
    return [op.type for op in run_passes(load_tflite(path), passes).ops]


def test_blocks_of_the_corpus_and_of_ic_are_fused(mlperf_models):
    assert _types(BLOCKS) == ["CONV_2D", RESIDUAL_BLOCK, RESIDUAL_BLOCK, RESIDUAL_BLOCK, "MEAN",
                              "FULLY_CONNECTED"]
    ic = _types(mlperf_models["ic"])
    assert ic.count(RESIDUAL_BLOCK) == 1 and ic.count("ADD") == 2  # stages 2 and 3 skip through a conv
    for key in ("kws", "vww", "ad"):
        assert RESIDUAL_BLOCK not in _types(mlperf_models[key])


def test_fusion_keeps_the_macs_and_drops_both_conv_outputs(mlperf_models):
    for path in (BLOCKS, mlperf_models["ic"]):
        before, after = run_passes(load_tflite(path), UNFUSED), run_passes(load_tflite(path))
        assert sum(op_macs(before, op) for op in before.ops) == sum(op_macs(after, op) for op in after.ops)
        used = {t for op in after.ops for t in op.inputs + op.outputs}
        for op in after.ops:
            if op.type == RESIDUAL_BLOCK:
                assert op.options["mid"] not in used and op.options["conv_out"] not in used


def test_a_block_whose_conv_output_is_read_elsewhere_stays_unfused():
    graph = run_passes(load_tflite(BLOCKS), UNFUSED)
    first_conv_out = graph.ops[1].outputs[0]  # conv 1 of the first block: y1
    graph.outputs.append(first_conv_out)
    fused = fuse_residual_blocks(graph)
    assert [op.type for op in fused.ops].count(RESIDUAL_BLOCK) == 2
    assert fused.ops[1].type == "CONV_2D" and fused.ops[1].outputs == [first_conv_out]


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_corpus_blocks_bit_exact_under_sanitizers(rounding, tmp_path):
    result = verify_model(BLOCKS, samples=4, rounding=rounding, sanitize=True, work_dir=tmp_path, seed=13)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (4, 4, 0)


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_ic_bit_exact_under_sanitizers(rounding, mlperf_models, tmp_path):
    result = verify_model(mlperf_models["ic"], samples=2, rounding=rounding, sanitize=True, work_dir=tmp_path,
                          seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (2, 2, 0)


@pytest.mark.slow
@pytest.mark.parametrize("board, rounding", [("qemu-cortex-m4", "tflite"), ("qemu-cortex-m4", "tflm"),
                                             ("qemu-cortex-m55", "tflite"), ("qemu-cortex-m55", "tflm"),
                                             ("qemu-riscv32", "tflite")])
def test_fused_blocks_bit_exact_on_emulated_boards(board, rounding, mlperf_models, tmp_path):
    """The DSP packed conv (M4), the MVE conv (M55) and the blocked portable conv (RISC-V)
    each run the rows, in QEMU over serial."""
    for name, path in (("blocks", BLOCKS), ("ic", mlperf_models["ic"])):
        result = verify_model(path, board=board, samples=2, rounding=rounding, work_dir=tmp_path / name, seed=11)
        assert (result.samples, result.bit_exact) == (2, 2), name


def test_ic_arena_at_most_055_of_tflm_on_every_arm_board(mlperf_models):
    path = mlperf_models["ic"]
    for board, tflm in TFLM_IC_ARENA.items():
        compiled = compile_model(path, path.read_bytes(), load_board(board))
        plan, lowered = compiled.plan.plan, compiled.lowered
        check_plan(plan, compiled.graph, scratch_bytes=lambda op, lowered=lowered: lowered[op.index].scratch_bytes,
                   contracts=lambda op, lowered=lowered: lowered[op.index].memory)
        assert compiled.plan.arena_bytes <= 0.55 * tflm, (board, compiled.plan.arena_bytes)
        fused = next(op for op in compiled.graph.ops if op.type == RESIDUAL_BLOCK)
        assert any(o.op == fused.index and o.kind == "in_place" for o in plan.overlaps), board
