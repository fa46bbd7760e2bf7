"""`edgekit build`: projects for every emulated board compile; real-board projects are valid."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit.boards import list_boards
from edgekit.build import build

CORPUS = Path(__file__).resolve().parent / "corpus"
EMULATED = [b.name for b in list_boards() if b.emulated]


def _edgekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("board", EMULATED + ["host"])
def test_build_compiles_for_every_emulated_board(board, mlperf_models, tmp_path):
    result = build(mlperf_models["kws"], board, tmp_path / board)
    report = result.report
    assert report["size_source"] == "elf" and Path(report["elf"]).is_file()
    assert report["fits"]
    # The arena is one static array: the RAM of the image holds at least the arena.
    assert report["ram_bytes"] >= report["arena_bytes"] > 0
    assert report["flash_bytes"] >= report["weights_bytes"] > 0
    assert json.loads((tmp_path / board / "report.json").read_text())["arena_bytes"] == report["arena_bytes"]


def test_build_json_contract(mlperf_models, tmp_path):
    result = _edgekit("build", str(mlperf_models["ic"]), "--board", "qemu-cortex-m4", "-o", str(tmp_path), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for key in ("arena_bytes", "weights_bytes", "flash_bytes", "ram_bytes", "macs", "ops", "fits"):
        assert key in report
    assert report["macs"] == 12_501_632 and len(report["ops"]) == 14  # 16 ops, one residual block fused
    assert all({"index", "type", "macs"} <= set(op) for op in report["ops"])


def test_build_table(mlperf_models, tmp_path):
    result = _edgekit("build", str(mlperf_models["ad"]), "--board", "qemu-cortex-m7", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "arena" in result.stdout and "flash total" in result.stdout


@pytest.mark.parametrize("board", ["esp32", "nucleo_l4r5zi", "nrf52840dk", "rpi_pico", "teensy41"])
def test_real_board_project_is_a_platformio_project(board, mlperf_models, tmp_path):
    """Compiling these needs the vendor platform, which PlatformIO cannot download offline;
    the generated ini and sources are checked here, the Arm C through the cross compiler
    in test_generated_c_cross_compiles. The bare-metal boards' Arduino project is the
    --framework arduino one."""
    result = build(mlperf_models["kws"], board, tmp_path, framework="arduino")
    assert result.report["target"] == "platformio-arduino"
    ini = configparser.ConfigParser()
    ini.read(tmp_path / "platformio.ini")
    env = ini[f"env:{board}"]
    from edgekit.boards import load_board

    spec = load_board(board).platformio
    assert env["platform"].split("@")[0] == spec.platform and env["board"] == spec.board
    assert env["framework"] == spec.framework
    sources = {p.name for p in (tmp_path / "src").rglob("*") if p.is_file()}
    assert {"model.c", "model_data.c", "model.h", "main.c"} <= sources
    assert result.report["size_source"] == "estimate"


def _big_fc_model(path: Path, units: int, depth: int) -> Path:
    """One FULLY_CONNECTED with units x depth int8 weights (too big for small boards)."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
    from support.tflite_builder import TensorSpec, single_op_model

    rng = np.random.default_rng(0)
    weights = rng.integers(-127, 128, size=(units, depth), dtype=np.int8)
    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec([1, depth], scale=0.05, zero_point=3),
         TensorSpec([units, depth], scale=0.01, data=weights),
         TensorSpec([units], dtype="int32", scale=0.0005, data=np.zeros(units, np.int32))],
        [TensorSpec([1, units], scale=0.2, zero_point=-5)])
    path.write_bytes(model)
    return path


def test_does_not_fit_names_bytes_exit_1(tmp_path):
    model = _big_fc_model(tmp_path / "big.tflite", units=1024, depth=1536)  # 1.5 MB of weights
    result = _edgekit("build", str(model), "--board", "esp32", "-o", str(tmp_path / "out"))
    assert result.returncode == 1, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert not report["fits"] and report["flash_over_bytes"] > 0
    assert "does not fit on esp32" in line and f"{report['flash_over_bytes']:,} bytes too much flash" in line


def test_generated_c_cross_compiles_with_werror(mlperf_models, tmp_path):
    """model.c/model_data.c are compiled by the build with -Wall -Wextra -Werror (see ek_build.json)."""
    result = build(mlperf_models["ic"], "qemu-cortex-m55", tmp_path)
    description = json.loads((tmp_path / "ek_build.json").read_text())
    flags = " ".join(json.dumps(description))
    assert "-Werror" in json.dumps(description) and result.report["size_source"] == "elf", flags


def test_build_saves_plan(mlperf_models, tmp_path):
    result = build(mlperf_models["kws"], "qemu-cortex-m4", tmp_path)
    plan = json.loads((tmp_path / "plan.json").read_text())
    assert plan["arena_bytes"] == result.report["arena_bytes"]
    assert plan["op_order"] == [op["source_index"] for op in result.report["ops"]]
    assert (tmp_path / "memory_plan.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "memory_plan.txt").read_text().strip()


def test_power_sensor_defines_reach_a_real_board_project(mlperf_models, tmp_path):
    build(mlperf_models["ad"], "nucleo_l4r5zi", tmp_path, power_sensor="ina226", framework="arduino")
    ini = (tmp_path / "platformio.ini").read_text()
    assert "EK_POWER_SENSOR=2" in ini and "EK_POWER_I2C_ADDR=0x40" in ini


def test_power_sensor_on_the_bare_metal_stm32_bsp_is_a_clear_error(mlperf_models, tmp_path):
    result = _edgekit("build", str(mlperf_models["ad"]), "--board", "nucleo_l4r5zi", "-o",
                      str(tmp_path), "--power-sensor", "ina226")
    assert result.returncode == 2 and "no I2C driver" in result.stderr


def test_power_sensor_on_emulated_board_is_a_clear_error(mlperf_models, tmp_path):
    result = _edgekit("build", str(mlperf_models["ad"]), "--board", "qemu-cortex-m4", "-o", str(tmp_path),
                      "--power-sensor", "ina219")
    assert result.returncode == 2 and "no I2C bus" in result.stderr
