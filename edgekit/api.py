"""edgekit's Python API: what the CLI commands call. Heavy imports stay inside functions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

    from edgekit.quantize.pipeline import QuantizeResult


def quantize(model: str | Path, calib: str | Path | np.ndarray | None, output: str | Path, *,
             mode: str = "int8", io: str = "int8", per_tensor: bool = False,
             report: str | Path | bool | None = None,
             eval_data: str | Path | tuple[np.ndarray, np.ndarray] | None = None,
             image_mapping: Any = None, max_calib_samples: int | None = 500) -> QuantizeResult:
    """Quantize a float model (.keras, .h5, SavedModel folder, float .tflite) to `output`.

    mode "int8" (default) is full integer with `io` ("int8"/"uint8") input and output and
    needs `calib` (.npz/.npy file, image folder, "random", or an array of samples); the
    result is checked to hold only integer tensors (ModelError naming the float op
    otherwise). "float16"/"dynamic" are for completeness: not for microcontrollers.
    `report`: True or a .csv/.json path → per-layer SQNR/RMSE report (result.layers).
    `eval_data`: .npz with x, y (or a tuple) → float vs int8 accuracy/RMSE with TFLite's
    reference kernels (result.evaluation). At most `max_calib_samples` samples calibrate.
    """
    from edgekit.quantize.pipeline import quantize as run

    return run(model, calib, output, mode=mode, io=io, per_tensor=per_tensor, report=report,
               eval_data=eval_data, image_mapping=image_mapping,
               max_calib_samples=max_calib_samples)


def build(model: str | Path, board: str, out_dir: str | Path | None = None, calib: str | None = None,
          rounding: str = "tflite", planner: str = "best", compile_elf: bool = True) -> Any:
    """Generate the PlatformIO project for `board` in out_dir (default build/<model>-<board>/)
    and report.json; returns edgekit.build.BuildResult (report dict, fits)."""
    from edgekit.build import build as run

    return run(model, board, out_dir, calib=calib, rounding=rounding, planner=planner, compile_elf=compile_elf)


def verify(model: str | Path, board: str = "host", samples: int = 10, inputs: str | Path | None = None,
           rounding: str = "tflite", debug: bool = False, sanitize: bool = False,
           work_dir: str | Path | None = None, seed: int = 0) -> Any:
    """Run the generated C for `model` on the host and compare every output byte with
    TFLite's reference kernels (or TFLite Micro with rounding="tflm").
    Returns edgekit.verify.VerifyResult (samples, bit_exact, max_abs_diff)."""
    from edgekit.verify import verify_model

    return verify_model(model, board=board, samples=samples, inputs=inputs, rounding=rounding, debug=debug,
                        sanitize=sanitize, work_dir=work_dir, seed=seed)
