"""UNIDIRECTIONAL_SEQUENCE_RNN on the float32 fallback (kernels/float32.py, ek_float.c).

TF's reference kernel (unidirectional_sequence_rnn.cc) has a float32 cell and a hybrid one
(int8 weights, float activations); there is no integer RNN in TF or TFLite Micro (which has
no RNN kernel at all), so the float cell is what a mixed model keeps in float and what
edgekit runs; the hybrid cell stops with one line. No converter path emits the op from
Keras (SimpleRNN converts unrolled or to WHILE), so the models are built through the TFLite
schema (support/sequence_models.py).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from batch_harness import check_models
from support.sequence_models import RnnCase, rnn_float_model, rnn_model

from edgekit.verify import verify_model

FLOAT_CASES = [
    RnnCase(1, 6, 5, 8, "TANH", seed=1),
    RnnCase(2, 4, 3, 5, "TANH", time_major=True, seed=2),
    RnnCase(3, 3, 7, 4, "RELU", seed=3),
    RnnCase(2, 5, 4, 6, "RELU6", time_major=True, seed=4),
    RnnCase(1, 4, 2, 3, "RELU_N1_TO_1", seed=5),
    RnnCase(2, 3, 4, 4, "NONE", seed=6),
    RnnCase(1, 28, 28, 20, "TANH", seed=7),  # an MNIST row-by-row RNN's shape
]


def _float_inputs(case: RnnCase, rng: np.random.Generator) -> list[np.ndarray]:
    seq = (case.steps, case.batches) if case.time_major else (case.batches, case.steps)
    return [rng.uniform(-2, 2, size=(*seq, case.n_input)).astype(np.float32),
            np.zeros((case.batches, case.units), np.float32)]  # the state starts at 0, as in TF


@pytest.mark.parametrize("sanitize", [False, True])
def test_float_rnn_bit_exact_with_tf(sanitize: bool) -> None:
    """Every float32 output bit, all activations, batch- and time-major, over the steps."""
    rng = np.random.default_rng(0)
    check_models([rnn_float_model(c) for c in FLOAT_CASES], sanitize=sanitize,
                 inputs=[_float_inputs(c, rng) for c in FLOAT_CASES])


MIXED = {"tanh_batch2": RnnCase(2, 5, 6, 8, seed=11),
         "relu_time_major": RnnCase(2, 4, 5, 6, "RELU", time_major=True, seed=12)}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_mixed_model_over_a_sequence_sanitized(name: str, tmp_path: Path) -> None:
    """int8 FC > DEQUANTIZE > RNN (float) > QUANTIZE: the hidden state carries over five
    invokes on both sides, under ASan and UBSan."""
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(rnn_model(MIXED[name]))
    result = verify_model(path, samples=5, sanitize=True, work_dir=tmp_path / "w", seed=3)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (5, 5, 0), result


def test_hybrid_rnn_exits_2_naming_op_index_and_variant(tmp_path: Path) -> None:
    path = tmp_path / "hybrid.tflite"
    path.write_bytes(rnn_model(RnnCase(1, 3, 4, 4, hybrid=True)))
    result = subprocess.run([sys.executable, "-m", "edgekit", "build", str(path), "--board", "host",
                             "-o", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "UNIDIRECTIONAL_SEQUENCE_RNN at index 2" in lines[0], lines[0]
    assert "hybrid variant (int8 weights, float activations)" in lines[0], lines[0]


@pytest.mark.slow
@pytest.mark.qemu
def test_mixed_model_on_qemu_cortex_m4(tmp_path: Path) -> None:
    """The float cell on the M4's FPU (newlib's tanhf), over serial, state carried."""
    path = tmp_path / "rnn.tflite"
    path.write_bytes(rnn_model(MIXED["tanh_batch2"]))
    result = verify_model(path, board="qemu-cortex-m4", samples=4, work_dir=tmp_path / "w", seed=5)
    assert (result.samples, result.bit_exact) == (4, 4), result
