"""`edgekit quantize` on each input kind: all-integer int8 results that keep the accuracy."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from edgekit import api
from edgekit.cli import main
from edgekit.errors import ModelError
from edgekit.load import load_tflite
from edgekit.quantize.check import check_integer_only

DYNAMIC_SHAPE_OPS = {"SHAPE", "STRIDED_SLICE", "PACK", "FILL"}


# One worker builds the session fixture once (make test uses --dist loadgroup).
pytestmark = pytest.mark.xdist_group("quadrant-models")


def reference_accuracy(model: Path, x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy with TFLite's reference kernels, written independently of edgekit.quantize."""
    import tensorflow as tf

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(
            model_path=str(model),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    correct = 0
    for sample, label in zip(x, y):
        value = sample[None]
        if inp["dtype"] != np.float32:
            scale, zero_point = inp["quantization"]
            info = np.iinfo(inp["dtype"])
            value = np.clip(np.round(value / scale) + zero_point, info.min, info.max)
        interpreter.set_tensor(inp["index"], value.astype(inp["dtype"]))
        interpreter.invoke()
        correct += int(interpreter.get_tensor(out["index"])[0].argmax() == label)
    return correct / len(x)


def assert_full_integer(path: Path, io: str = "int8") -> None:
    graph = load_tflite(path)
    assert {graph.tensor(t).dtype for t in graph.inputs + graph.outputs} == {io}
    assert all(t.dtype in ("int8", "int32", io) for t in graph.tensors), {t.dtype for t in graph.tensors}
    assert graph.tensor(graph.inputs[0]).shape[0] == 1
    assert not DYNAMIC_SHAPE_OPS & {op.type for op in graph.ops}


def assert_bit_exact(path: Path, tmp_path: Path) -> None:
    """edgekit's generated C, compiled for the host, against TFLite's reference kernels."""
    result = api.verify(path, samples=5, work_dir=tmp_path / f"verify-{path.stem}")
    assert result.samples == 5 and result.bit_exact == 5, result


def assert_keeps_accuracy(float_model: Path, int8_model: Path, eval_npz: Path) -> None:
    data = np.load(eval_npz)
    float_acc = reference_accuracy(float_model, data["x"], data["y"]) if float_model.suffix == \
        ".tflite" else None
    int8_acc = reference_accuracy(int8_model, data["x"], data["y"])
    assert int8_acc > 0.9, int8_acc
    if float_acc is not None:
        assert abs(float_acc - int8_acc) <= 0.02, (float_acc, int8_acc)


def test_keras3_model_with_report_and_eval(quadrant_models: dict, tmp_path: Path) -> None:
    out, report = tmp_path / "q.tflite", tmp_path / "layers.json"
    result = api.quantize(quadrant_models["keras"], quadrant_models["calib"], out,
                          report=report, eval_data=quadrant_models["eval"])
    assert_full_integer(out)
    assert_bit_exact(out, tmp_path)
    assert result.mode == "int8" and result.for_microcontrollers and result.source_kind == "keras"
    ev = result.evaluation
    assert ev.metric == "accuracy" and ev.float_value > 0.9, ev
    assert abs(ev.float_value - ev.int8_value) <= 0.02, ev
    # The evaluation's int8 number is what the reference kernels give on the written file.
    data = np.load(quadrant_models["eval"])
    assert ev.int8_value == pytest.approx(reference_accuracy(out, data["x"], data["y"]))

    layers = json.loads(report.read_text())["layers"]
    assert [layer["op"] for layer in layers][:2] == ["CONV_2D", "MAX_POOL_2D"]
    conv = layers[0]
    assert math.isfinite(conv["sqnr_db"]) and conv["sqnr_db"] > 20, conv
    assert conv["rmse"] > 0 and conv["max_abs_error"] >= conv["rmse"]
    assert conv["scale"] > 0 and -128 <= conv["zero_point"] <= 127
    assert all(layer["flagged"] == (layer["sqnr_db"] is not None and layer["sqnr_db"] < 25)
               for layer in layers)


def test_saved_model_with_dynamic_batch(quadrant_models: dict, tmp_path: Path) -> None:
    out = tmp_path / "sm.tflite"
    result = api.quantize(quadrant_models["saved_model"], quadrant_models["calib"], out)
    assert result.source_kind == "saved_model"
    assert_full_integer(out)
    assert_bit_exact(out, tmp_path)
    assert_keeps_accuracy(quadrant_models["keras"], out, quadrant_models["eval"])


def test_float_tflite_through_ai_edge_quantizer(quadrant_models: dict, tmp_path: Path) -> None:
    import keras
    import tensorflow as tf

    # A batch-1 float .tflite, as a user converts it: a fixed-batch copy of the model.

    model = keras.models.load_model(quadrant_models["keras"])
    fixed = keras.Sequential([keras.Input((8, 8, 1), batch_size=1), *model.layers])
    fixed.set_weights(model.get_weights())
    float_path = tmp_path / "float.tflite"
    float_path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(fixed).convert())

    with pytest.raises(ModelError, match=r"not fully integer: op 0 CONV_2D keeps float tensor"):
        check_integer_only(float_path.read_bytes(), str(float_path))

    out = tmp_path / "aeq.tflite"
    result = api.quantize(float_path, quadrant_models["calib"], out)
    assert result.source_kind == "tflite"
    assert_full_integer(out)
    assert_bit_exact(out, tmp_path)
    assert_keeps_accuracy(float_path, out, quadrant_models["eval"])


def test_tf_keras_h5(quadrant_models: dict, tmp_path: Path) -> None:
    tf_keras = pytest.importorskip("tf_keras", reason="tf-keras is installed by `make setup`")
    from tests.quantize.conftest import quadrant_data

    x, y = quadrant_data(800, seed=3)
    tf_keras.utils.set_random_seed(3)
    model = tf_keras.Sequential([
        tf_keras.Input((8, 8, 1)),
        tf_keras.layers.Conv2D(8, 3, padding="same", activation="relu"),
        tf_keras.layers.MaxPooling2D(2),
        tf_keras.layers.Flatten(),
        tf_keras.layers.Dense(4, activation="softmax"),
    ])
    model.compile(tf_keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    h5 = tmp_path / "legacy.h5"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "HDF5 is a legacy format"
        model.save(h5)
    out = tmp_path / "h5.tflite"
    result = api.quantize(h5, quadrant_models["calib"], out, eval_data=quadrant_models["eval"])
    assert any("tf_keras" in note for note in result.notes)
    assert_full_integer(out)
    assert_bit_exact(out, tmp_path)
    ev = result.evaluation
    assert ev.float_value > 0.9 and abs(ev.float_value - ev.int8_value) <= 0.02, ev


def test_uint8_io_per_tensor_and_float_modes(quadrant_models: dict, tmp_path: Path) -> None:
    out = tmp_path / "u8.tflite"
    api.quantize(quadrant_models["keras"], quadrant_models["calib"], out, io="uint8")
    assert_full_integer(out, io="uint8")

    def weight_scales(path: Path) -> list[int]:
        graph = load_tflite(path)
        return [len(graph.tensor(op.inputs[1]).quant.scale) for op in graph.ops
                if op.type in ("CONV_2D", "FULLY_CONNECTED")]

    per_tensor = tmp_path / "pt.tflite"
    api.quantize(quadrant_models["keras"], quadrant_models["calib"], per_tensor, per_tensor=True)
    assert weight_scales(out) == [8, 4]  # per output channel by default, FC included (TF 2.21)
    assert weight_scales(per_tensor) == [1, 1]

    for mode in ("float16", "dynamic"):
        path = tmp_path / f"{mode}.tflite"
        result = api.quantize(quadrant_models["keras"], None, path, mode=mode)
        assert not result.for_microcontrollers
        assert "not for microcontrollers" in result.warning
        assert "not for microcontrollers" in json.dumps(result.to_json())
        with pytest.raises(ModelError, match="float"):
            check_integer_only(path.read_bytes(), str(path))


def _cli_error(capfd: pytest.CaptureFixture, argv: list[str]) -> str:
    assert main(argv) == 2
    err = capfd.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return err


@pytest.mark.parametrize("case, expected", [
    ("wrong_shape", "model input takes (8, 8, 1)"),
    ("nan", "NaN/inf"),
    ("empty", "no samples"),
    ("garbage", "not a .npy/.npz"),
    ("missing", "does not exist"),
])
def test_bad_calibration_data_is_one_line_exit_2(quadrant_models: dict, tmp_path: Path,
                                                 capfd: pytest.CaptureFixture, case: str,
                                                 expected: str) -> None:
    path = tmp_path / f"{case}.npz"
    if case == "wrong_shape":
        np.savez(path, x=np.zeros((4, 9, 9, 1), np.float32))
    elif case == "nan":
        x = np.ones((4, 8, 8, 1), np.float32)
        x[1, 2, 3, 0] = np.nan
        np.savez(path, x=x)
    elif case == "empty":
        np.savez(path, x=np.zeros((0, 8, 8, 1), np.float32))
    elif case == "garbage":
        path.write_bytes(b"\x00not an array at all")
    err = _cli_error(capfd, ["quantize", str(quadrant_models["keras"]), "--calib", str(path),
                             "-o", str(tmp_path / "out.tflite")])
    assert expected in err
    assert not (tmp_path / "out.tflite").exists()


def test_random_calibration_warns_loudly(quadrant_models: dict, tmp_path: Path,
                                         capfd: pytest.CaptureFixture) -> None:
    assert main(["quantize", str(quadrant_models["keras"]), "--calib", "random:8",
                 "-o", str(tmp_path / "r.tflite"), "--json"]) == 0
    captured = capfd.readouterr()
    assert "WARNING" in captured.err and "RANDOM" in captured.err
    assert json.loads(captured.out)["calib_samples"] == 8  # stdout holds only the JSON


@pytest.mark.slow
def test_keras3_lstm_is_rebuilt_in_tf_keras_and_runs_bit_exact(tmp_path: Path) -> None:
    """TF 2.21 cannot convert a Keras 3 LSTM; edgekit converts its tf_keras twin (same weights,
    float outputs checked) to the fused LSTM op, which `verify` runs bit-exact."""
    import keras

    from edgekit.load import load_tflite
    from edgekit.verify import verify_model

    model = keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(5, name="rnn"), keras.layers.Dense(2)])
    model.save(tmp_path / "lstm.keras")
    np.savez(tmp_path / "calib.npz", x=np.random.default_rng(0).normal(size=(16, 6, 3)).astype(np.float32))
    assert main(["quantize", str(tmp_path / "lstm.keras"), "--calib", str(tmp_path / "calib.npz"),
                 "-o", str(tmp_path / "o.tflite")]) == 0
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in [op.type for op in load_tflite(tmp_path / "o.tflite").ops]
    for rounding in ("tflite", "tflm"):
        result = verify_model(tmp_path / "o.tflite", samples=3, rounding=rounding, work_dir=tmp_path / rounding)
        assert result.bit_exact == 3


def test_tf_keras_rebuild_matches_the_float_model_and_refuses_what_it_cannot_express() -> None:
    import keras

    from edgekit.errors import ModelError
    from edgekit.quantize.tf_keras_rebuild import rebuild_in_tf_keras

    model = keras.Sequential([keras.Input((4, 3)), keras.layers.LSTM(6, return_sequences=True),
                              keras.layers.LSTM(3), keras.layers.Dense(2, activation="softmax")])
    twin = rebuild_in_tf_keras(model, (1, 4, 3))
    x = np.random.default_rng(1).normal(size=(1, 4, 3)).astype(np.float32)
    assert np.allclose(np.asarray(model(x)), np.asarray(twin(x)), atol=1e-6)
    backwards = keras.Sequential([keras.Input((4, 3)), keras.layers.LSTM(6, go_backwards=True, name="rev")])
    with pytest.raises(ModelError, match="'rev' has go_backwards=True"):
        rebuild_in_tf_keras(backwards, (1, 4, 3))


def test_non_unrolled_gru_is_named(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    import keras

    model = keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(4, name="rnn"),
                              keras.layers.Dense(2)])
    model.save(tmp_path / "gru.keras")
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 5, 3), np.float32))
    # (With the default --quantizer auto, edgekit's own quantizer takes it: tests/quantize/test_ptq.py.)
    err = _cli_error(capfd, ["quantize", str(tmp_path / "gru.keras"), "--quantizer", "tf", "--calib",
                             str(tmp_path / "calib.npz"), "-o", str(tmp_path / "o.tflite")])
    assert "'rnn' (GRU) is not unrolled" in err and "unroll=True" in err


@pytest.mark.parametrize("kind", ["while_loop", "fused_float_lstm"])
def test_float_recurrent_tflite_is_one_clear_line(kind: str, tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    """ai-edge-quantizer fails on a WHILE loop ("Tensor data is null") and leaves a float LSTM
    cell float: both end in one line saying what to quantize instead."""
    if kind == "while_loop":
        import keras
        import tensorflow as tf

        inp = keras.Input((5, 4), batch_size=1)
        model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.LSTM(6)(inp)))
        path = tmp_path / "while.tflite"
        path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
        expected = "has control flow"
        capfd.readouterr()  # the converter's own log lines
    else:
        path = Path(__file__).resolve().parent.parent / "corpus" / "lstm" / "bad" / "float_lstm.tflite"
        expected = "float UNIDIRECTIONAL_SEQUENCE_LSTM"
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 5, 4), np.float32))
    # --quantizer tf: Google's quantizers only (auto quantizes the WHILE loop with edgekit's own;
    # the float LSTM cell defeats both, and auto reports Google's failure).
    err = _cli_error(capfd, ["quantize", str(path), "--calib", str(tmp_path / "calib.npz"),
                             "-o", str(tmp_path / "o.tflite"), *(["--quantizer", "tf"] if kind == "while_loop" else [])])
    assert expected in err and "Tensor data is null" not in err
