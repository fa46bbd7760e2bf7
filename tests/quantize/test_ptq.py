"""edgekit's own post-training quantizer (edgekit/quantize/ptq*.py).

The trust test: on a model TF's converter does quantize (CNN + FC + gate arithmetic, Keras
3, random trained-scale weights and biases), edgekit's quantizer on the float .tflite of the
same SavedModel and the same calibration samples writes the converter's model tensor for
tensor: types, scales, zero points, quantized dimensions and every constant's bytes.

Then the graphs the converter cannot quantize (TF 2.21 segfaults on a Keras GRU/SimpleRNN;
ai-edge-quantizer fails on the float WHILE with "Tensor data is null"): a rolled Keras 3 GRU
and SimpleRNN, trained on a learnable sequence task, become a WHILE with 3 subgraphs;
`edgekit quantize` quantizes them itself, TF's reference interpreter runs the int8 model,
and edgekit's C is bit-exact with it on the host (both roundings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edgekit.cli import main

STEPS, FEATURES = 10, 6


def _schema() -> Any:
    import ai_edge_litert.schema_py_generated as schema

    return schema


def _op_names(model: Any, graph: Any) -> list[str]:
    from edgekit.quantize.ptq_params import op_name

    return [op_name(model, op, _schema()) for op in graph.operators or []]


def compare_models(a: bytes, b: bytes) -> tuple[int, list[str]]:
    """(tensors that match, descriptions of those that differ) between two int8 models of
    the same graph, tensors paired through the operators' inputs and outputs."""
    schema = _schema()
    ma = schema.ModelT.InitFromPackedBuf(bytearray(a), 0)
    mb = schema.ModelT.InitFromPackedBuf(bytearray(b), 0)
    assert len(ma.subgraphs) == len(mb.subgraphs)
    pairs: dict[tuple[int, int], tuple[int, str]] = {}
    for k, (ga, gb) in enumerate(zip(ma.subgraphs, mb.subgraphs)):
        assert _op_names(ma, ga) == _op_names(mb, gb)
        for n, (oa, ob) in enumerate(zip(ga.operators, gb.operators)):
            for ia, ib in zip([*oa.inputs, *oa.outputs], [*ob.inputs, *ob.outputs]):
                if ia >= 0:
                    pairs[(k, int(ia))] = (int(ib), f"subgraph {k} op {n} ({_op_names(ma, ga)[n]})")

    def describe(model: Any, k: int, i: int) -> tuple[Any, ...]:
        tensor = model.subgraphs[k].tensors[i]
        q = tensor.quantization
        data = model.buffers[tensor.buffer].data
        params = ((), (), 0) if q is None or q.scale is None else \
            (tuple(np.float32(q.scale)), tuple(q.zeroPoint), q.quantizedDimension)
        return (tensor.type, *params, None if data is None else bytes(bytearray(data)))

    matched, differ = 0, []
    for (k, ia), (ib, where) in pairs.items():
        if describe(ma, k, ia) == describe(mb, k, ib):
            matched += 1
        else:
            differ.append(f"{where}: tensor {ia} {describe(ma, k, ia)[1:3]} vs {describe(mb, k, ib)[1:3]}")
    return matched, differ


def _randomize(model: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if weights:
            layer.set_weights([rng.normal(0.0, 0.4, w.shape).astype(np.float32) for w in weights])


def _gates_cnn() -> Any:
    import keras

    L = keras.layers
    keras.utils.set_random_seed(0)
    inp = keras.Input((12, 12, 1))
    x = L.Conv2D(8, 3, activation="relu")(inp)
    x = L.MaxPooling2D()(x)
    x = L.DepthwiseConv2D(3, activation="relu6")(x)
    x = L.AveragePooling2D(2)(x)
    x = L.Dense(16, activation="relu")(L.Flatten()(x))
    a, b = L.Dense(12, activation="tanh")(x), L.Dense(12, activation="sigmoid")(x)
    added = L.Add()([L.Multiply()([a, b]), L.Dense(12)(x)])
    x = L.Concatenate()([added, L.Subtract()([a, b])])
    model = keras.Model(inp, L.Dense(10, activation="softmax")(x))
    _randomize(model, 3)
    return model


def test_matches_the_converter_tensor_for_tensor(tmp_path: Path) -> None:
    """Both quantizers on one Keras file through `edgekit quantize`, same samples."""
    from edgekit.quantize.pipeline import quantize

    path = tmp_path / "cnn.keras"
    _gates_cnn().save(path)
    samples = np.random.default_rng(0).random((32, 12, 12, 1)).astype(np.float32)
    tf_result = quantize(path, samples, tmp_path / "tf.tflite", quantizer="tf")
    ek_result = quantize(path, samples, tmp_path / "ek.tflite", quantizer="edgekit")
    assert (tf_result.quantizer, ek_result.quantizer) == ("tf", "edgekit")
    assert "CONCATENATION" in ek_result.ops and "LOGISTIC" in ek_result.ops
    matched, differ = compare_models((tmp_path / "tf.tflite").read_bytes(), (tmp_path / "ek.tflite").read_bytes())
    # Every tensor an op reads or writes: 17 ops, 16 weights and biases, 17 activations.
    assert differ == [] and matched == 33, (matched, differ)


@pytest.mark.slow
def test_unrolled_gru_against_the_converter(tmp_path: Path) -> None:
    """The converter quantizes an unrolled Keras 3 GRU (not always on the first attempt).
    Every tensor matches edgekit's except, per step, the outputs of the gate arithmetic
    (1 - z) and z * h: the converter gives them ranges that are not theirs (e.g. about
    [-0.9, 1.0] for 1 - sigmoid, whose values lie in (0, 1)), close to the hidden state's.
    edgekit keeps each tensor's calibrated range there (the documented exception)."""
    import keras

    from edgekit.quantize.pipeline import quantize

    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 5))
    model = keras.Model(inp, keras.layers.Dense(4, activation="softmax")(keras.layers.GRU(8, unroll=True)(inp)))
    _randomize(model, 3)
    model.save(tmp_path / "gru.keras")
    samples = np.random.default_rng(0).normal(size=(32, 6, 5)).astype(np.float32)
    quantize(tmp_path / "gru.keras", samples, tmp_path / "tf.tflite", quantizer="tf")
    quantize(tmp_path / "gru.keras", samples, tmp_path / "ek.tflite", quantizer="edgekit")
    matched, differ = compare_models((tmp_path / "tf.tflite").read_bytes(), (tmp_path / "ek.tflite").read_bytes())
    print(f"unrolled GRU: {matched} tensors match the converter, {len(differ)} differ")
    assert matched >= 120 and all("(SUB)" in d or "(MUL)" in d or "(ADD)" in d for d in differ), differ
    assert len({d.split(": tensor ")[1].split(" ")[0] for d in differ}) <= 2 * 6, differ


# ---------------------------------------------------------------- what the converter cannot do

def _sequence_task(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """3 classes: is the running sum of feature 0 lowest, highest or in between at the end."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 1.0, (n, STEPS, FEATURES)).astype(np.float32)
    total = x[:, :, 0].sum(axis=1) + 0.5 * x[:, -3:, 1].sum(axis=1)
    y = np.digitize(total, [-1.5, 1.5]).astype(np.int64)
    return x, y


@pytest.fixture(scope="module")
def rolled_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import keras

    folder = tmp_path_factory.mktemp("rolled")
    x, y = _sequence_task(600, 1)
    paths = {}
    for name, layer in (("gru", keras.layers.GRU), ("simple_rnn", keras.layers.SimpleRNN)):
        keras.utils.set_random_seed(2)
        inp = keras.Input((STEPS, FEATURES))
        model = keras.Model(inp, keras.layers.Dense(3, activation="softmax")(layer(16)(inp)))
        model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=8, batch_size=32, verbose=0)
        paths[name] = folder / f"{name}.keras"
        model.save(paths[name])
    calib, _ = _sequence_task(100, 2)
    np.savez(folder / "calib.npz", x=calib)
    x_eval, y_eval = _sequence_task(300, 3)
    np.savez(folder / "eval.npz", x=x_eval, y=y_eval)
    paths["calib"], paths["eval"] = folder / "calib.npz", folder / "eval.npz"
    return paths


@pytest.mark.slow
@pytest.mark.parametrize("name", ["gru", "simple_rnn"])
def test_rolled_recurrent_model_quantized_by_edgekit(name: str, rolled_models: dict[str, Path],
                                                     tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import json

    from edgekit.quantize.evaluate import reference_interpreter

    out = tmp_path / f"{name}.tflite"
    assert main(["quantize", str(rolled_models[name]), "--calib", str(rolled_models["calib"]),
                 "--eval", str(rolled_models["eval"]), "-o", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["quantizer"] == "edgekit" and "WHILE" in result["ops"], result
    assert any("not unrolled" in note for note in result["notes"])
    data = out.read_bytes()
    model = _schema().ModelT.InitFromPackedBuf(bytearray(data), 0)
    assert len(model.subgraphs) == 3
    float_types = {_schema().TensorType.FLOAT32}
    assert not any(t.type in float_types for g in model.subgraphs for t in g.tensors)
    reference_interpreter(data).invoke()  # TF's reference kernels run every int8 op
    evaluation = result["evaluation"]
    print(f"{name}: float {evaluation['float_value']:.3f} int8 {evaluation['int8_value']:.3f}")
    assert evaluation["float_value"] > 0.7 and evaluation["int8_value"] > evaluation["float_value"] - 0.05


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
@pytest.mark.parametrize("name", ["gru", "simple_rnn"])
def test_rolled_recurrent_model_builds_bit_exact(name: str, rounding: str, rolled_models: dict[str, Path],
                                                 tmp_path: Path) -> None:
    """`build`'s float path (verify with --calib) quantizes through edgekit's quantizer and
    the generated C (the WHILE as a loop in model.c) is bit-exact with the oracle."""
    from edgekit.verify import verify_model

    result = verify_model(rolled_models[name], samples=8, rounding=rounding, work_dir=tmp_path, seed=3,
                          calib=str(rolled_models["calib"]), sanitize=rounding == "tflite")
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (8, 8, 0), result


def test_calibration_reads_the_loop_body_on_every_iteration(tmp_path: Path) -> None:
    import keras

    from edgekit.quantize import convert, source
    from edgekit.quantize.ptq_calib import calibrate

    keras.utils.set_random_seed(0)
    inp = keras.Input((STEPS, FEATURES))
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.GRU(4)(inp)))
    model.save(tmp_path / "gru.keras")
    data = convert.to_float(source.open_float_model(tmp_path / "gru.keras", tmp_path, rolled_ok=True))
    samples, _ = _sequence_task(3, 0)
    ranges, iterations = calibrate(data, samples)
    assert iterations == {2: 3 * STEPS}
    body = {i for k, i in ranges.values if k == 2}
    assert len(body) >= 20  # the gates, their activations and the new state
    # The body's state input is the hidden state of every step: not just the initial zeros.
    schema = _schema()
    graph = schema.ModelT.InitFromPackedBuf(bytearray(data), 0).subgraphs[2]
    state = next(int(i) for i in graph.inputs if graph.tensors[int(i)].shape.tolist() == [1, 4])
    low, high = ranges.values[(2, state)]
    assert low < 0 < high


def test_unknown_float_op_is_one_line(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    import tensorflow as tf

    weights = tf.constant(np.ones((4, 3), np.float32))

    @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32)])
    def model(x: Any) -> Any:
        return tf.exp(tf.matmul(x, weights))

    converter = tf.lite.TFLiteConverter.from_concrete_functions([model.get_concrete_function()], model)
    (tmp_path / "exp.tflite").write_bytes(converter.convert())
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 4), np.float32))
    capfd.readouterr()  # the converter's log lines
    assert main(["quantize", str(tmp_path / "exp.tflite"), "--quantizer", "edgekit", "--calib",
                 str(tmp_path / "calib.npz"), "-o", str(tmp_path / "o.tflite")]) == 2
    err = capfd.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "op 1 (EXP) of subgraph 0" in err, err


def test_options_edgekit_does_not_take(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    path = tmp_path / "cnn.keras"
    _gates_cnn().save(path)
    np.savez(tmp_path / "calib.npz", x=np.zeros((2, 12, 12, 1), np.float32))
    command = ["quantize", str(path), "--quantizer", "edgekit", "--calib", str(tmp_path / "calib.npz"),
               "-o", str(tmp_path / "o.tflite")]
    for extra, expected in ((["--activations", "int16"], "--activations int16 needs --quantizer tf"),
                            (["--report", str(tmp_path / "r.csv")], "--report runs TF's quantization")):
        assert main([*command, *extra]) == 2
        err = capfd.readouterr().err.strip()
        assert expected in err and len(err.splitlines()) == 1, err
    # uint8 I/O: the float boundary edgekit writes, folded by TFLite's modify_model_interface.
    assert main([*command, "--io", "uint8"]) == 0
    from edgekit.load import load_tflite

    graph = load_tflite(tmp_path / "o.tflite")
    assert {graph.tensors[i].dtype for i in [*graph.inputs, *graph.outputs]} == {"uint8"}


@pytest.mark.slow
def test_float_lstm_while_tflite(tmp_path: Path) -> None:
    """A Keras 3 LSTM converted to float .tflite by TF's converter is a WHILE loop too (not
    the fused LSTM op): ai-edge-quantizer fails on it, edgekit's quantizer takes it (its
    cell state is an int8 loop variable like the others, not the fused op's int16) and the
    build is bit-exact under the sanitizers."""
    import keras
    import tensorflow as tf

    from edgekit.quantize.pipeline import quantize
    from edgekit.verify import verify_model

    keras.utils.set_random_seed(0)
    inp = keras.Input((5, 4), batch_size=1)
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.LSTM(6)(inp)))
    (tmp_path / "lstm.tflite").write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    samples = np.random.default_rng(0).normal(size=(20, 5, 4)).astype(np.float32)
    result = quantize(tmp_path / "lstm.tflite", samples, tmp_path / "lstm_int8.tflite")
    assert result.quantizer == "edgekit" and "WHILE" in result.ops
    verified = verify_model(tmp_path / "lstm_int8.tflite", samples=6, sanitize=True, work_dir=tmp_path, seed=2)
    assert (verified.samples, verified.bit_exact, verified.max_abs_diff) == (6, 6, 0), verified
