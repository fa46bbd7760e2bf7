"""The TFLite loader: real models, independent MAC counts, and bad input of every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgekit.errors import EdgekitError, ModelError, UnsupportedOpError
from edgekit.ir import validate
from edgekit.load import load_tflite, load_tflite_bytes

EXPECTED = {  # from ../shared/models/README.md
    "kws": dict(ops=13, macs=2_656_768, weights_int8=None),
    "vww": dict(ops=31, macs=7_489_664, weights_int8=None),
    "ic": dict(ops=16, macs=12_501_632, weights_int8=77_360),
    "ad": dict(ops=10, macs=264_192, weights_int8=264_192),
}


def _pack(model) -> bytes:
    import ai_edge_litert.schema_py_generated as schema  # noqa: F401

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _model_t(path: Path):
    import ai_edge_litert.schema_py_generated as schema

    return schema.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)


def _independent_macs(model_path: Path) -> int:
    """Count MACs from TensorFlow's own view of the model (not edgekit's loader)."""
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(model_path))
    details = {t["index"]: t for t in interpreter.get_tensor_details()}
    total = 0
    for op in interpreter._get_ops_details():
        out_elems = int(np.prod(details[op["outputs"][0]]["shape"]))
        if op["op_name"] in ("CONV_2D",):
            total += out_elems * int(np.prod(details[op["inputs"][1]]["shape"][1:]))
        elif op["op_name"] == "DEPTHWISE_CONV_2D":
            total += out_elems * int(np.prod(details[op["inputs"][1]]["shape"][1:3]))
        elif op["op_name"] == "FULLY_CONNECTED":
            total += out_elems * int(details[op["inputs"][1]]["shape"][-1])
    return total


def test_real_models_load_and_count(mlperf_models):
    from edgekit.ir.ops import op_macs

    for key, path in mlperf_models.items():
        graph = load_tflite(path)
        validate(graph)
        assert len(graph.ops) == EXPECTED[key]["ops"]
        macs = sum(op_macs(graph, op) for op in graph.ops)
        assert macs == EXPECTED[key]["macs"]
        assert macs == _independent_macs(path)
        int8_weights = EXPECTED[key]["weights_int8"]
        if int8_weights is not None:
            assert sum(t.nbytes for t in graph.tensors if t.is_constant and t.dtype == "int8") == int8_weights


def test_tensors_carry_quantization(mlperf_models):
    graph = load_tflite(mlperf_models["ic"])
    input_tensor = graph.tensors[graph.inputs[0]]
    assert input_tensor.shape == (1, 32, 32, 3) and input_tensor.dtype == "int8"
    assert float(input_tensor.quant.scale[0]) == 1.0 and int(input_tensor.quant.zero_point[0]) == -128
    conv = graph.ops[0]
    weights = graph.tensors[conv.inputs[1]]
    assert weights.data is not None and weights.data.shape == (16, 3, 3, 3)
    assert weights.quant.per_channel and len(weights.quant.scale) == 16 and weights.quant.axis == 0
    assert conv.options["padding"] == "SAME" and conv.options["fused_activation_function"] == "RELU"


@pytest.mark.parametrize("blob, message", [
    (b"", "is empty"),
    (b"\x00" * 3, "not a TFLite model"),
    (bytes(range(256)) * 4, "not a TFLite model"),
])
def test_garbage_is_a_model_error(blob, message):
    with pytest.raises(ModelError, match=message):
        load_tflite_bytes(blob)


def test_truncated_model(mlperf_models):
    data = mlperf_models["kws"].read_bytes()
    for cut in (16, 100, len(data) // 2, len(data) - 1000):
        with pytest.raises(ModelError):
            load_tflite_bytes(data[:cut])


def test_flatbuffer_that_is_not_tflite():
    builder = flatbuffers.Builder(64)
    name = builder.CreateString("not a model")
    builder.StartObject(1)
    builder.PrependUOffsetTRelativeSlot(0, name, 0)
    builder.Finish(builder.EndObject(), file_identifier=b"ABCD")
    with pytest.raises(ModelError, match="not a TFLite model"):
        load_tflite_bytes(bytes(builder.Output()))


def test_unknown_op_names_op_and_index(mlperf_models):
    import ai_edge_litert.schema_py_generated as schema

    model = _model_t(mlperf_models["ic"])
    # Make op 3 (an ADD) an RFFT2D, an op edgekit does not know (signal ops are out of scope).
    op = model.subgraphs[0].operators[3]
    code = schema.OperatorCodeT()
    code.builtinCode = schema.BuiltinOperator.RFFT2D
    code.deprecatedBuiltinCode = min(schema.BuiltinOperator.RFFT2D, 127)
    code.version = 1
    model.operatorCodes.append(code)
    op.opcodeIndex = len(model.operatorCodes) - 1
    with pytest.raises(UnsupportedOpError, match=r"RFFT2D at index 3"):
        load_tflite_bytes(_pack(model))


def test_second_subgraph_loaded(mlperf_models):
    """Subgraphs beyond the first (control-flow bodies) hang off the main graph."""
    model = _model_t(mlperf_models["ad"])
    model.subgraphs.append(model.subgraphs[0])
    graph = load_tflite_bytes(_pack(model))
    assert len(graph.subgraphs) == 1 and len(graph.subgraph(1).ops) == len(graph.ops)


def test_control_flow_naming_a_missing_subgraph_rejected():
    model = _model_t(Path(__file__).resolve().parent / "corpus" / "while_loop.tflite")
    loop = next(op for op in model.subgraphs[0].operators if op.builtinOptions is not None
                and hasattr(op.builtinOptions, "bodySubgraphIndex"))
    loop.builtinOptions.bodySubgraphIndex = 7
    with pytest.raises(ModelError, match=r"op 1 \(WHILE\) names subgraph 7 as its body; the model has 3"):
        load_tflite_bytes(_pack(model))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fuzz_mutated_model_only_raises_edgekit_errors(data):
    """Flip, delete and insert bytes of a real model: the loader either loads or says why."""
    blob = bytearray(_KWS_BYTES)
    for _ in range(data.draw(st.integers(1, 8))):
        kind = data.draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
        position = data.draw(st.integers(0, len(blob) - 1))
        if kind == "flip":
            blob[position] ^= data.draw(st.integers(1, 255))
        elif kind == "delete":
            del blob[position:position + data.draw(st.integers(1, 64))]
        elif kind == "insert":
            blob[position:position] = bytes(data.draw(st.binary(min_size=1, max_size=16)))
        else:
            del blob[position:]
        if not blob:
            break
    try:
        load_tflite_bytes(bytes(blob))
    except EdgekitError:
        pass


_KWS_BYTES = (Path(__file__).resolve().parents[2] / "shared" / "models" / "kws_ds_cnn_int8.tflite").read_bytes()


def _edgekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("content", [b"", b"garbage" * 100, b"1234TFL3" + b"\xff" * 200])
def test_cli_bad_model_exit_2_one_line(tmp_path, content):
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    result = _edgekit("inspect", str(path))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("edgekit inspect: error:"), result.stderr


def test_cli_missing_file_exit_2(tmp_path):
    result = _edgekit("inspect", str(tmp_path / "nope.tflite"))
    assert result.returncode == 2 and "cannot read" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_inspect_json_all_models(mlperf_models):
    for key, path in mlperf_models.items():
        result = _edgekit("inspect", str(path), "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["macs"] == EXPECTED[key]["macs"]
        assert len(report["ops"]) == EXPECTED[key]["ops"]
        assert report["weights_bytes"] > 0 and report["integer_only"]


def test_cli_inspect_table(mlperf_models):
    result = _edgekit("inspect", str(mlperf_models["ic"]))
    assert result.returncode == 0, result.stderr
    assert "CONV_2D" in result.stdout and "12,501,632" in result.stdout


def test_inspect_does_not_import_tensorflow(mlperf_models):
    code = ("import sys; from edgekit.cli import main; main(['inspect', sys.argv[1], '--json']); "
            "assert not any(m.startswith('tensorflow') for m in sys.modules), 'tensorflow imported'")
    result = subprocess.run([sys.executable, "-c", code, str(mlperf_models["kws"])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


FLOAT_MODEL = Path(__file__).resolve().parent / "corpus" / "float" / "float_cnn.tflite"


def test_inspect_float_model():
    result = _edgekit("inspect", str(FLOAT_MODEL), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert not report["integer_only"]
    assert report["ops"][0]["type"] == "CONV_2D" and report["ops"][0]["inputs"][0]["dtype"] == "float32"
    assert report["macs"] == 8 * 8 * 4 * 3 * 3 * 2 + 4 * 3  # conv 8x8x4 outputs x 3x3x2, then dense 4→3


def test_build_float_model_without_calib_is_exit_2(tmp_path):
    result = _edgekit("build", str(FLOAT_MODEL), "--board", "host", "-o", str(tmp_path))
    assert result.returncode == 2
    assert "not an int8 model" in result.stderr and "--calib" in result.stderr
