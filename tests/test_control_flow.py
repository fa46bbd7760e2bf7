"""Control flow (WHILE, IF, CALL_ONCE) and resource variables, compiled to straight C:
the converter-built models of tests/corpus/make_corpus_control.py bit-exact on the host
under ASan+UBSan (both rounding modes: tests/test_verify.py) and on qemu-cortex-m4 over
serial in both rounding modes; the state that
persists between invokes, its region and its proofs."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edgekit.boards import load_board
from edgekit.load import load_tflite
from edgekit.memory import PlanCheckError, check_plan
from edgekit.memory.state import StatePlan, check_state
from edgekit.pipeline import compile_model
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
MODELS = ["while_loop", "if_branch", "streaming_cnn"]


def _compile(name: str, rounding: str = "tflite"):
    path = CORPUS / f"{name}.tflite"
    return compile_model(path, path.read_bytes(), load_board("host"), rounding)


def test_subgraphs_are_loaded_and_inspected() -> None:
    from edgekit.inspect import summarize

    graph = load_tflite(CORPUS / "while_loop.tflite")
    assert [op.type for op in graph.ops].count("WHILE") == 1 and len(graph.subgraphs) == 2
    summary = summarize(graph, "while_loop").to_json()
    assert [len(s["ops"]) > 0 for s in summary["subgraphs"]] == [True, True]
    assert "LESS" in [op["type"] for op in summary["subgraphs"][0]["ops"]]
    state = load_tflite(CORPUS / "streaming_cnn.tflite")
    assert {op.options.get("variable") for op in state.ops if op.type == "READ_VARIABLE"} != {None}
    assert "VAR_HANDLE" not in [op.type for g in state.all_graphs() for op in g.ops]


@pytest.mark.parametrize("name", [*MODELS, "nested_while"])
def test_control_model_sanitized(name: str, tmp_path: Path) -> None:
    # (Both rounding modes without sanitizers: tests/test_verify.py runs every corpus model.)
    result = verify_model(CORPUS / f"{name}.tflite", samples=6, sanitize=True, work_dir=tmp_path, seed=4)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (6, 6, 0), result


def test_generated_c_loops_branches_and_keeps_state() -> None:
    loop = _compile("while_loop").generated.sources["model.c"]
    assert "for (;;) {" in loop and "break;" in loop and "ek_model_state_bytes = 0u" in loop
    branch = _compile("if_branch").generated.sources["model.c"]
    assert "} else {" in branch
    compiled = _compile("streaming_cnn")
    source = compiled.generated.sources["model.c"]
    # The window variable (3 frames of 8 int8 values, rewritten from the converter's float)
    # and the CALL_ONCE flag, each 8-byte aligned.
    assert "static int8_t ek_state[32]" in source and "ek_model_state_bytes = 32u" in source
    assert "memset(ek_state, 0, sizeof ek_state);" in source and compiled.generated.state_bytes == 32


def test_state_carries_between_invokes() -> None:
    """The streaming CNN's output depends on earlier frames: a sequence run on one
    interpreter differs from each frame run on a fresh one, so verify's sequence
    comparison (tests above) really checks the state."""
    from edgekit.reference import random_inputs, reference_outputs

    data = (CORPUS / "streaming_cnn.tflite").read_bytes()
    graph = load_tflite(CORPUS / "streaming_cnn.tflite")
    samples = random_inputs(graph, 4, seed=1)
    out = graph.outputs[0]
    sequence = [r[out] for r in reference_outputs(data, samples, "tflite")]
    fresh = [reference_outputs(data, [s], "tflite")[0][out] for s in samples]
    assert np.array_equal(sequence[0], fresh[0])
    assert any(not np.array_equal(a, b) for a, b in zip(sequence[1:], fresh[1:]))


def test_state_and_order_proofs_fail_on_bad_plans() -> None:
    check_state(StatePlan({"a": 0, "b": 8}, {"a": 8, "b": 4}, 16, 8))
    with pytest.raises(PlanCheckError, match="overlap"):
        check_state(StatePlan({"a": 0, "b": 4}, {"a": 8, "b": 4}, 16, 4))
    with pytest.raises(PlanCheckError, match="outside"):
        check_state(StatePlan({"a": 8}, {"a": 12}, 16, 8))
    compiled = _compile("streaming_cnn")
    graph, plan = compiled.graph, compiled.plan.plan
    contracts = {i: lowering.memory for i, lowering in compiled.lowered.items()}
    sequenced = [op.index for op in graph.ops if contracts[op.index].sequenced]
    assert len(sequenced) >= 3  # CALL_ONCE, READ_VARIABLE, ASSIGN_VARIABLE
    check_plan(plan, graph, contracts=lambda op: contracts[op.index])
    # Moving the ASSIGN before the READ would be a valid dataflow order, but not a valid plan.
    order = list(plan.op_order)
    read, assign = (next(i for i in sequenced if graph.ops[i].type == t) for t in ("READ_VARIABLE",
                                                                                   "ASSIGN_VARIABLE"))
    order.remove(assign)
    order.insert(order.index(read), assign)
    from dataclasses import replace

    with pytest.raises(PlanCheckError):
        check_plan(replace(plan, op_order=order), graph, contracts=lambda op: contracts[op.index])


def test_float_control_flow_is_refused_in_one_line() -> None:
    """ai-edge-quantizer fails on float WHILE graphs with "Tensor data is null" or a
    calibration KeyError; edgekit says what the model has and what to do instead."""
    from edgekit.errors import ModelError
    from edgekit.quantize.convert import _refuse_control_flow

    with pytest.raises(ModelError, match=r"control flow \(3 subgraphs: WHILE/IF\)") as info:
        _refuse_control_flow((CORPUS / "float" / "while_loop.tflite").read_bytes())
    assert "\n" not in info.value.message
    _refuse_control_flow((CORPUS / "float" / "float_cnn.tflite").read_bytes())  # one subgraph: fine


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@pytest.mark.parametrize("name", MODELS)
def test_control_model_on_qemu_cortex_m4(name: str, rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.fail("arm-none-eabi-gcc / qemu-system-arm missing: run `make toolchain`")
    from edgekit import api

    build_dir = tmp_path / name
    report = api.build(CORPUS / f"{name}.tflite", "qemu-cortex-m4", build_dir, rounding=rounding).report
    assert report["fits"]
    try:
        result = api.validate(build_dir, samples=5, seed=5)
        if name == "streaming_cnn":
            _check_reset_state(build_dir)
    finally:
        api.flash_stop(build_dir)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (5, 5, 0), result


def _check_reset_state(build_dir: Path) -> None:
    """On one connection: a frame after a few others answers differently from the same
    frame after RESET_STATE, which answers as the first invoke after boot did."""
    from edgekit.device.session import connect, read_build
    from edgekit.reference import random_inputs

    build = read_build(build_dir)
    graph = load_tflite(CORPUS / "streaming_cnn.tflite")
    frames = [np.ascontiguousarray(s[0]).tobytes() for s in random_inputs(graph, 3, seed=9)]
    with connect(build) as link:
        assert link.reset_state() == 32
        first = link.run([frames[0]])[0]
        for frame in frames[1:]:
            link.run([frame])
        carried = link.run([frames[0]])[0]
        assert link.reset_state() == 32
        again = link.run([frames[0]])[0]
    assert again == first and carried != first


def test_reset_state_message() -> None:
    from edgekit.device import protocol as P

    assert P.MESSAGE_NAMES[P.RESET_STATE] == "RESET_STATE" and P.RESET_STATE == 0x07
    assert P.parse_reset_state((32).to_bytes(4, "little")) == 32
    with pytest.raises(P.ProtocolError, match="RESET_STATE response is truncated"):
        P.parse_reset_state(b"\x20\x00")
