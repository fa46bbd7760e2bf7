"""The whole edgekit loop on an emulated board, as a user would type it.

    train a small CNN (float .keras) → edgekit build --calib (quantize to int8, plan,
    generate C, compile) → verify on the host → flash into QEMU → validate over serial →
    profile per layer → stop QEMU

Run by `make demo`. Every step is the real command line; the demo stops at the first
failure with that command's exit status.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "examples" / "out"
BOARD = os.environ.get("EDGEKIT_DEMO_BOARD", "qemu-cortex-m4")
BUILD = REPO / "build" / f"digits-{BOARD}"


def step(title: str, *command: str) -> None:
    shown = ["edgekit", *command[3:]] if list(command[:3]) == [sys.executable, "-m", "edgekit"] else \
        ["python", *command[1:]] if command[0] == sys.executable else list(command)
    print(f"\n== {title}\n$ {' '.join(shlex.quote(c) for c in shown)}", flush=True)
    result = subprocess.run(command, cwd=REPO)
    if result.returncode != 0:
        print(f"demo: step failed with exit status {result.returncode}", file=sys.stderr)
        sys.exit(result.returncode)


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    edgekit = [sys.executable, "-m", "edgekit"]
    if not (OUT / "digits_float.keras").exists():
        step("train the example model (scikit-learn digits, Keras 3)",
             sys.executable, "examples/train_example.py", str(OUT.relative_to(REPO)))
    model = str((OUT / "digits_float.keras").relative_to(REPO))
    calib = str((OUT / "digits_calib.npz").relative_to(REPO))
    test = str((OUT / "digits_test.npz").relative_to(REPO))
    build = str(BUILD.relative_to(REPO))
    step("build: quantize to int8, plan the arena, generate C, compile for the board",
         *edgekit, "build", model, "--calib", calib, "--board", BOARD, "-o", build)
    step("inspect the int8 model", *edgekit, "inspect", f"{build}/model.tflite")
    step("verify on the host against TFLite's reference kernels",
         *edgekit, "verify", f"{build}/model.tflite", "--data", test)
    step(f"flash: start the firmware in QEMU ({BOARD})", *edgekit, "flash", build)
    try:
        step("validate: test set over serial, device outputs vs TFLite reference",
             *edgekit, "validate", build, "--data", test)
        step("profile: per-layer latency on the device",
             *edgekit, "profile", build, "--runs", "5", "--png", f"{build}/profile.png")
    finally:
        step("stop QEMU", *edgekit, "flash", build, "--stop")
    print(f"\ndemo: done. Project, report.json and profile.png are in {build}/")


if __name__ == "__main__":
    main()
