"""What quantization and the TFMOT techniques buy, on scikit-learn's digits (8x8, 10 classes).

Two parts, both on the fixed 1400/397 split of examples/train_example.py:

1. `edgekit quantize` of the Keras 3 example CNN: float .tflite vs full int8 — accuracy with
   TFLite's reference kernels on the 397 held-out digits, and bytes; per-layer SQNR.
2. `edgekit optimize` of a tf_keras twin of that CNN (separate ReLU layers, as TFMOT's QAT
   needs): float, PTQ, QAT, pruned 50%, clustered 16, combined — accuracy, .tflite bytes,
   gzip -9 bytes and, with --board and a working `edgekit build`, flash and arena bytes.

Run: .venv/bin/python benchmarks/optimize.py [--epochs 3] [--board qemu-cortex-m4]
Writes benchmarks/results/optimize.md and optimize.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def example_module() -> Any:
    spec = importlib.util.spec_from_file_location("train_example", ROOT / "examples" / "train_example.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def quantize_part(work: Path) -> dict[str, Any]:
    from edgekit import api

    example = example_module().train_example(work / "example")
    result = api.quantize(example.keras_model, example.calib, work / "digits_int8.tflite",
                          report=True, eval_data=example.test)
    ev = result.evaluation
    return {"float_accuracy": ev.float_value, "int8_accuracy": ev.int8_value, "samples": ev.samples,
            "float_tflite_bytes": result.float_size_bytes, "int8_tflite_bytes": result.size_bytes,
            "ops": result.ops, "calib_samples": result.calib_samples,
            "layers": [{"op": layer.op, "sqnr_db": round(layer.sqnr_db, 2)} for layer in result.layers.layers]}


def tf_keras_twin(path: Path, epochs: int, seed: int = 0) -> None:
    """The example's CNN in tf_keras with activations as separate layers (QAT-friendly)."""
    import tf_keras

    x_train, y_train, _, _ = example_module().load_data(seed)
    tf_keras.utils.set_random_seed(seed)
    layers = tf_keras.layers
    model = tf_keras.Sequential([
        tf_keras.Input((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same"), layers.ReLU(),
        layers.DepthwiseConv2D(3, padding="same"), layers.ReLU(),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 1), layers.ReLU(),
        layers.AveragePooling2D(2),
        layers.Flatten(),
        layers.Dense(10), layers.Softmax(),
    ])
    model.compile(tf_keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)


def optimize_part(work: Path, epochs: int, board: str | None) -> dict[str, Any]:
    from edgekit.optimize import optimize

    x_train, y_train, x_test, y_test = example_module().load_data()
    np.savez(work / "train.npz", x=x_train, y=y_train)
    np.savez(work / "test.npz", x=x_test, y=y_test)
    model = work / "digits_tf_keras.h5"
    tf_keras_twin(model, epochs=30)
    start = time.perf_counter()
    result = optimize(model, work / "train.npz", eval_data=work / "test.npz", prune=0.5, cluster=16,
                      qat=True, epochs=epochs, out_dir=work / "optimize", board=board)
    out = result.to_json()
    out["seconds"] = round(time.perf_counter() - start, 1)
    out["epochs"] = epochs
    return out


def markdown(data: dict[str, Any]) -> str:
    q = data["quantize"]
    lines = [
        "# Quantization and TFMOT techniques on digits", "",
        (f"Measured by `benchmarks/optimize.py` on {data['machine']} ({data['date']}); TF 2.21, "
         "TFMOT 0.8.1 on tf_keras 2.21. Accuracy: TFLite reference kernels (BUILTIN_REF) on the "
         f"{q['samples']} held-out digits; batch 1."), "",
        "## edgekit quantize (Keras 3 example CNN)", "",
        "| model | accuracy | .tflite bytes |", "|---|---:|---:|",
        f"| float | {100 * q['float_accuracy']:.2f}% | {q['float_tflite_bytes']:,} |",
        f"| full int8 | {100 * q['int8_accuracy']:.2f}% | {q['int8_tflite_bytes']:,} |", "",
        "Per-layer SQNR (dB): " + ", ".join(f"{layer['op']} {layer['sqnr_db']}" for layer in q["layers"]),
        "", f"## edgekit optimize (tf_keras twin, {data['optimize']['epochs']} fine-tuning epochs each)", "",
        "| variant | accuracy | .tflite bytes | gzip bytes | flash bytes | arena bytes | note |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for v in data["optimize"]["variants"]:
        def num(value: Any) -> str:
            return "-" if value is None else f"{value:,}"
        lines.append(f"| {v['name']} | {100 * v['value']:.2f}% | {v['bytes']:,} | {v['gzip_bytes']:,} | "
                     f"{num(v['flash_bytes'])} | {num(v['arena_bytes'])} | {v['note']} |")
    lines += ["", *[f"- {note}" for note in data["optimize"]["notes"]],
              f"- optimize wall time: {data['optimize']['seconds']} s (2 shared cores)", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs per technique")
    parser.add_argument("--board", default="qemu-cortex-m4", help="board for flash/arena ('' for none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="edgekit-bench-") as tmp:
        work = Path(tmp)
        data = {"machine": platform.machine(), "date": time.strftime("%Y-%m-%d"),
                "quantize": quantize_part(work),
                "optimize": optimize_part(work, args.epochs, args.board or None)}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "optimize.json").write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / "optimize.md").write_text(markdown(data))
    print(markdown(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
