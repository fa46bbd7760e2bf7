"""The depth-multiplier speech model (issue #20) on emulated boards, beside TFLite Micro + CMSIS-NN.

The model is built here with the TF converter: input 1x49x40x1 (a 49-frame, 40-bin
spectrogram), one DEPTHWISE_CONV_2D (10x8 filter, stride 2, depth multiplier 8, SAME,
ReLU), FULLY_CONNECTED to 4 classes, SOFTMAX; 336,000 MACs. Full-integer int8
quantization from 64 uniform-noise calibration samples in [-1, 1] (seed 0). For each board and
rounding mode: `edgekit build`, executed instructions of one inference in QEMU (median of
--runs after a warm-up, `edgekit profile`), arena bytes from the memory plan, flash of the
whole ELF, and the device's outputs checked bit-exact against TFLite's reference kernels
(--rounding tflite) or TFLite Micro (--rounding tflm) over serial. The TFLM + CMSIS-NN
figure is TARGETS.md's (qemu-cortex-m4, same method).

    python benchmarks/dw_multiplier.py [--boards qemu-cortex-m4 qemu-riscv32] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "kernels"))

from board_run import measure, write_results
from support.tflite_builder import converter_model

RESULTS = REPO / "benchmarks" / "results"
TFLM_M4 = (1_494_840, 6_836)  # TARGETS.md: TFLite Micro + CMSIS-NN instructions, arena on qemu-cortex-m4
GOAL = 0.6  # issue #20: <= 0.6x TFLM + CMSIS-NN instructions on qemu-cortex-m4


def build_model(path: Path) -> Path:
    """Convert the Keras model to a full-integer .tflite (once; reused when present)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(converter_model(keras_model, (49, 40, 1), samples=64, seed=0))
    return path


def keras_model(tf: Any) -> Any:
    keras = tf.keras
    return keras.Sequential([
        keras.Input((49, 40, 1), batch_size=1),
        keras.layers.DepthwiseConv2D((10, 8), strides=2, depth_multiplier=8, padding="same",
                                     activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(4),
        keras.layers.Softmax(),
    ])


def markdown(rows: list[dict]) -> str:
    lines = ["# Depth-multiplier speech model (DEPTHWISE_CONV_2D x8 + FC + SOFTMAX)", "",
             "| board | rounding | MACs | instructions | MAC/instr | × TFLM+CMSIS-NN (M4) | arena B | flash B "
             "| bit-exact | depthwise layer instr |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        dw = next((c for t, _, c in r["layers"] if t == "DEPTHWISE_CONV_2D"), 0)
        ratio = f"{r['instructions'] / TFLM_M4[0]:.2f}" if r["board"] == "qemu-cortex-m4" else "–"
        lines.append(f"| {r['board']} | {r['rounding']} | {r['macs']:,} | {r['instructions']:,} | "
                     f"{r['macs'] / r['instructions']:.2f} | {ratio} | {r['arena']:,} | {r['flash']:,} | "
                     f"{r['bit_exact']} | {dw:,} |")
    lines += ["", f"TFLite Micro + CMSIS-NN on qemu-cortex-m4 (TARGETS.md): {TFLM_M4[0]:,} instructions, "
              f"arena {TFLM_M4[1]:,} B; goal ≤ {GOAL}× = {int(TFLM_M4[0] * GOAL):,}.", "",
              "How: " + __doc__.split("\n\n")[1].replace("\n", " "), ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boards", nargs="+", default=["qemu-cortex-m4"])
    parser.add_argument("--roundings", nargs="+", default=["tflite", "tflm"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=3, help="inputs checked bit-exact on the device")
    parser.add_argument("--model", type=Path, help="keep the converted model here (built when missing)")
    parser.add_argument("--out", type=Path, default=RESULTS / "dw_multiplier.md")
    args = parser.parse_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    rows = []
    with tempfile.TemporaryDirectory(prefix="edgekit-dwm-") as tmp:
        model = build_model(args.model or Path(tmp) / "speech_dw_x8.tflite")
        for board in args.boards:
            for rounding in args.roundings:
                print(f"measuring {board} --rounding {rounding} ...", file=sys.stderr, flush=True)
                rows.append(measure(model, board, rounding, Path(tmp) / f"{board}-{rounding}", args.runs,
                                    args.samples))
    write_results(args.out, markdown(rows), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
