"""int16x8 beside int8 on qemu-cortex-m4, for float equivalents of the four MLPerf Tiny models.

MLPerf Tiny ships only int8 .tflite files, so the float models are rebuilt here in Keras 3
with the reference architectures (DS-CNN KWS, MobileNetV1-0.25 VWW, ResNet-8 IC, the
FC autoencoder AD) and RANDOM weights (seeded; no training: the numbers measured are
instructions, arena and flash, which do not depend on the weights' values). The final
softmax is left out: edgekit has no int16 SOFTMAX yet. Each float model is quantized twice
with edgekit's converter path on the same random calibration set (normal(0, 1), 64
samples): int8 and int16x8 (--activations int16). Both are then measured exactly as
benchmarks/models.py measures the int8 originals: `edgekit build` for qemu-cortex-m4,
executed instructions of one inference in QEMU (-icount), arena from the memory plan,
flash = .text + .rodata + .data of the ELF, outputs checked bit-exact over serial against
TF's reference kernels. Of the int16 kernels only FULLY_CONNECTED has an Arm DSP path
(SMLALD over weights widened to int16 on the host); the others are the portable C.

    python benchmarks/int16.py [--runs N] [--samples N] [--out benchmarks/results/int16.md]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent


def _models_module():
    spec = importlib.util.spec_from_file_location("edgekit_bench_models", REPO / "benchmarks" / "models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def float_models() -> dict:
    import keras
    from keras import layers as L

    def bn_relu(x):
        return L.ReLU()(L.BatchNormalization()(x))

    def kws():
        x = inp = keras.Input((49, 10, 1), batch_size=1)
        x = bn_relu(L.Conv2D(64, (10, 4), strides=2, padding="same")(x))
        for _ in range(4):
            x = bn_relu(L.DepthwiseConv2D(3, padding="same")(x))
            x = bn_relu(L.Conv2D(64, 1)(x))
        x = L.AveragePooling2D(x.shape[1:3])(x)
        return keras.Model(inp, L.Dense(12)(L.Flatten()(x)))

    def vww():
        x = inp = keras.Input((96, 96, 3), batch_size=1)
        x = bn_relu(L.Conv2D(8, 3, strides=2, padding="same")(x))
        for filters, stride in [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1),
                                (128, 1), (128, 1), (128, 1), (256, 2), (256, 1)]:
            x = bn_relu(L.DepthwiseConv2D(3, strides=stride, padding="same")(x))
            x = bn_relu(L.Conv2D(filters, 1)(x))
        x = L.AveragePooling2D(x.shape[1:3])(x)
        return keras.Model(inp, L.Dense(2)(L.Flatten()(x)))

    def ic():
        x = inp = keras.Input((32, 32, 3), batch_size=1)
        x = bn_relu(L.Conv2D(16, 3, padding="same")(x))
        for filters, stride in [(16, 1), (32, 2), (64, 2)]:
            y = bn_relu(L.Conv2D(filters, 3, strides=stride, padding="same")(x))
            y = L.BatchNormalization()(L.Conv2D(filters, 3, padding="same")(y))
            if stride != 1:
                x = L.Conv2D(filters, 1, strides=stride)(x)
            x = L.ReLU()(L.Add()([x, y]))
        x = L.AveragePooling2D(x.shape[1:3])(x)
        return keras.Model(inp, L.Dense(10)(L.Flatten()(x)))

    def ad():
        x = inp = keras.Input((640,), batch_size=1)
        for units in [128, 128, 128, 128, 8, 128, 128, 128, 128]:
            x = bn_relu(L.Dense(units)(x))
        return keras.Model(inp, L.Dense(640)(x))

    return {"kws_ds_cnn": (kws, (49, 10, 1)), "vww_mobilenet": (vww, (96, 96, 3)),
            "ic_resnet8": (ic, (32, 32, 3)), "ad_autoencoder": (ad, (640,))}


def quantized_pair(name: str, factory, shape: tuple[int, ...], work: Path) -> dict[str, Path]:
    import keras

    from edgekit import api

    keras.utils.set_random_seed(7)
    model = factory()
    keras_path = work / f"{name}.keras"
    model.save(keras_path)
    calib = np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32)
    out = {}
    for kind in ("int8", "int16"):
        # (not the MLPerf file names: benchmarks/models.py writes its KWS profile for those)
        path = work / f"{name}_random_{'int16x8' if kind == 'int16' else 'int8'}.tflite"
        api.quantize(keras_path, calib, path, activations=kind)
        out[kind] = path
    return out


def table(rows: list[dict]) -> str:
    lines = ["| model | MACs | instr. int8 | instr. int16x8 | × | arena int8 B | arena int16x8 B | arena ratio "
             "(exact) | flash int8 B | flash int16x8 B | × | bit-exact int8 / int16x8 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b = r["int8"], r["int16"]
        ratio = Fraction(b["arena"], a["arena"])
        lines.append(
            f"| {r['model']} | {a['macs']:,} | {a['instructions']:,} | {b['instructions']:,} | "
            f"{b['instructions'] / a['instructions']:.2f} | {a['arena']:,} | {b['arena']:,} | "
            f"{float(ratio):.4f} ({ratio.numerator}/{ratio.denominator}) | {a['flash']:,} | {b['flash']:,} | "
            f"{b['flash'] / a['flash']:.2f} | {a['bit_exact']} / {b['bit_exact']} |")
    return "\n".join(lines)


def layer_table(row: dict) -> str:
    """Instructions per layer, int8 beside int16x8 (the same layers in the same order)."""
    lines = [f"### {row['model']}: instructions per layer", "",
             "| # | op | MACs | int8 | int16x8 | × |", "|---:|---|---:|---:|---:|---:|"]
    for i, ((op, macs, a), (op16, _, b)) in enumerate(zip(row["int8"]["layers"], row["int16"]["layers"])):
        name = op if op == op16 else f"{op} / {op16}"
        ratio = f"{b / a:.2f}" if a else "-"
        lines.append(f"| {i} | {name} | {macs:,} | {a:,} | {b:,} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=2, help="inputs checked bit-exact on the device")
    parser.add_argument("--only", nargs="*", help="model names (default: all four)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "int16.md")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    measure = _models_module().measure
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgekit-int16-") as tmp:
        work = Path(tmp)
        for name, (factory, shape) in float_models().items():
            if args.only and name not in args.only:
                continue
            print(f"measuring {name} ...", file=sys.stderr, flush=True)
            pair = quantized_pair(name, factory, shape, work)
            row: dict = {"model": name}
            for kind, path in pair.items():
                row[kind] = measure(path, work, args.runs, args.samples)
            rows.append(row)
    text = (f"# int16x8 beside int8 on qemu-cortex-m4 (MLPerf Tiny architectures, random weights)\n\n"
            f"{table(rows)}\n\nHow: {__doc__.split(chr(10) + chr(10))[1]}\n\n"
            + "\n\n".join(layer_table(r) for r in rows) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
