"""Calibration/evaluation data readers and scoring: no TensorFlow needed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgekit.errors import EdgekitError
from edgekit.quantize.calib import ImageMapping, fit_samples, load_labelled, load_samples
from edgekit.quantize.evaluate import score


def test_npy_without_channel_axis_is_reshaped(tmp_path: Path) -> None:
    x = np.random.default_rng(0).random((6, 8, 8)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    got = load_samples(tmp_path / "x.npy", (8, 8, 1))
    assert got.shape == (6, 8, 8, 1) and np.array_equal(got[..., 0], x)


def test_npz_needs_x_when_several_arrays(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", a=np.zeros((2, 3)), b=np.zeros((2, 3)))
    with pytest.raises(EdgekitError, match="name the samples 'x'"):
        load_samples(tmp_path / "d.npz", (3,))
    np.savez(tmp_path / "one.npz", only=np.ones((2, 3)))
    assert load_samples(tmp_path / "one.npz", (3,)).shape == (2, 3)


def test_max_samples_and_integer_input(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.arange(40, dtype=np.uint8).reshape(10, 4))
    got = load_samples(tmp_path / "d.npz", (4,), max_samples=3)
    assert got.dtype == np.float32 and got.shape == (3, 4) and got[2, 3] == 11


def test_image_folder_is_resized_and_mapped(tmp_path: Path) -> None:
    from PIL import Image

    rng = np.random.default_rng(1)
    originals = []
    for i in range(3):
        pixels = rng.integers(0, 256, (12, 10, 3), dtype=np.uint8)
        originals.append(pixels)
        Image.fromarray(pixels).save(tmp_path / f"img{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    mapping = ImageMapping(scale=2 / 255, offset=-1.0, mean=0.5, std=2.0)
    got = load_samples(tmp_path, (6, 5, 3), mapping=mapping)
    assert got.shape == (3, 6, 5, 3)
    # Independent computation: PIL's bilinear resize, then the documented mapping.
    expected = np.asarray(Image.fromarray(originals[0]).resize((5, 6), Image.BILINEAR), np.float32)
    assert np.allclose(got[0], ((expected * 2 / 255 - 1.0) - 0.5) / 2.0, atol=1e-6)
    gray = load_samples(tmp_path, (4, 4, 1))
    assert gray.shape == (3, 4, 4, 1) and gray.min() >= 0 and gray.max() <= 1


def test_empty_image_folder_and_bad_image(tmp_path: Path) -> None:
    with pytest.raises(EdgekitError, match="holds no images"):
        load_samples(tmp_path, (4, 4, 1))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(EdgekitError, match="cannot read image"):
        load_samples(tmp_path, (4, 4, 1))


def test_random_warns(capsys: pytest.CaptureFixture) -> None:
    got = load_samples("random:5", (3, 2))
    assert got.shape == (5, 3, 2) and "RANDOM" in capsys.readouterr().err


def test_labelled_data_checks(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.zeros((4, 2)), y=np.zeros(3))
    with pytest.raises(EdgekitError, match="4 samples but 3 labels"):
        load_labelled(tmp_path / "d.npz", (2,))
    np.savez(tmp_path / "nolabels.npz", x=np.zeros((4, 2)))
    with pytest.raises(EdgekitError, match="'x' and 'y'"):
        load_labelled(tmp_path / "nolabels.npz", (2,))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3), st.integers(0, 3))
def test_fit_samples_rejects_every_other_shape(shape: list[int], extra: int) -> None:
    x = np.zeros((2, *shape), np.float32)
    wanted = (*shape[:-1], shape[-1] + extra)
    if extra == 0:
        assert fit_samples(x, tuple(shape), "d").shape == (2, *shape)
    else:
        with pytest.raises(EdgekitError, match="model input takes"):
            fit_samples(x, wanted, "d")


def test_score_accuracy_onehot_and_rmse() -> None:
    outputs = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], np.float32)
    assert score(outputs, np.array([1, 0, 0])) == ("classification", "accuracy", pytest.approx(2 / 3))
    onehot = np.array([[0, 1], [1, 0], [0, 1]], np.float32)
    assert score(outputs, onehot)[2] == 1.0
    task, metric, value = score(outputs, outputs + 0.5)
    assert (task, metric) == ("regression", "rmse") and value == pytest.approx(0.5)
    with pytest.raises(EdgekitError, match="match neither"):
        score(outputs, np.zeros((3, 5), np.float32))
