"""`edgekit build`: a model and a board → a PlatformIO project, sizes and report.json."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.boards import Board, load_board, with_framework
from edgekit.codegen.main_c import render_main_c
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
    """Flash/RAM from the cross-compiled ELF when edgekit can build it here, else an estimate."""
    from edgekit.targets import target_for

    target = target_for(board)
    if target.can_build():
        elf = target.build_elf(project)
        size = target.elf_size(elf)
        flash = size["text"] + size["rodata"] + size["data"]
        return dict(size_source="elf", elf=str(elf), flash_bytes=flash, ram_bytes=size["data"] + size["bss"],
                    code_bytes=flash - compiled.generated.weights_bytes, sections=size)
    return estimate_sizes(board, compiled)


# Code of edgekit's kernels, protocol runtime and libc parts, and their RAM beside the
# arena: what the Cortex-M ELFs measure (about 18-22 KB of .text, a few KB of .bss).
RUNTIME_CODE_BYTES = 24 * 1024
RUNTIME_RAM_BYTES = 4096


def estimate_sizes(board: Board, compiled: CompiledModel) -> dict[str, Any]:
    """Flash/RAM where no ELF can be linked here (Arduino frameworks): weights + arena +
    edgekit's runtime + the framework's own baseline from the board's TOML, as an estimate
    whose `size_note` says where the baseline comes from."""
    pio = board.platformio
    base_flash = (pio.baseline_flash_bytes or 0) if pio is not None else 0
    base_ram = (pio.baseline_ram_bytes or 0) if pio is not None else 0
    note = (pio.baseline_source if pio is not None and pio.baseline_source else
            "no framework baseline known for this board: edgekit's own code and RAM only")
    code = RUNTIME_CODE_BYTES + base_flash
    return dict(size_source="estimate", elf=None, flash_bytes=compiled.generated.weights_bytes + code,
                ram_bytes=compiled.generated.arena_bytes + RUNTIME_RAM_BYTES + base_ram,
                code_bytes=code, sections=None, size_note=f"estimate: {note}")


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
          framework: str | None = None) -> BuildResult:
    """`framework="arduino"`: the board's Arduino project instead of edgekit's own BSP."""
    model = Path(model)
    board = with_framework(load_board(board_name), framework)
    out = Path(out_dir) if out_dir is not None else default_out_dir(model, board.name)
    model_path, model_bytes = int8_model_bytes(model, out, calib)
    compiled = compile_model(model_path, model_bytes, board, rounding=rounding, planner=planner)

    sources = dict(compiled.generated.sources)
    build_id = compiled.model_hash[:12]
    sources["main.c"] = render_main_c(board=board.name, num_ops=len(compiled.generated.ops), build_id=build_id)
    from edgekit.codegen.project import write_project

    out.mkdir(parents=True, exist_ok=True)
    if power_sensor is not None and (board.emulated or board.is_host):
        raise BoardError(f"{board.name} has no I2C bus for a power sensor; --power-sensor is for real boards")
    project = write_project(out, board, sources, _power_defines(power_sensor, sensor_i2c_addr, shunt_mohm))
    if model_path.resolve() != (out / "model.tflite").resolve():
        shutil.copyfile(model_path, out / "model.tflite")  # the int8 model the firmware was built from

    _write_plan(out, compiled)
    sizes: dict[str, Any] = _sizes(project, board, compiled) if compile_elf else dict(
        size_source="not compiled", elf=None, flash_bytes=0, ram_bytes=0, code_bytes=0, sections=None)
    plan = compiled.plan
    flash_over = sizes["flash_bytes"] - board.flash_bytes
    ram_over = (sizes["ram_bytes"] - board.ram_bytes) if sizes["size_source"] == "elf" else \
        (compiled.generated.arena_bytes - board.usable_ram_bytes)
    report: dict[str, Any] = dict(
        model=str(model), model_int8=str(out / "model.tflite"), model_sha256=compiled.model_hash,
        build_id=build_id, board=board.name, target=board.target, rounding=rounding, kernel_variant=board.kernel_variant,
        arena_bytes=compiled.generated.arena_bytes, weights_bytes=compiled.generated.weights_bytes,
        flash_bytes=sizes["flash_bytes"], ram_bytes=sizes["ram_bytes"], code_bytes=sizes["code_bytes"],
        size_source=sizes["size_source"], size_note=sizes.get("size_note"), elf=sizes["elf"],
        sections=sizes["sections"],
        board_flash_bytes=board.flash_bytes, board_ram_bytes=board.ram_bytes,
        board_usable_ram_bytes=board.usable_ram_bytes,
        macs=sum(op["macs"] for op in compiled.generated.ops), ops=compiled.generated.ops,
        planner=getattr(plan, "planner", None), lower_bound_bytes=getattr(plan, "lower_bound", None),
        fits=flash_over <= 0 and ram_over <= 0, flash_over_bytes=max(flash_over, 0), ram_over_bytes=max(ram_over, 0),
        project=str(project),
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


