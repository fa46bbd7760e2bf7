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
             image_mapping: Any = None, max_calib_samples: int | None = 500,
             activations: str = "int8", quantizer: str = "auto") -> QuantizeResult:
    """Quantize a float model (.keras, .h5, SavedModel folder, float .tflite) to `output`.

    mode "int8" (default) is full integer with `io` ("int8"/"uint8") input and output and
    needs `calib` (.npz/.npy file, image folder, "random", or an array of samples); the
    result is checked to hold only integer tensors (ModelError naming the float op
    otherwise). "float16"/"dynamic" are for completeness: not for microcontrollers.
    `report`: True or a .csv/.json path → per-layer SQNR/RMSE report (result.layers).
    `eval_data`: .npz with x, y (or a tuple) → float vs int8 accuracy/RMSE with TFLite's
    reference kernels (result.evaluation). At most `max_calib_samples` samples calibrate.
    `activations="int16"`: int16x8 (int16 activations and I/O, int8 weights, int64 bias);
    the report then has each layer's int16 error beside its int8 one.
    `quantizer`: "tf" (TF's converter; ai-edge-quantizer for a float .tflite), "edgekit"
    (edgekit's own post-training quantizer, quantize/ptq.py), or "auto" (default): Google's,
    unless the model is known to defeat it (control flow, rolled Keras 3 GRU/SimpleRNN) or it
    fails, then edgekit's.
    """
    from edgekit.quantize.pipeline import quantize as run

    return run(model, calib, output, mode=mode, io=io, per_tensor=per_tensor, report=report,
               eval_data=eval_data, image_mapping=image_mapping,
               max_calib_samples=max_calib_samples, activations=activations, quantizer=quantizer)


def optimize(model: str | Path, data: str | Path, *, prune: float | None = None,
             cluster: int | None = None, qat: bool = False, epochs: int = 2,
             out_dir: str | Path | None = None, eval_data: str | Path | None = None,
             board: str | None = None) -> Any:
    """TFMOT pruning / clustering / QAT (and their combination) of a tf_keras model, run in a
    child process; returns edgekit.optimize.OptimizeResult whose variants (float, ptq,
    qat, pruned, clustered, combined) carry accuracy or RMSE (reference kernels), .tflite and
    gzip bytes, and edgekit flash/arena bytes when `board` is given."""
    from edgekit.optimize import optimize as run

    return run(model, data, prune=prune, cluster=cluster, qat=qat, epochs=epochs, out_dir=out_dir,
               eval_data=eval_data, board=board)


def build(model: str | Path, board: str, out_dir: str | Path | None = None, calib: str | None = None,
          rounding: str = "tflite", planner: str = "best", compile_elf: bool = True,
          power_sensor: str | None = None, framework: str | None = None, activations: str = "int8",
          int8_only: bool = False) -> Any:
    """Generate the PlatformIO project for `board` in out_dir (default build/<model>-<board>/)
    and report.json; returns edgekit.build.BuildResult (report dict, fits). `framework=
    "arduino"`: the board's Arduino project instead of edgekit's bare-metal firmware.
    `int8_only`: refuse ops that would run on the float32 fallback."""
    from edgekit.build import build as run

    return run(model, board, out_dir, calib=calib, rounding=rounding, planner=planner, compile_elf=compile_elf,
               power_sensor=power_sensor, framework=framework, activations=activations,
               int8_only=int8_only)


def export(models: list[str | Path], board: str, out_dir: str | Path, *, format: str = "c",
           names: list[str] | None = None, concurrent: list[list[str]] | None = None,
           arena_sections: list[str] | None = None, weights_section: str | None = None,
           weights_to_ram: bool = False, rounding: str = "tflite", planner: str = "best",
           calib: str | None = None) -> Any:
    """The models as a C library for the user's firmware (docs/export.md): an ExportResult."""
    from edgekit.export import ExportRequest, export_models

    return export_models(ExportRequest(
        models=[Path(m) for m in models], board=board, out_dir=Path(out_dir), format=format,
        names=list(names or []), concurrent=[list(g) for g in concurrent or []],
        arena_sections=list(arena_sections or []), weights_section=weights_section,
        weights_to_ram=weights_to_ram, rounding=rounding, planner=planner, calib=calib))


def verify(model: str | Path, board: str = "host", samples: int = 10, inputs: str | Path | None = None,
           rounding: str = "tflite", debug: bool = False, sanitize: bool = False,
           work_dir: str | Path | None = None, seed: int = 0, calib: str | None = None) -> Any:
    """Run the generated C for `model` on the host and compare every output byte with
    TFLite's reference kernels (or TFLite Micro with rounding="tflm"). A float model is
    quantized first with the calibration data `calib`, as build does.
    Returns edgekit.verify.VerifyResult (samples, bit_exact, max_abs_diff)."""
    from edgekit.verify import verify_model

    return verify_model(model, board=board, samples=samples, inputs=inputs, rounding=rounding, debug=debug,
                        sanitize=sanitize, work_dir=work_dir, seed=seed, calib=calib)


# --- device loop: flash / profile / validate (edgekit/device, edgekit/profile) ---------


def flash(build_dir: str | Path | None = None, *, board: str | None = None,
          port: str | None = None, emulate: bool = False) -> Any:
    """Flash the build in build_dir: QEMU in the background for emulated boards (its serial
    URL recorded in the build dir), `pio run -t upload` for real ones; `emulate`: the real
    board's image in QEMU's model of its chip.
    Returns edgekit.device.flash.FlashResult."""
    from edgekit.device.flash import flash_build

    return flash_build(build_dir, board=board, port=port, emulate=emulate)


def flash_stop(build_dir: str | Path | None = None) -> bool:
    """Stop the QEMU that flash() left running for build_dir; True if one was running."""
    from edgekit.device.flash import stop

    return stop(build_dir)


def profile(build_dir: str | Path | None = None, *, port: str | None = None, runs: int = 10,
            board: str | None = None, seed: int = 0, ppk2: str | None = None,
            ppk2_mv: int = 3300, on_run: Any = None, **link_options: Any) -> Any:
    """Time every layer of the build's model on its device over `runs` inferences.
    Returns edgekit.profile.summary.ProfileResult (.to_json(): layers, total_counts,
    total_us, energy_uj, emulated, ...)."""
    from edgekit.profile.run import profile_build

    return profile_build(build_dir, port=port, runs=runs, board=board, seed=seed, ppk2=ppk2,
                         ppk2_mv=ppk2_mv, on_run=on_run, **link_options)


def validate(build_dir: str | Path | None = None, *, data: str | Path | None = None,
             samples: int = 10, port: str | None = None, board: str | None = None,
             seed: int = 0, float_model: str | Path | None = None, on_sample: Any = None,
             **link_options: Any) -> Any:
    """Device outputs against TFLite's reference kernels on the same inputs.
    Returns edgekit.validate.ValidateResult (samples, bit_exact, max_abs_diff, ok)."""
    from edgekit.validate import validate_build

    return validate_build(build_dir, data=data, samples=samples, port=port, board=board,
                          seed=seed, float_model=float_model, on_sample=on_sample,
                          **link_options)
