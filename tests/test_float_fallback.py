"""The float32 fallback on converter-built mixed models (tests/corpus/make_corpus_float.py):
bit-exact under ASan+UBSan on the host, on qemu-cortex-m4 (hard float, FPv4) and
qemu-riscv32 (software float) over serial; what `inspect` and `build` say about float and
unsupported ops; `build --int8-only`; float tensors planned with 4-byte elements."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from edgekit.cli import main
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
# FLOOR, FLOOR_MOD in float, a float CONCATENATION (its DEQUANTIZE > SIN > QUANTIZE island becomes
# an int8 table, passes/float_islands.py)
MIDDLE = CORPUS / "float_middle.tflite"
MATH = CORPUS / "tflm_only" / "float_math.tflite"  # ROUND, CEIL, COS, FLOOR_DIV, CONCATENATION


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: run `make toolchain`")


@pytest.mark.slow
def test_mixed_model_sanitized(tmp_path: Path) -> None:
    result = verify_model(MIDDLE, samples=3, sanitize=True, work_dir=tmp_path / "a", seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (3, 0), result
    result = verify_model(MATH, samples=3, sanitize=True, rounding="tflm", work_dir=tmp_path / "b", seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (3, 0), result


@pytest.mark.qemu
@pytest.mark.parametrize("board", ["qemu-cortex-m4", "qemu-riscv32"])
def test_mixed_model_on_qemu(board: str, tmp_path: Path) -> None:
    _need("arm-none-eabi-gcc" if "cortex" in board else "riscv64-unknown-elf-gcc")
    result = verify_model(MIDDLE, board=board, samples=3, work_dir=tmp_path / "a", seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result
    result = verify_model(MATH, board=board, samples=3, rounding="tflm", work_dir=tmp_path / "b", seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result


def test_inspect_marks_float_ops(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(MIDDLE), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    status = {op["index"]: (op["type"], op["status"]) for op in summary["ops"]}
    floats = sorted(t for t, s in status.values() if s == "float")
    assert floats == ["FLOOR", "FLOOR_MOD"]  # the float CONCATENATION only moves bytes
    assert status[13] == ("CONCATENATION", "supported")
    assert status[4] == ("SIN", "supported")  # rewritten into a table on the host
    assert {s for t, s in status.values() if t in ("CONV_2D", "DEQUANTIZE", "QUANTIZE", "SOFTMAX")} == {"supported"}
    assert summary["float_ops"] == 2 and summary["unsupported_ops"] == 0 and summary["warnings"] == []
    assert summary["float_elements"] == 2 * 384
    # the existing contract stays: ops, macs, weights_bytes
    assert summary["macs"] == 40_340 and summary["weights_bytes"] > 0 and len(summary["ops"]) == 19


def test_inspect_warns_about_unsupported_ops_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
    from support.tflite_builder import TensorSpec, single_op_model

    # An int8 LOG: TF has an int8 kernel, edgekit does not (TFLite Micro runs LOG in float only).
    model = tmp_path / "log.tflite"
    model.write_bytes(single_op_model("LOG", [TensorSpec((4,), scale=0.1, zero_point=0)],
                                      [TensorSpec((4,), scale=0.05, zero_point=-3)]))
    assert main(["inspect", str(model)]) == 0
    captured = capsys.readouterr()
    assert "UNSUPPORTED" in captured.out
    assert "warning: unsupported op LOG at index 0: no kernel for it" in captured.err
    assert main(["inspect", str(model), "--json"]) == 0
    op = json.loads(capsys.readouterr().out)["ops"][0]
    assert (op["status"], op["reason"]) == ("unsupported", "unsupported op LOG at index 0: no kernel for it")


def test_build_reports_float_cost_and_int8_only_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _need("arm-none-eabi-gcc")
    assert main(["build", str(MIDDLE), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "b"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [o["type"] for o in report["float_ops"]] == ["FLOOR", "FLOOR_MOD"]
    assert report["float_elements"] == 2 * 384 and report["float_macs"] == 0
    assert 0 < report["float_code_bytes"] < 4096  # ek_f32_* kept by --gc-sections (libm not counted)

    assert main(["build", str(MIDDLE), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "c"), "--int8-only"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["edgekit build: error: unsupported op FLOOR at index 11: runs in float32 and --int8-only "
                   "refuses float kernels (2 float ops in the model)"]  # 11: the model's index, as inspect
    assert not (tmp_path / "c").exists()

    # an int8-only model links none of it (--gc-sections): no flash grows for the fallback
    assert main(["build", str(CORPUS / "activations.tflite"), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "d"),
                 "--json", "--int8-only"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["float_ops"], report["float_code_bytes"]) == ([], 0)


def test_float_tensors_are_planned_with_4_byte_elements() -> None:
    from edgekit.boards import load_board
    from edgekit.pipeline import arena_alignment, compile_model

    board = load_board("host")
    compiled = compile_model(MIDDLE, MIDDLE.read_bytes(), board)
    graph, plan = compiled.graph, compiled.plan.plan
    used = {i for op in graph.ops for i in op.inputs + op.outputs}
    floats = [t for t in graph.tensors if t.dtype == "float32" and not t.is_constant and t.index in used]
    assert floats
    for t in floats:
        assert t.nbytes == 4 * t.num_elements and plan.offsets[t.index] % 4 == 0
    # a board asking for byte alignment still gets 4-byte aligned float tensors
    assert arena_alignment(graph, 1) == 4 and arena_alignment(graph, 16) == 16


def test_float_only_model_still_needs_quantization() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
    from support.tflite_builder import TensorSpec, single_op_model

    from edgekit.errors import ModelError
    from edgekit.load import load_tflite_bytes
    from edgekit.pipeline import check_integer_model

    graph = load_tflite_bytes(single_op_model("SIN", [TensorSpec((4,), "float32")], [TensorSpec((4,), "float32")]))
    with pytest.raises(ModelError, match="is not an int8 model: op 0 .SIN. uses float32"):
        check_integer_model(graph, "m.tflite")


def test_float_weights_with_infinities_compile() -> None:
    from edgekit.kernels.cformat import c_float_value

    assert [c_float_value(v) for v in (np.inf, -np.inf, 0.5, -0.0, 0.0)] == \
        ["__builtin_inff()", "(-__builtin_inff())", "0x1.0000000000000p-1f", "-0.0f", "0.0f"]


def test_inspect_of_a_float_model_says_quantize_first(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(CORPUS / "float" / "float_cnn.tflite"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert {op["status"] for op in summary["ops"]} == {"quantize"}
    assert summary["warnings"] == [] and summary["float_ops"] == 0
