"""int16 LOGISTIC, TANH, SOFTMAX and RELU6 (edgekit/kernels/activation16.py): every output
element equals TF's BUILTIN_REF and TFLite Micro over the whole int16 input range, for
power-of-two and general input scales (the two prepare paths of LOGISTIC/TANH), SOFTMAX
betas and row lengths, RELU6 scales on both sides of 6.0."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
ROUNDINGS = ["tflite", "tflm"]
ALL_INT16 = np.arange(-32768, 32768, dtype=np.int16)


def _unary(op_type: str, s_in: float, s_out: float, shape: tuple[int, ...], options: dict | None = None) -> bytes:
    return single_op_model(op_type, [TensorSpec(shape, "int16", scale=s_in)],
                           [TensorSpec(shape, "int16", scale=s_out)], options or {})


# Input scales: the power-of-two ones the converter gives a 16-bit tensor with range
# within [-8, 8) or [-16, 16), and general ones (range from 0.01 to 80).
IN_SCALES = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 1.0 / 32768 * 6.3, 1.0 / 32768 * 0.01, 1.0 / 32768 * 80,
             3.7e-4, 1.234e-4]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize("op_type", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("s_in", IN_SCALES)
def test_sigmoid_s16_every_input(op_type: str, s_in: float, rounding: str) -> None:
    """All 65,536 int16 inputs in one tensor."""
    model = _unary(op_type, s_in, 2.0 ** -15, (1, 65536))
    check_model(model, LoweringContext(rounding=rounding), inputs=[ALL_INT16.reshape(1, -1)])  # type: ignore[arg-type]


@settings(max_examples=12, **SETTINGS)
@given(data=st.data())
def test_sigmoid_s16_random_scales(data: st.DataObject) -> None:
    op_type = data.draw(st.sampled_from(["LOGISTIC", "TANH"]))
    s_in = data.draw(st.floats(1e-6, 2.0 ** -10))
    shape = (1, data.draw(st.integers(1, 5)), data.draw(st.integers(1, 40)))
    check_model(_unary(op_type, s_in, 2.0 ** -15, shape),
                LoweringContext(rounding=data.draw(st.sampled_from(ROUNDINGS))),  # type: ignore[arg-type]
                sanitize=data.draw(st.booleans()), seed=data.draw(st.integers(0, 1000)))


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=15, **SETTINGS)
@given(data=st.data())
def test_softmax_s16(rounding: str, data: st.DataObject) -> None:
    shape = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 4)), data.draw(st.integers(1, 70)))
    s_in = data.draw(st.floats(1e-5, 2e-3))
    beta = data.draw(st.sampled_from([1.0, 0.5, 2.0, 0.1]))
    model = _unary("SOFTMAX", s_in, 1.0 / 32768, shape, {"beta": beta})
    # Inputs near each row's maximum too (the exp table's upper end), not only uniform ones.
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    spread = data.draw(st.sampled_from([32767, 3000, 200]))
    x = rng.integers(-spread, spread, size=shape, endpoint=True).astype(np.int16)
    check_model(model, LoweringContext(rounding=rounding), inputs=[x],  # type: ignore[arg-type]
                sanitize=data.draw(st.booleans()))


@pytest.mark.parametrize("rounding", ROUNDINGS)
@pytest.mark.parametrize(("s_in", "s_out"), [(1e-4, 1e-4), (3e-4, 2e-4), (2e-4, 3e-4), (1e-3, 1.9e-4), (1e-5, 4e-4)])
def test_relu6_s16(rounding: str, s_in: float, s_out: float) -> None:
    """TF requantizes to the output scale; TFLite Micro clamps in the input's (the rounding
    modes give different bytes when the scales differ, each equal to its oracle)."""
    model = _unary("RELU6", s_in, s_out, (1, 65536))
    check_model(model, LoweringContext(rounding=rounding), inputs=[ALL_INT16.reshape(1, -1)])  # type: ignore[arg-type]


def test_softmax_s16_tables_follow_each_oracle() -> None:
    """TF Lite builds SOFTMAX's 1/(1+x) table in double, TFLite Micro in float32: on this row
    (the corpus model's last layer, a seed-7 input) the oracles differ by one, and each
    rounding mode matches its own."""
    from pathlib import Path

    from support.reference import run_oracle
    from support.tflite_builder import extract_op

    from edgekit.load import load_tflite

    graph = load_tflite(Path(__file__).resolve().parents[1] / "corpus" / "int16" / "int16_activations.tflite")
    model = extract_op(graph, graph.ops[-1])
    x = np.array([[-5237, 2020, 16239, 12310, -1660, -15636, -6689, 13649, 13303, -10091],
                  [-26343, -20107, 24455, 32560, 16121, -7272, 10348, 4433, 16614, 9228]], dtype=np.int16)
    assert not np.array_equal(run_oracle(model, [x], "tflite")[0], run_oracle(model, [x], "tflm")[0])
    for rounding in ROUNDINGS:
        check_model(model, LoweringContext(rounding=rounding), inputs=[x])  # type: ignore[arg-type]


@pytest.mark.parametrize(("op_type", "rounding"), [("LOGISTIC", "tflite"), ("TANH", "tflm"), ("RELU6", "tflite"),
                                                   ("RELU6", "tflm")])
def test_elementwise_s16_in_place(op_type: str, rounding: str) -> None:
    """The declared in-place contract: the kernel writing over its own input still matches."""
    from batch_harness import check_in_place

    s_out = 2.0 ** -15 if op_type != "RELU6" else 2.1e-4
    check_in_place(_unary(op_type, 3.1e-4, s_out, (2, 37)), ctx=LoweringContext(rounding=rounding),  # type: ignore[arg-type]
                   sanitize=True)


def test_hard_swish_s16_is_refused_in_one_line(tmp_path) -> None:
    """Neither TF Lite nor TFLite Micro has an int16 HARD_SWISH (a flatbuffer through the
    TFLite schema: the converter has no 16x8 HARD_SWISH either): exit 2, one line naming it."""
    import subprocess
    import sys

    path = tmp_path / "hard_swish16.tflite"
    path.write_bytes(_unary("HARD_SWISH", 1e-3, 1e-3, (1, 8)))
    result = subprocess.run([sys.executable, "-m", "edgekit", "verify", str(path), "--samples", "1"],
                            capture_output=True, text=True, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "HARD_SWISH at index 0" in lines[0] and "int16" in lines[0], result.stderr


def test_logistic_s16_rejects_an_output_scale_tflite_rejects() -> None:
    from support.harness import lower

    from edgekit.errors import UnsupportedOpError
    from edgekit.load import load_tflite_bytes

    graph = load_tflite_bytes(_unary("LOGISTIC", 1e-3, 1e-4, (1, 8)))
    with pytest.raises(UnsupportedOpError, match="LOGISTIC at index 0.*2\\^-15"):
        lower(graph, graph.ops[0], LoweringContext())
