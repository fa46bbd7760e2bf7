"""`edgekit build`: a model and a board → a PlatformIO project, sizes and report.json."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from edgekit.boards import Board, load_board
from edgekit.codegen.main_c import render_main_c
from edgekit.errors import BoardError, CheckFailed, EdgekitError, InternalError, ModelError
from edgekit.ir.ops import op_macs
from edgekit.load import load_tflite_bytes
from edgekit.pipeline import CompiledModel, check_integer_model, compile_model, float_compute_ops, integer_rewrites
from edgekit.targets.base import Target
from edgekit.targets.gcc import symbol_bytes
from edgekit.targets.regions import RegionOverflow

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


def int8_model_bytes(model: Path, out_dir: Path, calib: str | None,
                     activations: str = "int8") -> tuple[Path, bytes]:
    """The int8 .tflite to build: the model itself, or its quantized form (int16x8 with
    activations="int16")."""
    if not model.exists():
        raise ModelError(f"{model} does not exist")
    if model.is_dir() and not (model / "saved_model.pb").is_file():
        raise ModelError(f"{model} is a folder but not a SavedModel (no saved_model.pb in it)")
    needs_quantization = model.is_dir() or model.suffix.lower() in FLOAT_MODEL_SUFFIXES
    if not needs_quantization:
        data = model.read_bytes()
        try:
            check_integer_model(integer_rewrites(load_tflite_bytes(data, name=model.stem, source=str(model))),
                                str(model))
            return model, data
        except ModelError:
            if calib is None:
                raise
            needs_quantization = True
    if calib is None:
        raise ModelError(f"{model} is a float model: give calibration data with --calib DATA "
                         "(.npz/.npy, an image folder, or 'random') to quantize it to int8")
    from edgekit.quantize.pipeline import quantize

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{model.stem}_{'int16x8' if activations == 'int16' else 'int8'}.tflite"
    quantize(model, calib, target, activations=activations)
    return target, target.read_bytes()


FLOAT_KERNEL_PREFIX = "ek_f32_"  # every function of firmware/kernels/ek_float.c


def float_ops(compiled: CompiledModel) -> list[dict[str, Any]]:
    """The ops that run on the float32 fallback: their schedule index, type, float32
    output elements and MACs (what `build` reports as their cost)."""
    graph = compiled.graph
    return [dict(index=op.index, type=op.type, elements=sum(graph.tensors[t].num_elements for t in op.outputs),
                 macs=op_macs(graph, op)) for op in float_compute_ops(graph)]


def _sizes(project: Path, target: Target, compiled: CompiledModel) -> dict[str, Any]:
    """Flash/RAM from the cross-compiled ELF when edgekit can build it here, else an estimate.

    Bare-metal targets also give the bytes per memory region; a link that does not fit
    (RegionOverflow) is measured all the same, and the report says where it overflows."""
    if target.can_build():
        try:
            elf = target.build_elf(project)
            regions = target.region_sizes(elf)
        except RegionOverflow as overflow:
            elf, regions = overflow.elf, overflow.uses
        size = target.elf_size(elf)
        flash = size["text"] + size["rodata"] + size["data"]
        return dict(size_source="elf", elf=str(elf), flash_bytes=flash, ram_bytes=size["data"] + size["bss"],
                    code_bytes=flash - compiled.generated.weights_bytes, sections=size,
                    float_code_bytes=symbol_bytes(elf, FLOAT_KERNEL_PREFIX),
                    regions=None if regions is None else [use.to_json() for use in regions])
    return estimate_sizes(target.board, compiled)


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
                ram_bytes=compiled.generated.arena_bytes + compiled.generated.state_bytes + RUNTIME_RAM_BYTES
                + base_ram,
                code_bytes=code, sections=None, regions=None, size_note=f"estimate: {note}")


def _region_fit(regions: list[dict[str, Any]], flash_region: str | None) -> tuple[int, int, list[str]]:
    """Bytes over in flash and in RAM, and "REGION by N bytes" for each full region."""
    flash_over = ram_over = 0
    full = []
    for region in regions:
        over = max(region["used"] - region["size"], 0)
        if over:
            stack = f", {region['stack']:,} of them stack" if region["stack"] else ""
            full.append(f"{region['name']} by {over:,} bytes ({region['used']:,} of "
                        f"{region['size']:,}{stack})")
        if region["name"] == flash_region:
            flash_over += over
        else:
            ram_over += over
    return flash_over, ram_over, full


def _arena_region(regions: list[dict[str, Any]] | None) -> str | None:
    for region in regions or ():
        if ".ek_arena" in region["sections"]:
            return str(region["name"])
    return None


POWER_SENSORS = {"ina219": 1, "ina226": 2}


@lru_cache(maxsize=1)
def _sources_digest() -> str:
    """Hash of every template and firmware source file edgekit builds from."""
    from edgekit.resources import data_dir

    digest = hashlib.sha256()
    for name in ("templates", "firmware"):
        root = data_dir(name)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_id(model_bytes: bytes, board: Board, rounding: str, planner: str,
             options: dict[str, str]) -> str:
    """16 hex digits naming everything that changes what the firmware does: the model,
    rounding, planner, board, build options, edgekit's version and its C sources and
    templates. The device reports it in HELLO; validate/profile insist it matches."""
    from edgekit import __version__

    board_facts = {k: v for k, v in board.to_dict().items() if k != "path"}
    facts = json.dumps({"model": hashlib.sha256(model_bytes).hexdigest(), "rounding": rounding,
                        "planner": planner, "board": board_facts, "options": options,
                        "edgekit": __version__, "sources": _sources_digest()},
                       sort_keys=True, default=str)
    return hashlib.sha256(facts.encode()).hexdigest()[:16]


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


def _require_energy_mode(board: Board, mlperf: str | None) -> None:
    """MLPerf Tiny's energy mode times with a GPIO edge: only BSPs that drive one offer it."""
    if mlperf is None:
        raise BoardError("--mlperf-energy goes with --mlperf kws01|vww01|ic01|ad01")
    if board.stm32 is None or not board.stm32.timestamp_pin:
        raise BoardError(f"{board.name} has no timestamp GPIO for MLPerf Tiny's energy mode: it is "
                         "there on nucleo_l4r5zi, disco_l475vg_iot01a, nucleo_f446re and disco_f746ng "
                         "(their D7)")


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
          baud: int | None = None, framework: str | None = None,
          mlperf: str | None = None, mlperf_energy: bool = False, activations: str = "int8",
          int8_only: bool = False) -> BuildResult:
    """`activations="int16"`: a float model given with `calib` is quantized to int16x8.
    `framework="arduino"`: the board's Arduino project instead of its own target
    (the STM32 boards build bare metal by default). `mlperf`: a firmware that serves MLPerf
    Tiny's DUT protocol for that benchmark instead of edgekit's own (docs/mlperf.md).
    `int8_only`: refuse a model with ops on the float32 fallback (naming the first)."""
    from edgekit.targets import target_for

    model = Path(model)
    board = load_board(board_name)
    if mlperf_energy:
        _require_energy_mode(board, mlperf)
    if mlperf is not None and baud is None and board.serial is not None and not (board.emulated or board.is_host):
        from edgekit.mlperf.benchmarks import benchmark

        bench = benchmark(mlperf)  # the rates MLCommons' runner opens the DUT at
        baud = bench.energy_baud if mlperf_energy else bench.baud
    board = with_baud(board, baud)
    if framework not in (None, "arduino"):
        raise BoardError(f"unknown framework {framework!r}: the only other framework is 'arduino'")
    target = target_for(board, "platformio-arduino" if framework == "arduino" else None)
    out = Path(out_dir) if out_dir is not None else default_out_dir(model, board.name)
    created = not out.exists()
    try:
        return _build(model, board, target, out, calib, rounding, planner, compile_elf, power_sensor,
                      sensor_i2c_addr, shunt_mohm, mlperf, mlperf_energy, activations,
                      int8_only)
    except EdgekitError as exc:
        # A user error leaves no half-made folder behind; an internal error keeps the
        # generated project for the bug report.
        if created and not isinstance(exc, InternalError) and out.is_dir():
            shutil.rmtree(out, ignore_errors=True)
        raise


def _tflite_weight_bytes(model_bytes: bytes) -> int:
    """The constant tensors' bytes in the .tflite: `edgekit inspect`'s "weights"."""
    graph = load_tflite_bytes(model_bytes)
    return sum(t.nbytes for t in graph.tensors if t.is_constant)


def with_baud(board: Board, baud: int | None) -> Board:
    """The board with its serial link at `baud` (real boards: the firmware opens its UART
    at that rate, and validate/profile talk at it)."""
    if baud is None:
        return board
    if board.serial is None or board.emulated or board.is_host:
        raise BoardError(f"{board.name} has no serial baud rate to set; --baud is for real boards")
    if not 1200 <= baud <= 12_000_000:
        raise BoardError(f"--baud {baud} is not a serial rate (1200 to 12000000)")
    from dataclasses import replace

    return replace(board, serial=replace(board.serial, baud=baud))


def _build(model: Path, board: Board, target: Target, out: Path, calib: str | None, rounding: str,
           planner: str, compile_elf: bool, power_sensor: str | None, sensor_i2c_addr: int,
           shunt_mohm: int, mlperf: str | None, mlperf_energy: bool, activations: str = "int8",
           int8_only: bool = False) -> BuildResult:
    if power_sensor is not None and not target.needs_hardware:
        raise BoardError(f"{board.name} has no I2C bus for a power sensor; --power-sensor is for real boards")
    power_defines = {**_power_defines(power_sensor, sensor_i2c_addr, shunt_mohm),
                     **({"EK_MLPERF_ENERGY": "1"} if mlperf_energy else {})}
    model_path, model_bytes = int8_model_bytes(model, out, calib, activations)
    compiled = compile_model(model_path, model_bytes, board, rounding=rounding, planner=planner,
                             int8_only=int8_only)

    sources = dict(compiled.generated.sources)
    mlperf_main = _mlperf_context(mlperf, compiled)
    firmware_id = build_id(model_bytes, board, rounding, planner,  # board: with its baud
                           {**power_defines, **({"EK_MLPERF": mlperf} if mlperf else {})})
    sources["main.c"] = render_main_c(board=board.name, num_ops=len(compiled.generated.ops), build_id=firmware_id,
                                      mlperf=mlperf_main)
    from edgekit.codegen.project import write_project

    out.mkdir(parents=True, exist_ok=True)
    project = write_project(out, board, sources, power_defines, target_kind=target.kind)
    if model_path.resolve() != (out / "model.tflite").resolve():
        shutil.copyfile(model_path, out / "model.tflite")  # the int8 model the firmware was built from

    _write_plan(out, compiled)
    sizes: dict[str, Any] = _sizes(project, target, compiled) if compile_elf else dict(
        size_source="not compiled", elf=None, flash_bytes=0, ram_bytes=0, code_bytes=0, sections=None,
        regions=None)
    plan = compiled.plan
    flash_over = sizes["flash_bytes"] - board.flash_bytes
    # With an ELF, its RAM (.data + .bss, the arena included) against the board's RAM;
    # without one, the arena against the RAM left after the firmware's own reserve.
    from_elf = sizes["size_source"] == "elf"
    ram_limit = board.ram_bytes if from_elf else board.usable_ram_bytes
    ram_used = sizes["ram_bytes"] if from_elf else compiled.generated.arena_bytes + compiled.generated.state_bytes
    ram_over = ram_used - ram_limit
    full_regions: list[str] = []
    if sizes["regions"] is not None:  # the linker's regions decide, the stack included
        flash_over, ram_over, full_regions = _region_fit(sizes["regions"], target.flash_region())
    floats = float_ops(compiled)
    report: dict[str, Any] = dict(
        model=str(model.resolve()), model_int8=str((out / "model.tflite").resolve()),
        model_sha256=compiled.model_hash,
        build_id=firmware_id, board=board.name, rounding=rounding, kernel_variant=board.kernel_variant,
        arena_bytes=compiled.generated.arena_bytes, weights_bytes=compiled.generated.weights_bytes,
        state_bytes=compiled.generated.state_bytes,
        model_weights_bytes=_tflite_weight_bytes(model_bytes),
        scratch_bytes=max((op.get("scratch_bytes", 0) for op in compiled.generated.ops), default=0),
        flash_bytes=sizes["flash_bytes"], ram_bytes=sizes["ram_bytes"], code_bytes=sizes["code_bytes"],
        size_source=sizes["size_source"], size_note=sizes.get("size_note"),
        elf=None if sizes["elf"] is None else str(Path(str(sizes["elf"])).resolve()),
        sections=sizes["sections"],
        regions=sizes["regions"], arena_region=_arena_region(sizes["regions"]),
        full_regions=full_regions, target=target.kind,
        board_flash_bytes=board.flash_bytes, board_ram_bytes=board.ram_bytes,
        board_usable_ram_bytes=board.usable_ram_bytes,
        baud=board.serial.baud if board.serial is not None else None,
        ram_checked="ram_bytes" if from_elf else "arena_bytes", ram_limit_bytes=ram_limit,
        macs=sum(op["macs"] for op in compiled.generated.ops), ops=compiled.generated.ops,
        planner=getattr(plan, "planner", None), lower_bound_bytes=getattr(plan, "lower_bound", None),
        fits=flash_over <= 0 and ram_over <= 0, flash_over_bytes=max(flash_over, 0), ram_over_bytes=max(ram_over, 0),
        project=str(Path(project).resolve()), mlperf=mlperf,
        float_ops=floats, float_elements=sum(f["elements"] for f in floats),
        float_macs=sum(f["macs"] for f in floats), float_code_bytes=sizes.get("float_code_bytes"),
    )
    (out / "report.json").write_text(json.dumps(report, indent=2))
    return BuildResult(out_dir=out, report=report, compiled=compiled)


def require_fit(result: BuildResult) -> None:
    report = result.report
    if report["fits"]:
        return
    parts = list(report.get("full_regions") or [])
    if parts:
        raise CheckFailed(f"the model does not fit on {report['board']}: {'; '.join(parts)} "
                          f"(report in {result.out_dir / 'report.json'})")
    if report["ram_over_bytes"]:
        parts.append(f"{report['ram_over_bytes']:,} bytes too much RAM ({ram_budget(report)})")
    if report["flash_over_bytes"]:
        parts.append(f"{report['flash_over_bytes']:,} bytes too much flash")
    raise CheckFailed(f"the model does not fit on {report['board']}: {' and '.join(parts)} "
                      f"(report in {result.out_dir / 'report.json'})")


def ram_budget(report: dict[str, Any]) -> str:
    """What the RAM check compared, in words (the same figures as the build table)."""
    total, usable = report["board_ram_bytes"], report["board_usable_ram_bytes"]
    if report.get("ram_checked") == "arena_bytes":
        return (f"arena {report['arena_bytes']:,} B against the usable {usable:,} B: the board's "
                f"{total:,} B RAM less {total - usable:,} B kept for the stack, serial buffers and runtime")
    return f"the ELF's .data + .bss {report['ram_bytes']:,} B against the board's {total:,} B RAM"
