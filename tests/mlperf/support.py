"""MLPerf Tiny test data in the runner's layout, and what TF's reference kernels say of it."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from edgekit.mlperf.benchmarks import IN_FLOAT32, IN_UINT8_SHIFT, benchmark

MODELS = {"kws01": "kws_ds_cnn_int8", "vww01": "vww_mobilenet_int8", "ic01": "ic_resnet8_int8",
          "ad01": "ad_autoencoder_int8"}
AD_FRAME_FLOATS = 128  # ad01: a window is 5 frames of 128 log-mel values, one frame a stride


def make_dataset(folder: Path, model_id: str, files: int, seed: int = 0, frames: int = 7) -> Path:
    """`files` random inputs of the benchmark's format and a y_labels.csv naming them."""
    bench = benchmark(model_id)
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for k in range(files):
        name = f"sample_{k:03d}.bin"
        if bench.input_kind == IN_FLOAT32:
            # log-mel-like values spread over the model's input range (scale 0.39, zp 89)
            data = rng.uniform(-80.0, 15.0, size=frames * AD_FRAME_FLOATS).astype("<f4").tobytes()
            rows.append([name, 2, k % 2, bench.input_bytes, AD_FRAME_FLOATS * 4])
        else:
            data = rng.integers(0, 256, size=bench.input_elements, dtype=np.uint8).tobytes()
            rows.append([name, 0, k % 2])
        (folder / name).write_bytes(data)
    with open(folder / "y_labels.csv", "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return folder


def _interpreter(model: Path):
    import tensorflow as tf

    interp = tf.lite.Interpreter(
        model_path=str(model),
        experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    return interp


def quantize_like_the_dut(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """round(x / scale) + zero point in float32, halves away from zero, clamped to int8."""
    q = (x.astype(np.float32) / np.float32(scale)).astype(np.float64)
    r = np.trunc(q)
    r += np.where(q - r >= 0.5, 1, np.where(q - r <= -0.5, -1, 0))
    return np.clip(r + zero_point, -128, 127).astype(np.int8)


def reference_scores(model: Path, model_id: str, window: bytes) -> list[float]:
    """What the DUT must answer for one window, from TF's reference kernels, with the
    DUT's arithmetic for its own steps (input rule, dequantization, ad01's MSE) and its
    3-decimal output."""
    bench = benchmark(model_id)
    interp = _interpreter(model)
    (inp,), (out,) = interp.get_input_details(), interp.get_output_details()
    if bench.input_kind == IN_FLOAT32:
        x = np.frombuffer(window, dtype="<f4")
        scale, zp = inp["quantization"]
        q = quantize_like_the_dut(x, scale, zp)
    elif bench.input_kind == IN_UINT8_SHIFT:
        q = (np.frombuffer(window, dtype=np.uint8) ^ 0x80).view(np.int8)
    else:
        q = np.frombuffer(window, dtype=np.int8)
    interp.set_tensor(inp["index"], q.reshape(inp["shape"]))
    interp.invoke()
    y = interp.get_tensor(out["index"]).reshape(-1)
    o_scale, o_zp = np.float32(out["quantization"][0]), int(out["quantization"][1])
    deq = [np.float32(int(v) - o_zp) * o_scale for v in y]
    if bench.output_kind == 1:
        total = np.float32(0)
        for d, xi in zip(deq, x):
            diff = np.float32(d - xi)
            total = np.float32(total + diff * diff)
        values = [np.float32(total / np.float32(len(deq)))]
    else:
        values = deq
    return [float(f"{float(v):.3f}") for v in values]
