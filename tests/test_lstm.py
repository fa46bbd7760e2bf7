"""UNIDIRECTIONAL_SEQUENCE_LSTM (int8 activations, int16 cell state) against TF's reference
kernels and TFLite Micro, on the converter-built models of tests/corpus/make_corpus_lstm.py.

Both oracles keep the hidden and cell state from one invoke to the next, and so does the
generated C: every test runs its samples in sequence, on one interpreter and one process.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.boards import load_board
from edgekit.memory.liveness import tensor_lifetimes
from edgekit.pipeline import compile_model
from edgekit.reference import random_inputs, reference_outputs
from edgekit.verify import verify, verify_model

LSTM = Path(__file__).resolve().parent / "corpus" / "lstm"
MODELS = ["mnist_lstm", "lstm_time_major", "kws_lstm", "simple_rnn_unrolled"]


def _compiled(name: str, rounding: str = "tflite"):
    path = LSTM / f"{name}.tflite"
    return compile_model(path, path.read_bytes(), load_board("host"), rounding=rounding)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@pytest.mark.parametrize("name", MODELS)
def test_lstm_models_bit_exact(name, rounding, tmp_path):
    result = verify_model(LSTM / f"{name}.tflite", samples=4, rounding=rounding, work_dir=tmp_path, seed=3)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (4, 4, 0), result


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_unrolled_gru_bit_exact(rounding, tmp_path):
    """Keras 3 GRU(unroll=True): UNPACK, SPLIT, FULLY_CONNECTED, LOGISTIC, TANH, MUL, SUB, ADD."""
    result = verify_model(LSTM / "gru_unrolled.tflite", samples=2, rounding=rounding, work_dir=tmp_path, seed=5)
    assert (result.samples, result.bit_exact) == (2, 2), result


def test_tf_and_tflm_differ_and_each_is_matched(tmp_path):
    """The two integer LSTMs round differently (1 LSB on some outputs); edgekit matches each."""
    path = LSTM / "lstm_time_major.tflite"
    compiled = _compiled("lstm_time_major")
    samples = random_inputs(compiled.graph, 3, seed=3)
    out = compiled.graph.outputs[0]
    tf_ref = reference_outputs(path.read_bytes(), samples, "tflite")
    tflm = reference_outputs(path.read_bytes(), samples, "tflm")
    assert any(not np.array_equal(a[out], b[out]) for a, b in zip(tf_ref, tflm))
    for rounding in ("tflite", "tflm"):
        result = verify(_compiled("lstm_time_major", rounding), tmp_path / rounding, samples)
        assert result.bit_exact == 3, (rounding, result)


def test_state_persists_between_invokes(tmp_path):
    """The same input twice gives two different outputs in TF (the state carried over),
    and the generated C gives the same two; the state starts at its zero point."""
    compiled = _compiled("lstm_time_major")
    x = random_inputs(compiled.graph, 1, seed=8)[0]
    samples = [x, x, x]
    out = compiled.graph.outputs[0]
    ref = reference_outputs((LSTM / "lstm_time_major.tflite").read_bytes(), samples, "tflite")
    assert not np.array_equal(ref[0][out], ref[1][out])
    assert verify(compiled, tmp_path, samples).bit_exact == 3
    assert "ek_model_reset_state" in compiled.generated.sources["model.c"]


def test_state_is_planned_alive_over_the_whole_schedule():
    compiled = _compiled("mnist_lstm")
    graph = compiled.graph
    state = graph.state_tensors()
    assert [graph.tensors[t].dtype for t in state] == ["int8", "int16"]
    lifetimes = tensor_lifetimes(graph, compiled.plan.op_order)
    assert all(lifetimes[t] == (0, len(graph.ops) - 1) for t in state)
    lstm = graph.ops[0]
    # the gate vectors, then the input (28) and hidden (20) vectors widened for SMLAD: planned too
    assert compiled.lowered[lstm.index].scratch_bytes == 5 * 20 * 2 + 8 * (28 // 4 + 20 // 4)


def test_sanitized_host_build(tmp_path):
    result = verify_model(LSTM / "lstm_time_major.tflite", samples=3, sanitize=True, work_dir=tmp_path)
    assert result.bit_exact == 3


@pytest.mark.parametrize("name, variant", [("float_lstm", "float cell"),
                                           ("hybrid_lstm", "hybrid cell (int8 weights, float activations)")])
def test_unsupported_cells_exit_2_naming_op_index_and_variant(name, variant, tmp_path):
    result = subprocess.run([sys.executable, "-m", "edgekit", "build", str(LSTM / "bad" / f"{name}.tflite"),
                             "--board", "host", "-o", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM at index 0" in lines[0] and variant in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_lstm_on_qemu_cortex_m4(rounding, tmp_path):
    """The firmware in QEMU over serial: three invokes in a row, the state carried over."""
    result = verify_model(LSTM / "lstm_time_major.tflite", board="qemu-cortex-m4", samples=3,
                          rounding=rounding, work_dir=tmp_path, seed=11)
    assert (result.samples, result.bit_exact) == (3, 3)
