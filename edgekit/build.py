"""`edgekit build`: a model and a board → a PlatformIO project, sizes and report.json."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.boards import Board, load_board
from edgekit.codegen.render import render
from edgekit.errors import BoardError, CheckFailed, ModelError
from edgekit.load import load_tflite_bytes
from edgekit.pipeline import CompiledModel, check_integer_model, compile_model

FLOAT_MODEL_SUFFIXES = {".keras", ".h5", ".hdf5"}


@dataclass
class BuildResult:
    out_dir: Path
    report: dict[str, Any]
    compiled: CompiledModel

    @property
    def fits(self) -> bool:
        return bool(self.report["fits"])


def default_out_dir(model: Path, board: str) -> Path:
    return Path("build") / f"{model.stem}-{board}"


def int8_model_bytes(model: Path, out_dir: Path, calib: str | None) -> tuple[Path, bytes]:
    """The int8 .tflite to build: the model itself, or its quantized form."""
    if not model.exists():
        raise ModelError(f"{model} does not exist")
    needs_quantization = model.is_dir() or model.suffix.lower() in FLOAT_MODEL_SUFFIXES
    if not needs_quantization:
        data = model.read_bytes()
        try:
            check_integer_model(load_tflite_bytes(data, name=model.stem, source=str(model)), str(model))
            return model, data
        except ModelError:
            if calib is None:
                raise
            needs_quantization = True
    if calib is None:
        raise ModelError(f"{model} is a float model: give calibration data with --calib DATA "
                         "(.npz/.npy, an image folder, or 'random') to quantize it to int8")
    from edgekit.api import quantize

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{model.stem}_int8.tflite"
    quantize(model, calib, target)
    return target, target.read_bytes()


def _sizes(project: Path, board: Board, compiled: CompiledModel) -> dict[str, Any]:
    """Flash/RAM from the cross-compiled ELF when the toolchain is here, else an estimate."""
    from edgekit.device.toolchain import compile_firmware, elf_size, toolchain_available

    if toolchain_available(board):
        elf = compile_firmware(project, board)
        size = elf_size(elf, board)
        flash = size["text"] + size["rodata"] + size["data"]
        return dict(size_source="elf", elf=str(elf), flash_bytes=flash, ram_bytes=size["data"] + size["bss"],
                    code_bytes=flash - compiled.generated.weights_bytes, sections=size)
    # Estimate: weights + the kernels and runtime's typical code size + arena + runtime RAM.
    code_estimate = 24 * 1024
    return dict(size_source="estimate", elf=None, flash_bytes=compiled.generated.weights_bytes + code_estimate,
                ram_bytes=compiled.generated.arena_bytes + 4096, code_bytes=code_estimate, sections=None)


POWER_SENSORS = {"ina219": 1, "ina226": 2}


def _power_defines(sensor: str | None, address: int, shunt_mohm: int) -> dict[str, str]:
    """Firmware defines for an INA219/INA226 on the board's I2C (POWER frames)."""
    if sensor is None:
        return {}
    if sensor not in POWER_SENSORS:
        raise ModelError(f"unknown power sensor {sensor!r}: use {' or '.join(POWER_SENSORS)}")
    if not 0x08 <= address <= 0x77 or shunt_mohm <= 0:
        raise ModelError(f"bad power sensor settings: I2C address {address:#x}, shunt {shunt_mohm} mΩ")
    return {"EK_POWER_SENSOR": str(POWER_SENSORS[sensor]), "EK_POWER_I2C_ADDR": f"{address:#x}",
            "EK_POWER_SHUNT_MOHM": str(shunt_mohm)}


def _mlperf_context(model_id: str | None, compiled: CompiledModel) -> dict[str, Any] | None:
    """main.c's settings for the MLPerf Tiny DUT protocol, or None for edgekit's own."""
    if model_id is None:
        return None
    from edgekit.mlperf.benchmarks import firmware_context

    graph = compiled.graph

    def tensors(indices: list[int]) -> list[dict[str, Any]]:
        return [dict(dtype=graph.tensors[t].dtype, elements=graph.tensors[t].num_elements) for t in indices]

    return firmware_context(model_id, tensors(graph.inputs), tensors(graph.outputs))


def _write_plan(out: Path, compiled: CompiledModel) -> None:
    """The memory plan beside the project: as data, as an ASCII chart and as a picture."""
    from edgekit.memory.report import ascii_chart, save_png

    plan = compiled.plan.plan
    (out / "plan.json").write_text(json.dumps(plan.to_dict(), indent=1))
    (out / "memory_plan.txt").write_text(ascii_chart(plan, compiled.graph) + "\n")
    save_png(plan, compiled.graph, out / "memory_plan.png")


def build(model: str | Path, board_name: str, out_dir: str | Path | None = None, calib: str | None = None,
          rounding: str = "tflite", planner: str = "best", compile_elf: bool = True,
          power_sensor: str | None = None, sensor_i2c_addr: int = 0x40, shunt_mohm: int = 100,
          mlperf: str | None = None) -> BuildResult:
    model = Path(model)
    board = load_board(board_name)
    out = Path(out_dir) if out_dir is not None else default_out_dir(model, board.name)
    model_path, model_bytes = int8_model_bytes(model, out, calib)
    compiled = compile_model(model_path, model_bytes, board, rounding=rounding, planner=planner)

    sources = dict(compiled.generated.sources)
    build_id = compiled.model_hash[:12]
    sources["main.c"] = render("firmware/main.c.j2", dict(board=board.name, num_ops=len(compiled.generated.ops),
                                                            build_id=build_id,
                                                            mlperf=_mlperf_context(mlperf, compiled)))
    from edgekit.codegen.project import write_project

    out.mkdir(parents=True, exist_ok=True)
    if power_sensor is not None and (board.emulated or board.is_host):
        raise BoardError(f"{board.name} has no I2C bus for a power sensor; --power-sensor is for real boards")
    project = write_project(out, board, sources, _power_defines(power_sensor, sensor_i2c_addr, shunt_mohm))
    if model_path.resolve() != (out / "model.tflite").resolve():
        shutil.copyfile(model_path, out / "model.tflite")  # the int8 model the firmware was built from

    _write_plan(out, compiled)
    sizes = _sizes(project, board, compiled) if compile_elf else dict(
        size_source="not compiled", elf=None, flash_bytes=0, ram_bytes=0, code_bytes=0, sections=None)
    plan = compiled.plan
    flash_over = sizes["flash_bytes"] - board.flash_bytes
    ram_over = (sizes["ram_bytes"] - board.ram_bytes) if sizes["size_source"] == "elf" else \
        (compiled.generated.arena_bytes - board.usable_ram_bytes)
    report: dict[str, Any] = dict(
        model=str(model), model_int8=str(out / "model.tflite"), model_sha256=compiled.model_hash,
        build_id=build_id, board=board.name, rounding=rounding, kernel_variant=board.kernel_variant,
        arena_bytes=compiled.generated.arena_bytes, weights_bytes=compiled.generated.weights_bytes,
        flash_bytes=sizes["flash_bytes"], ram_bytes=sizes["ram_bytes"], code_bytes=sizes["code_bytes"],
        size_source=sizes["size_source"], elf=sizes["elf"], sections=sizes["sections"],
        board_flash_bytes=board.flash_bytes, board_ram_bytes=board.ram_bytes,
        board_usable_ram_bytes=board.usable_ram_bytes,
        macs=sum(op["macs"] for op in compiled.generated.ops), ops=compiled.generated.ops,
        planner=getattr(plan, "planner", None), lower_bound_bytes=getattr(plan, "lower_bound", None),
        fits=flash_over <= 0 and ram_over <= 0, flash_over_bytes=max(flash_over, 0), ram_over_bytes=max(ram_over, 0),
        project=str(project), mlperf=mlperf,
    )
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return BuildResult(out_dir=out, report=report, compiled=compiled)


def require_fit(result: BuildResult) -> None:
    report = result.report
    if report["fits"]:
        return
    parts = []
    if report["ram_over_bytes"]:
        parts.append(f"{report['ram_over_bytes']:,} bytes too much RAM")
    if report["flash_over_bytes"]:
        parts.append(f"{report['flash_over_bytes']:,} bytes too much flash")
    raise CheckFailed(f"the model does not fit on {report['board']}: {' and '.join(parts)} "
                      f"(report in {result.out_dir / 'report.json'})")


