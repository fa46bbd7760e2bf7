"""`edgekit optimize`: TFMOT pruning, clustering and QAT on a tf_keras model, in a child process."""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest

from edgekit.cli import main
from edgekit.errors import EdgekitError, ModelError
from edgekit.load import load_tflite
from edgekit.optimize import optimize
from tests.quantize.conftest import quadrant_data

tf_keras = pytest.importorskip("tf_keras", reason="tf-keras is installed by `make setup`")
pytest.importorskip("tensorflow_model_optimization", reason="installed by `make setup`")


def _save_tf_keras(path: Path, relu6_inside: bool = False, epochs: int = 4) -> None:
    x, y = quadrant_data(800, seed=5)
    tf_keras.utils.set_random_seed(5)
    layers = tf_keras.layers
    conv = [layers.Conv2D(8, 3, padding="same", activation="relu6")] if relu6_inside else \
        [layers.Conv2D(8, 3, padding="same"), layers.ReLU()]
    model = tf_keras.Sequential([tf_keras.Input((8, 8, 1)), *conv, layers.MaxPooling2D(2),
                                 layers.Flatten(), layers.Dense(4, activation="softmax")])
    model.compile(tf_keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "HDF5 is a legacy format"
        model.save(path)


@pytest.fixture(scope="module")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("optimize_data")
    x, y = quadrant_data(600, seed=6)
    x_eval, y_eval = quadrant_data(300, seed=7)
    np.savez(out / "train.npz", x=x, y=y)
    np.savez(out / "eval.npz", x=x_eval, y=y_eval)
    return out / "train.npz", out / "eval.npz"


def _weights(path: Path) -> list[np.ndarray]:
    """Constant int8 weights of the CONV_2D/FULLY_CONNECTED ops of a .tflite."""
    graph = load_tflite(path)
    return [graph.tensor(op.inputs[1]).data for op in graph.ops
            if op.type in ("CONV_2D", "FULLY_CONNECTED")]


@pytest.mark.slow
def test_prune_cluster_qat_one_epoch_each(tmp_path: Path, data_files: tuple[Path, Path]) -> None:
    model = tmp_path / "small.h5"
    _save_tf_keras(model)
    train, held_out = data_files
    result = optimize(model, train, eval_data=held_out, prune=0.5, cluster=8, qat=True, epochs=1,
                      out_dir=tmp_path / "out")
    by_name = {v.name: v for v in result.variants}
    assert list(by_name) == ["float", "ptq", "qat", "pruned", "clustered", "combined"]
    for v in result.variants:
        assert v.metric == "accuracy" and v.value > 0.85, v
        data = Path(v.tflite).read_bytes()
        assert v.bytes == len(data) and v.gzip_bytes == len(gzip.compress(data, compresslevel=9))
        graph = load_tflite(v.tflite)
        dtypes = {graph.tensor(t).dtype for t in graph.inputs}
        assert dtypes == ({"int8"} if v.int8 else {"float32"}), (v.name, dtypes)
    assert not by_name["float"].int8 and all(v.int8 for v in result.variants[1:])

    # Pruning really zeroed half the weights; clustering really left <= 8 values per channel.
    pruned = np.concatenate([w.ravel() for w in _weights(Path(by_name["pruned"].tflite))])
    ptq = np.concatenate([w.ravel() for w in _weights(Path(by_name["ptq"].tflite))])
    assert np.mean(pruned == 0) > 0.45 > np.mean(ptq == 0)
    for weights in _weights(Path(by_name["clustered"].tflite)):
        for channel in weights:
            assert len(np.unique(channel)) <= 8
    assert by_name["pruned"].gzip_bytes < by_name["ptq"].gzip_bytes


def test_keras3_model_gets_the_tf_keras_hint(tmp_path: Path, data_files: tuple[Path, Path]) -> None:
    import keras

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(4)])
    model.save(tmp_path / "k3.keras")
    with pytest.raises(ModelError, match="Keras 3 model; TFMOT 0.8.1 only optimizes tf_keras"):
        optimize(tmp_path / "k3.keras", data_files[0], prune=0.5)


def test_qat_names_relu6_inside_a_layer(tmp_path: Path, data_files: tuple[Path, Path],
                                        capfd: pytest.CaptureFixture) -> None:
    model = tmp_path / "relu6.h5"
    _save_tf_keras(model, relu6_inside=True, epochs=1)
    assert main(["optimize", str(model), "--data", str(data_files[0]), "--qat", "--epochs", "1",
                 "-o", str(tmp_path / "out")]) == 2
    err = capfd.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "activation='relu6'" in err and "ReLU(6.0)" in err, err


def test_bad_arguments_fail_before_training(tmp_path: Path, data_files: tuple[Path, Path]) -> None:
    with pytest.raises(EdgekitError, match="0 < s < 1"):
        optimize(tmp_path / "m.h5", data_files[0], prune=1.5)
    with pytest.raises(EdgekitError, match=">= 2"):
        optimize(tmp_path / "m.h5", data_files[0], cluster=1)
    with pytest.raises(ModelError, match="does not exist"):
        optimize(tmp_path / "m.h5", data_files[0], qat=True)
