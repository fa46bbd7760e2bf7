"""`edgekit flash / profile / validate` from the command line: the real loop on QEMU with
a real model, and every way it must fail (exit 2 or 1, one line, bounded time)."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pytest

from edgekit import api
from edgekit.cli import main
from edgekit.targets.qemu_process import read_background
from tests.conftest import MLPERF_MODELS

KWS = MLPERF_MODELS["kws"]
KWS_IN, KWS_OUT = 49 * 10, 12


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def real_board_build(tmp_path_factory) -> Path:
    """KWS built for a real board (nothing to run it on here)."""
    out = tmp_path_factory.mktemp("kws_f446")
    api.build(KWS, "nucleo_f446re", out)
    return out


@pytest.mark.qemu
@pytest.mark.parametrize("board,flash_first", [("qemu-cortex-m4", True), ("qemu-riscv32", False)])
def test_build_flash_validate_profile_on_qemu(tmp_path, capsys, board, flash_first) -> None:
    cc = {"qemu-cortex-m4": "arm-none-eabi-gcc", "qemu-riscv32": "riscv64-unknown-elf-gcc"}[board]
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} missing: run `make toolchain`")
    build_dir = tmp_path / "kws"
    report = api.build(KWS, board, build_dir).report
    try:
        if flash_first:  # QEMU stays up between commands
            code, out, _ = cli(capsys, "flash", str(build_dir), "--json")
            assert code == 0, out
            flashed = json.loads(out)
            assert flashed["model_sha256"] == report["model_sha256"]
            assert read_background(build_dir)["url"] == flashed["port"]
        # else: validate and profile each start QEMU for themselves
        code, out, err = cli(capsys, "validate", str(build_dir), "--samples", "3", "--json")
        assert code == 0, err
        result = json.loads(out)
        assert (result["samples"], result["bit_exact"], result["max_abs_diff"]) == (3, 3, 0)

        files = {k: tmp_path / f"p.{k}" for k in ("csv", "png", "html")}
        code, out, err = cli(capsys, "profile", str(build_dir), "--runs", "2", "--json",
                             "--csv", str(files["csv"]), "--plot", str(files["png"]),
                             "--html", str(files["html"]))
        assert code == 0, err
        prof = json.loads(out)
    finally:
        api.flash_stop(build_dir)
    assert not flash_first or read_background(build_dir) is None
    assert [(la["index"], la["type"], la["macs"]) for la in prof["layers"]] == [
        (op["index"], op["type"], op["macs"]) for op in report["ops"]]
    assert prof["emulated"] is True and prof["unit"] == "instructions"
    assert prof["energy_uj"] is None  # an emulated board has no power model
    layer_sum = sum(la["cycles"] for la in prof["layers"])
    assert 0 < layer_sum <= prof["total_cycles"]
    # The big layers run many instructions per MAC-independent overhead; MAC-heavy convs
    # must count more instructions than zero-MAC reshapes.
    convs = [la["cycles"] for la in prof["layers"] if la["type"] == "CONV_2D"]
    assert min(convs) > max(la["cycles"] for la in prof["layers"] if la["type"] == "RESHAPE")
    assert prof["total_us"] == pytest.approx(prof["total_cycles"] / 1000.0)  # 1 GHz virtual
    rows = list(csv.reader(files["csv"].open()))
    assert len(rows) == 1 + len(report["ops"])
    assert files["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = files["html"].read_text()
    # The latency bars always; the memory plan when re-planning matched the build's arena.
    shown = f"memory plan: arena {report['arena_bytes']:,} bytes" in page
    assert page.count("data:image/png;base64,") == (2 if shown else 1)
    assert shown or "memory plan not shown" in page


def test_validate_mismatch_exits_1(real_board_build, fake_device, capsys) -> None:
    # A device that claims to run KWS but computes something else.
    digest = json.loads((real_board_build / "report.json").read_text())["model_sha256"]
    dev = fake_device(model_hash=digest, in_bytes=KWS_IN, out_bytes=KWS_OUT, emulated=False)
    code, out, err = cli(capsys, "validate", str(real_board_build), "--samples", "2",
                         "--port", dev.url)
    assert code == 1
    assert "0/2 samples bit-exact" in out
    assert "differ from the reference" in err


def test_profile_energy_estimate_for_a_real_board(real_board_build, fake_device, capsys) -> None:
    digest = json.loads((real_board_build / "report.json").read_text())["model_sha256"]
    dev = fake_device(model_hash=digest, in_bytes=KWS_IN, out_bytes=KWS_OUT, emulated=False,
                      num_ops=13)
    code, out, err = cli(capsys, "profile", str(real_board_build), "--runs", "3", "--json",
                         "--port", dev.url)
    assert code == 0, err
    prof = json.loads(out)
    board = api_board("nucleo_f446re")
    assert prof["unit"] == "cycles" and prof["emulated"] is False
    # The fake's ticks: 100 + 10 k per op, 40 cycles per tick; total = sum + 7 ticks.
    assert prof["total_cycles"] == 40 * (sum(100 + 10 * k for k in range(13)) + 7)
    assert prof["total_us"] == pytest.approx(prof["total_cycles"] / board.cpu_mhz)
    assert prof["energy_uj"] == pytest.approx(board.power.active_mw * prof["total_us"] / 1000)
    assert prof["energy_source"].startswith("estimate")


def test_profile_energy_from_the_board_sensor(real_board_build, fake_device, capsys) -> None:
    digest = json.loads((real_board_build / "report.json").read_text())["model_sha256"]
    dev = fake_device(model_hash=digest, in_bytes=KWS_IN, out_bytes=KWS_OUT, emulated=False,
                      num_ops=13, power=(3_300_000, 25_000, 82_500))
    code, out, err = cli(capsys, "profile", str(real_board_build), "--runs", "2", "--json",
                         "--port", dev.url)
    assert code == 0, err
    prof = json.loads(out)
    assert prof["energy_mw"] == pytest.approx(82.5)
    assert prof["energy_uj"] == pytest.approx(82.5 * prof["total_us"] / 1000)
    assert prof["energy_source"].startswith("measured")


def api_board(name: str):
    from edgekit.boards import load_board

    return load_board(name)


def test_wrong_firmware_exits_2(real_board_build, fake_device, capsys) -> None:
    dev = fake_device(model_hash="00" * 32, in_bytes=KWS_IN, out_bytes=KWS_OUT)
    code, out, err = cli(capsys, "profile", str(real_board_build), "--port", dev.url)
    assert code == 2 and out == ""
    assert "firmware on the board is for another model" in err
    assert len(err.strip().splitlines()) == 1


def test_silent_device_exits_2_in_bounded_time(real_board_build, fake_device, capsys) -> None:
    digest = json.loads((real_board_build / "report.json").read_text())["model_sha256"]
    dev = fake_device(model_hash=digest, in_bytes=KWS_IN, out_bytes=KWS_OUT, faults={1: "dead"})
    t0 = time.monotonic()
    code, _, err = cli(capsys, "profile", str(real_board_build), "--port", dev.url)
    assert code == 2 and "stopped answering" in err
    assert time.monotonic() - t0 < 15
    assert len(err.strip().splitlines()) == 1


def test_nothing_on_the_port_exits_2(real_board_build, capsys) -> None:
    code, _, err = cli(capsys, "validate", str(real_board_build), "--port", "/dev/ttyEDGEKIT0")
    assert code == 2 and "cannot open serial port /dev/ttyEDGEKIT0" in err


def test_flash_real_board_without_board_exits_2(real_board_build, capsys) -> None:
    code, _, err = cli(capsys, "flash", str(real_board_build))
    assert code == 2
    assert "no nucleo_f446re found (USB id 0483:374B" in err and "serial ports seen" in err
    code, _, err = cli(capsys, "flash", str(real_board_build), "--port", "/dev/ttyEDGEKIT0")
    assert code == 2 and "/dev/ttyEDGEKIT0 does not exist" in err


def test_commands_without_a_build_exit_2(tmp_path, capsys) -> None:
    for command in ("flash", "profile", "validate"):
        code, _, err = cli(capsys, command, str(tmp_path))
        assert code == 2 and "has no report.json" in err, command


def test_compare_float_metrics_by_hand() -> None:
    import numpy as np

    from edgekit.device.validate import compare_float

    device = np.array([[1.0, 0.0], [0.0, 2.0]])
    floats = np.array([[1.0, 1.0], [0.0, 2.0]])
    m = compare_float(device, floats, np.array([0, 0]))
    assert m["rmse"] == pytest.approx(0.5)  # one error of 1 among 4 values
    assert m["mae"] == pytest.approx(0.25)
    assert m["cosine"] == pytest.approx((1 / np.sqrt(2) + 1) / 2)
    assert m["l2_relative"] == pytest.approx(1 / np.sqrt(6))
    assert (m["int8"], m["float_value"]) == (0.5, 0.5)  # sample 1 is class 1, label 0


@pytest.mark.slow
def test_validate_against_the_float_model_on_host(tmp_path, capsys) -> None:
    """A small Keras classifier → edgekit quantize → build for the host board → validate
    with --float: bit-exact with the int8 reference, and close to the float model."""
    import numpy as np
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) + 2 * (x[:, 1] > 0).astype(np.int64)
    model = tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Dense(16, activation="relu"),
                                 tf.keras.layers.Dense(4), tf.keras.layers.Softmax()])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=30, verbose=0)
    model.save(tmp_path / "f.keras")
    np.savez(tmp_path / "test.npz", x=x[:20], y=y[:20])
    api.quantize(tmp_path / "f.keras", x, tmp_path / "q.tflite")
    api.build(tmp_path / "q.tflite", "host", tmp_path / "b")
    code, out, err = cli(capsys, "validate", str(tmp_path / "b"), "--data",
                         str(tmp_path / "test.npz"), "--float", str(tmp_path / "f.keras"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["samples"], result["bit_exact"]) == (20, 20), result
    f = result["float"]
    assert f["metric"] == "accuracy" and f["cosine"] > 0.95 and f["l2_relative"] < 0.3, f
    assert abs(f["int8"] - f["float_value"]) <= 0.15, f
