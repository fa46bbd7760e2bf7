"""Calibration and evaluation data readers: .npz/.npy arrays, a folder of images, `random`.

Every reader returns float32 samples shaped like the model input without its batch
dimension, checked for the things that silently ruin a calibration: a wrong shape, NaN
or inf values, no samples at all.
"""

from __future__ import annotations

import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from edgekit.errors import DataError, ToolError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".pgm", ".ppm", ".tif", ".tiff", ".webp"}


@dataclass(frozen=True)
class ImageMapping:
    """How image pixels (0..255) become model input values: ((p * scale + offset) - mean) / std."""

    scale: float = 1.0 / 255.0
    offset: float = 0.0
    mean: float = 0.0
    std: float = 1.0

    def apply(self, pixels: np.ndarray) -> np.ndarray:
        values = pixels.astype(np.float32) * np.float32(self.scale) + np.float32(self.offset)
        return (values - np.float32(self.mean)) / np.float32(self.std)


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an .npz, or {"x": array} for an .npy; one-line errors on bad files."""
    if not path.is_file():
        raise DataError(f"data file {path} does not exist")
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            return {"x": loaded}
        with loaded:
            return {key: loaded[key] for key in loaded.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        # np.load guesses "pickle" for any unrecognized bytes; edgekit never unpickles.
        reason = "not a .npy/.npz array file" if "pickle" in str(exc) else str(exc)
        raise DataError(f"cannot read {path}: {reason}") from None


def _pick_x(arrays: dict[str, np.ndarray], path: Path) -> np.ndarray:
    if "x" in arrays:
        return arrays["x"]
    if len(arrays) == 1:
        return next(iter(arrays.values()))
    raise DataError(f"{path} holds arrays {sorted(arrays)}; name the samples 'x' "
                       "(np.savez(f, x=samples, y=labels))")


def fit_samples(x: np.ndarray, sample_shape: tuple[int, ...], source: str) -> np.ndarray:
    """Check and reshape `x` to (N, *sample_shape) float32.

    A missing size-1 axis (digits saved as (N, 8, 8) for a (1, 8, 8, 1) input) is
    accepted; anything else that differs is an error that says what was expected.
    """
    x = np.asarray(x)
    if x.dtype.kind not in "fiub":
        raise DataError(f"{source}: samples have dtype {x.dtype}; expected numbers")
    if x.ndim == 0 or x.shape[0] == 0 or x.size == 0:
        raise DataError(f"{source}: no samples (array shape {x.shape})")
    if tuple(x.shape[1:]) != tuple(sample_shape):
        squeezed = tuple(d for d in x.shape[1:] if d != 1)
        wanted = tuple(d for d in sample_shape if d != 1)
        if squeezed != wanted:
            raise DataError(
                f"{source}: samples have shape {tuple(x.shape[1:])} (array {tuple(x.shape)}) but the "
                f"model input takes {tuple(sample_shape)}; give an array of shape (N, "
                f"{', '.join(map(str, sample_shape))})")
        x = x.reshape((x.shape[0], *sample_shape))
    x = x.astype(np.float32)
    bad = ~np.isfinite(x)
    if bad.any():
        first = int(np.argwhere(bad.reshape(len(x), -1).any(axis=1))[0][0])
        raise DataError(f"{source}: {int(bad.sum())} NaN/inf values (first in sample {first}); "
                           "calibration data must be finite")
    return x


def _read_images(folder: Path, sample_shape: tuple[int, ...], mapping: ImageMapping) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise ToolError("reading a folder of images needs Pillow: pip install pillow") from None
    if len(sample_shape) != 3 or sample_shape[-1] not in (1, 3):
        raise DataError(f"a folder of images needs a model input of shape (H, W, 1|3); this "
                           f"model takes {sample_shape}")
    height, width, channels = sample_shape
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"{folder} holds no images ({', '.join(sorted(IMAGE_SUFFIXES))})")
    images = []
    for file in files:
        try:
            with Image.open(file) as opened:
                image = opened.convert("L" if channels == 1 else "RGB")
                image = image.resize((width, height), Image.Resampling.BILINEAR)
                pixels = np.asarray(image, dtype=np.uint8)
        except (OSError, ValueError) as exc:
            raise DataError(f"cannot read image {file}: {exc}") from None
        images.append(pixels.reshape(height, width, channels))
    return mapping.apply(np.stack(images))


def warn_random(count: int) -> None:
    print(f"WARNING: calibrating on {count} RANDOM samples (uniform 0..1). The int8 ranges will not "
          "match real inputs and accuracy will suffer; pass real data with --calib FILE|FOLDER.",
          file=sys.stderr)


def load_samples(spec: str | Path, sample_shape: tuple[int, ...], *,
                 mapping: ImageMapping = ImageMapping(), max_samples: int | None = None,
                 seed: int = 0) -> np.ndarray:
    """Calibration samples from `spec`: an .npz/.npy file, an image folder, or `random[:N]`."""
    text = str(spec)
    if text == "random" or text.startswith("random:"):
        count = int(text.split(":", 1)[1]) if ":" in text else 100
        warn_random(count)
        rng = np.random.default_rng(seed)
        return rng.random((count, *sample_shape), dtype=np.float32)
    path = Path(text)
    if path.is_dir():
        x = _read_images(path, sample_shape, mapping)
    else:
        x = _pick_x(_read_arrays(path), path)
    x = fit_samples(x, sample_shape, str(path))
    return x[:max_samples] if max_samples else x


def load_labelled(spec: str | Path, sample_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) from an .npz with arrays `x` and `y` (evaluation data)."""
    path = Path(spec)
    arrays = _read_arrays(path)
    if "x" not in arrays or "y" not in arrays:
        raise DataError(f"{path} must hold arrays 'x' and 'y' for evaluation (has {sorted(arrays)})")
    x = fit_samples(arrays["x"], sample_shape, str(path))
    y = np.asarray(arrays["y"])
    if len(y) != len(x):
        raise DataError(f"{path}: {len(x)} samples but {len(y)} labels")
    return x, y
