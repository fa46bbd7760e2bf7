"""`edgekit optimize`: pruning, clustering, QAT and their combination, side by side.

The TFMOT work runs in a child process (edgekit.quantize.tfmot_worker) because TFMOT
needs tf_keras and switches the whole process to it. This side checks the inputs,
starts the worker with a timeout, and measures what each variant buys: .tflite bytes,
gzip bytes (what pruning and clustering really shrink) and, with a board, edgekit's
flash and arena bytes from `edgekit build`.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from edgekit.errors import DataError, EdgekitError, ModelError, ToolError, UsageError

WORKER = "edgekit.quantize.tfmot_worker"
ERROR_PREFIX = "EDGEKIT-ERROR: "  # same as tfmot_worker.ERROR_PREFIX (not imported: it sets env vars)
KERAS3_HELP = ("TFMOT 0.8.1 only optimizes tf_keras (Keras 2) models: build and train the model with "
               "`import tf_keras as keras` (or TF_USE_LEGACY_KERAS=1) and save it as .h5; the Keras 3 "
               "model itself can still be quantized with `edgekit quantize`")


@dataclass
class Variant:
    name: str  # float, ptq, qat, pruned, clustered, combined
    tflite: str
    int8: bool
    metric: str  # accuracy | rmse
    value: float
    bytes: int
    gzip_bytes: int = 0
    note: str = ""
    flash_bytes: int | None = None  # edgekit build for --board (None: not built)
    arena_bytes: int | None = None


@dataclass
class OptimizeResult:
    out_dir: Path
    variants: list[Variant]
    board: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"out_dir": str(self.out_dir), "board": self.board, "notes": self.notes,
                "variants": [asdict(v) for v in self.variants]}


def keras_version(path: Path) -> str | None:
    """The keras_version a .keras archive was written by (Keras 3 writes metadata.json)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("metadata.json")).get("keras_version")
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None


def check_model(path: Path) -> None:
    if not path.exists():
        raise ModelError(f"model {path} does not exist")
    if path.suffix.lower() == ".tflite":
        raise ModelError(f"{path}: optimize needs the trainable model (.h5, tf_keras .keras or "
                         "SavedModel), not a .tflite")
    if path.suffix.lower() == ".keras" and (keras_version(path) or "").startswith("3"):
        raise ModelError(f"{path} is a Keras 3 model; {KERAS3_HELP}")
    import importlib.util

    # find_spec, not import: importing TFMOT would switch this process to tf_keras.
    missing = [name for name in ("tf_keras", "tensorflow_model_optimization")
               if importlib.util.find_spec(name) is None]
    if missing:
        raise ToolError(f"optimize needs tf-keras and tensorflow-model-optimization ({missing[0]} "
                           "missing); `make setup` installs them, or: pip install --no-deps "
                           "'tf-keras~=2.21.0' tensorflow-model-optimization==0.8.1 dm-tree mock attrs")


def run_worker(spec: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    spec_path = out_dir / "optimize_spec.json"
    spec_path.write_text(json.dumps(spec))
    env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="2")
    try:
        done = subprocess.run([sys.executable, "-m", WORKER, str(spec_path)], env=env,
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise ToolError(f"optimize did not finish within {timeout:.0f} s; use fewer --epochs or "
                           "less --data") from None
    for line in done.stderr.splitlines():
        if line.startswith(ERROR_PREFIX):
            raise ModelError(line[len(ERROR_PREFIX):])
    if done.returncode != 0:
        # Not a user error the worker recognised: a bug, keep the evidence.
        raise RuntimeError(f"optimize worker failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads((out_dir / "variants.json").read_text())


def _board_sizes(variant: Variant, board: str, out_dir: Path) -> None:
    from edgekit.build import build

    result = build(variant.tflite, board, out_dir=out_dir / f"build-{variant.name}-{board}")
    variant.flash_bytes = int(result.report["flash_bytes"])
    variant.arena_bytes = int(result.report["arena_bytes"])


def optimize(model: str | Path, data: str | Path, *, prune: float | None = None,
             cluster: int | None = None, qat: bool = False, epochs: int = 2,
             out_dir: str | Path | None = None, eval_data: str | Path | None = None,
             board: str | None = None, timeout: float = 1800.0, seed: int = 0) -> OptimizeResult:
    """Fine-tune `model` with each chosen technique and measure every variant (see module doc)."""
    model = Path(model)
    if prune is not None and not 0.0 < prune < 1.0:
        raise UsageError(f"--prune is the fraction of weights set to zero, 0 < s < 1 (got {prune})")
    if cluster is not None and cluster < 2:
        raise UsageError(f"--cluster is the number of distinct weight values, >= 2 (got {cluster})")
    if epochs < 1:
        raise UsageError("--epochs must be at least 1")
    if not Path(data).is_file():
        raise DataError(f"data file {data} does not exist")
    check_model(model)
    if board is not None:
        from edgekit.boards import load_board

        load_board(board)  # unknown board: fail before minutes of training
    out = Path(out_dir) if out_dir is not None else Path("build") / f"{model.stem}-optimize"
    spec = {"model": str(model.resolve()), "data": str(Path(data).resolve()), "out_dir": str(out.resolve()),
                "eval": str(Path(eval_data).resolve()) if eval_data else None, "prune": prune,
                "cluster": cluster, "qat": qat, "epochs": epochs, "seed": seed}
    rows = run_worker(spec, timeout)
    variants = [Variant(**row) for row in rows]
    for variant in variants:
        variant.gzip_bytes = len(gzip.compress(Path(variant.tflite).read_bytes(), compresslevel=9))
    notes = ["accuracy/RMSE: TFLite reference kernels on the held-out data",
             ("gzip bytes: gzip -9 of the .tflite (zeros and repeated values from pruning/clustering "
             "compress; the .tflite itself does not shrink)")]
    if board is not None:
        try:
            for variant in variants:
                if variant.int8:
                    _board_sizes(variant, board, out)
            notes.append(f"flash/arena bytes: edgekit build for {board} (int8 variants)")
        except ImportError as exc:  # edgekit build not complete in this installation
            notes.append(f"flash/arena bytes: edgekit build unavailable ({exc})")
        except EdgekitError as exc:
            notes.append(f"flash/arena bytes: edgekit build failed: {exc.message}")
    return OptimizeResult(out_dir=out, variants=variants, board=board, notes=notes)
