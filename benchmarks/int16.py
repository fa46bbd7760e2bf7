"""int16x8 beside int8 on qemu-cortex-m4, for float equivalents of the four MLPerf Tiny models.

MLPerf Tiny ships only int8 .tflite files, so the float models are rebuilt here in Keras 3
with the reference architectures (DS-CNN KWS, MobileNetV1-0.25 VWW, ResNet-8 IC, the
FC autoencoder AD) and RANDOM weights (seeded; no training, no data set here: instructions,
arena and flash do not depend on the weights' values, and the accuracy columns measure
how far each quantized model is from ITS float model, not task accuracy). The BatchNorm
statistics are set from the calibration inputs (normalize_batchnorm), so activations stay
of order one through the random layers. The final
softmax is left out: edgekit has no int16 SOFTMAX yet (argmax is the same with or without
it). Each float model is quantized twice with edgekit's converter path on the same random
calibration set (normal(0, 1), 64 samples): int8 and int16x8 (--activations int16). Both
are then measured exactly as benchmarks/models.py measures the int8 originals: `edgekit
build` for qemu-cortex-m4 (kernel variant arm-dsp), executed instructions of one inference
in QEMU (-icount), arena from the memory plan, flash = .text + .rodata + .data of the ELF,
outputs checked bit-exact over serial against TF's reference kernels. Accuracy against
float: a held-out set of --holdout inputs (normal(0, 1), another seed than the
calibration's) through the float Keras model and through each quantized model with TF's
reference kernels (the device's outputs are those bytes: bit-exact above); "top-1 agree" is
the share of inputs whose argmax equals the float model's (classifiers only), "SQNR" is
10 log10(sum f^2 / sum (q - f)^2) over all outputs, f float and q the dequantized output.
The int16 CONV_2D, DEPTHWISE_CONV_2D (depth multiplier 1) and FULLY_CONNECTED have Arm DSP
paths (weights widened to int16 on the host, SMLAD / SMLALD on int16 pairs); "int16x8
before" is benchmarks/results/int16_before.json, measured with the portable int16 conv and
depthwise loops (FC already on its DSP path).

    python benchmarks/int16.py [--runs N] [--samples N] [--holdout N] [--out benchmarks/results/int16.md]
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


def normalize_batchnorm(model, x: np.ndarray) -> None:
    """Data-dependent initialisation: each BatchNormalization's moving mean and variance
    become those of its input on `x` (in graph order), so activations stay of order one
    through the random network as through a trained one. Without it the random VWW's
    outputs are about 1e-16 (every layer shrinks them) and int8 rounds them to zero."""
    import keras

    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            a = np.asarray(keras.Model(model.inputs, layer.input).predict(x, verbose=0), dtype=np.float64)
            axes = tuple(range(a.ndim - 1))
            gamma, beta, _, _ = layer.get_weights()
            layer.set_weights([gamma, beta, a.mean(axis=axes).astype(np.float32), a.var(axis=axes).astype(np.float32)])


def quantized_pair(name: str, factory, shape: tuple[int, ...], work: Path) -> dict[str, Path]:
    import keras

    from edgekit import api

    keras.utils.set_random_seed(7)
    model = factory()
    calib = np.random.default_rng(0).normal(size=(64, *shape)).astype(np.float32)
    normalize_batchnorm(model, calib)
    keras_path = work / f"{name}.keras"
    model.save(keras_path)
    out = {"float": keras_path}
    for kind in ("int8", "int16"):
        # (not the MLPerf file names: benchmarks/models.py writes its KWS profile for those)
        path = work / f"{name}_random_{'int16x8' if kind == 'int16' else 'int8'}.tflite"
        api.quantize(keras_path, calib, path, activations=kind)
        out[kind] = path
    return out


CMSIS_HOW = (
    "CMSIS-NN's int16 kernels on qemu-cortex-m4, the calls TFLite Micro's CMSIS-NN kernels make for these "
    "layers (arm_convolve_wrapper_s16 -> arm_convolve_s16, arm_depthwise_conv_wrapper_s16 -> "
    "arm_depthwise_conv_fast_s16, arm_fully_connected_s16), measured outside this repository: CMSIS-NN at "
    "commit 99f736a6 (github.com/ARM-software/CMSIS-NN) built with arm-none-eabi-gcc -mcpu=cortex-m4 "
    "-mfloat-abi=hard -O2 (edgekit's flags) into a bare-metal mps2-an386 image that times each call alone "
    "with the FPGAIO counter under -icount shift=0 (40 instructions per tick, as `edgekit profile`), on the "
    "same layer shapes with random int16 inputs, int8 weights and int64 biases. Kernel calls only: TFLite "
    "Micro's per-op overhead is not in these numbers; edgekit's are its per-layer profile counts above.")
# (model, op, MACs) -> (CMSIS-NN kernel, instructions of one call), measured as CMSIS_HOW says.
CMSIS_NN_S16 = {
    ("kws_ds_cnn", "CONV_2D", 320_000): ("arm_convolve_s16", 1_221_040),  # 10x4 stride 2, 1 -> 64 channels
    ("kws_ds_cnn", "DEPTHWISE_CONV_2D", 72_000): ("arm_depthwise_conv_fast_s16", 876_680),  # 3x3, 64 channels
    ("kws_ds_cnn", "CONV_2D", 512_000): ("arm_convolve_s16", 1_367_080),  # 1x1, 64 -> 64
    ("kws_ds_cnn", "FULLY_CONNECTED", 768): ("arm_fully_connected_s16", 2_600),  # 64 -> 12
    ("vww_mobilenet", "CONV_2D", 497_664): ("arm_convolve_s16", 3_244_200),  # 3x3 stride 2, 3 -> 8
    ("vww_mobilenet", "DEPTHWISE_CONV_2D", 165_888): ("arm_depthwise_conv_fast_s16", 2_815_640),  # 3x3, 8 ch, 48x48
    ("ic_resnet8", "CONV_2D", 2_359_296): ("arm_convolve_s16", 5_747_520),  # 3x3, 16 -> 16, 32x32
    ("ad_autoencoder", "FULLY_CONNECTED", 81_920): ("arm_fully_connected_s16", 220_800),  # 640 -> 128
}


def cmsis_table(rows: list[dict]) -> str:
    """edgekit's int16x8 layers beside the same layers through CMSIS-NN's int16 kernels (the
    first layer of each model with that op and MAC count)."""
    lines = ["| model | # | layer | MACs | CMSIS-NN kernel | CMSIS-NN instr. | MACs/instr | edgekit int16x8 instr. "
             "| MACs/instr | × CMSIS-NN |", "|---|---:|---|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        for (model, op, macs), (kernel, count) in CMSIS_NN_S16.items():
            found = [(i, c) for i, (o, m, c) in enumerate(r["int16"]["layers"]) if (o, m) == (op, macs)]
            if model != r["model"] or not found:
                continue
            index, ours = found[0]
            lines.append(f"| {model} | {index} | {op} | {macs:,} | {kernel} | {count:,} | {macs / count:.2f} | "
                         f"{ours:,} | {macs / ours:.2f} | {ours / count:.2f} |")
    return "\n".join(lines)


def accuracy(pair: dict[str, Path], shape: tuple[int, ...], samples: int, classifier: bool) -> dict:
    """int8 and int16x8 against the float model on `samples` held-out inputs (see the docstring)."""
    import keras

    from edgekit.quantize.evaluate import predict

    x = np.random.default_rng(1).normal(size=(samples, *shape)).astype(np.float32)
    ref = np.asarray(keras.models.load_model(pair["float"]).predict(x, batch_size=32, verbose=0))
    ref = ref.reshape(samples, -1).astype(np.float64)
    out: dict = {"samples": samples}
    for kind in ("int8", "int16"):
        q = predict(pair[kind].read_bytes(), x).reshape(samples, -1).astype(np.float64)
        noise = float(np.sum((q - ref) ** 2))
        out[kind] = {"sqnr_db": 10 * np.log10(float(np.sum(ref ** 2)) / noise) if noise else float("inf"),
                     "top1_agree": float(np.mean(q.argmax(axis=1) == ref.argmax(axis=1))) if classifier else None}
    return out


def _agree(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f} %"


def table(rows: list[dict], before: dict[str, dict]) -> str:
    lines = ["| model | MACs | instr. int8 | instr. int16x8 before | instr. int16x8 | × int8 | MACs/instr int8 / int16x8 "
             "| arena int8 B | arena int16x8 B | arena ratio (exact) | flash int8 B | flash int16x8 B | × "
             "| bit-exact int8 / int16x8 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        a, b = r["int8"], r["int16"]
        ratio = Fraction(b["arena"], a["arena"])
        old = before.get(r["model"], {}).get("int16", {}).get("instructions")
        lines.append(
            f"| {r['model']} | {a['macs']:,} | {a['instructions']:,} | {f'{old:,}' if old else '-'} | "
            f"{b['instructions']:,} | {b['instructions'] / a['instructions']:.2f} | "
            f"{a['macs'] / a['instructions']:.2f} / {b['macs'] / b['instructions']:.2f} | {a['arena']:,} | "
            f"{b['arena']:,} | {float(ratio):.4f} ({ratio.numerator}/{ratio.denominator}) | {a['flash']:,} | "
            f"{b['flash']:,} | {b['flash'] / a['flash']:.2f} | {a['bit_exact']} / {b['bit_exact']} |")
    return "\n".join(lines)


def accuracy_table(rows: list[dict]) -> str:
    lines = ["| model | held-out inputs | top-1 agree int8 | top-1 agree int16x8 | SQNR int8 dB | SQNR int16x8 dB |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        acc = r.get("accuracy")
        if acc is None:
            continue
        a, b = acc["int8"], acc["int16"]
        lines.append(f"| {r['model']} | {acc['samples']} | {_agree(a['top1_agree'])} | {_agree(b['top1_agree'])} | "
                     f"{a['sqnr_db']:.1f} | {b['sqnr_db']:.1f} |")
    return "\n".join(lines)


def _matched(layers: list, reference: list) -> list[int | None]:
    """For each layer of `reference` (op, MACs, count), the count of the layer of `layers`
    with the same op and MACs, the n-th such layer for the n-th (schedules may differ)."""
    pending: dict[tuple[str, int], list[int]] = {}
    for op, macs, count in layers:
        pending.setdefault((op, macs), []).append(count)
    return [pending[(op, macs)].pop(0) if pending.get((op, macs)) else None for op, macs, _ in reference]


def layer_table(row: dict, before: dict[str, dict]) -> str:
    """Instructions per layer of int16x8 (in its schedule), the same layer of int8 and of
    int16x8 before the DSP conv/depthwise paths (matched by op and MACs)."""
    layers = row["int16"]["layers"]
    int8 = _matched(row["int8"]["layers"], layers)
    old = _matched(before.get(row["model"], {}).get("int16", {}).get("layers", []), layers)
    lines = [f"### {row['model']}: instructions per layer", "",
             "| # | op | MACs | int8 | int16x8 before | int16x8 | × before | × int8 | MACs/instr int16x8 |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for i, ((op, macs, b), a, prev) in enumerate(zip(layers, int8, old)):
        lines.append(f"| {i} | {op} | {macs:,} | {f'{a:,}' if a else '-'} | {f'{prev:,}' if prev else '-'} | {b:,} | "
                     f"{f'{prev / b:.2f}' if prev and b else '-'} | {f'{b / a:.2f}' if a else '-'} | "
                     f"{macs / b:.2f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--samples", type=int, default=2, help="inputs checked bit-exact on the device")
    parser.add_argument("--holdout", type=int, default=200, help="held-out inputs of the accuracy columns")
    parser.add_argument("--only", nargs="*", help="model names (default: all four)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "int16.md")
    parser.add_argument("--json", type=Path, help="also write the raw numbers as JSON")
    parser.add_argument("--render", type=Path, help="only rewrite --out from this JSON of an earlier run")
    args = parser.parse_args()
    if args.render:
        args.out.write_text(render(json.loads(args.render.read_text())))
        return 0
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
            for kind in ("int8", "int16"):
                row[kind] = measure(pair[kind], work, args.runs, args.samples)
            if args.holdout:
                row["accuracy"] = accuracy(pair, shape, args.holdout, classifier=name != "ad_autoencoder")
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = render(rows)
    args.out.write_text(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    print(text)
    return 0


def render(rows: list[dict]) -> str:
    """The results file's text for measured `rows` (the JSON this script writes)."""
    before_path = REPO / "benchmarks" / "results" / "int16_before.json"
    before = {r["model"]: r for r in json.loads(before_path.read_text())} if before_path.exists() else {}
    return (f"# int16x8 beside int8 on qemu-cortex-m4 (MLPerf Tiny architectures, random weights)\n\n"
            f"{table(rows, before)}\n\nHow: {__doc__.split(chr(10) + chr(10))[1]}\n\n"
            f"## Accuracy against the float model\n\n{accuracy_table(rows)}\n\n"
            f"## Per layer beside CMSIS-NN's int16 kernels (qemu-cortex-m4)\n\n{cmsis_table(rows)}\n\n"
            f"How: {CMSIS_HOW}\n\n"
            + "\n\n".join(layer_table(r, before) for r in rows) + "\n")


if __name__ == "__main__":
    sys.exit(main())
