"""The MLPerf Tiny DUT firmware on qemu-cortex-m4: every command, its replies and bad input.

Each model's `--mlperf` build runs in QEMU behind a TCP serial port; the host side is
edgekit.mlperf.dut, and the replies are checked line by line against the protocol of
MLCommons' runner (benchmark/runner, benchmark/api).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from edgekit.build import build
from edgekit.device.session import device_url, read_build
from edgekit.errors import ModelError
from edgekit.mlperf.benchmarks import BENCHMARKS
from edgekit.mlperf.dut import CHUNK_DIRECT, CHUNK_INTERFACE, Dut
from tests.conftest import SHARED_MODELS
from tests.mlperf.support import MODELS, reference_scores

pytestmark = [pytest.mark.qemu, pytest.mark.xdist_group("mlperf")]


def model_path(model_id: str) -> Path:
    return SHARED_MODELS / f"{MODELS[model_id]}.tflite"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("mlperf_builds")
    return {model_id: build(model_path(model_id), "qemu-cortex-m4", out / model_id, mlperf=model_id).out_dir
            for model_id in BENCHMARKS}


def _window(model_id: str, seed: int) -> bytes:
    bench = BENCHMARKS[model_id]
    rng = np.random.default_rng(seed)
    if model_id == "ad01":
        return rng.uniform(-80.0, 15.0, size=bench.input_elements).astype("<f4").tobytes()
    return rng.integers(0, 256, size=bench.input_elements, dtype=np.uint8).tobytes()


def _read_raw(dut: Dut, seconds: float) -> bytes:
    """Whatever the DUT sends within `seconds` (it should send nothing unasked)."""
    end, got = time.monotonic() + seconds, b""
    while time.monotonic() < end:
        got += dut.port.read(max(1, dut.port.in_waiting))
    return got


@pytest.mark.parametrize("model_id", sorted(BENCHMARKS))
def test_boot_identity_and_bit_exact_inference(builds: dict[str, Path], model_id: str) -> None:
    build_info = read_build(builds[model_id])
    with device_url(build_info) as url, Dut.open(url) as dut:
        # The boot lines, in the runner's order, and nothing else before them.
        assert dut.read_reply() == ["m-timestamp-mode-performance", "m-init-done"]
        assert dut.command("name") == ["m-name-dut-[edgekit]"]
        assert dut.command("profile") == ["m-profile-[ULPMark for tinyML Firmware V0.0.1]",
                                          f"m-model-[{model_id}]"]
        assert dut.command("help")[0] == "ULPMark for tinyML Firmware V0.0.1"
        lap = dut.command("timestamp")
        assert len(lap) == 1 and lap[0].startswith("m-lap-us-")
        for seed, chunk in ((1, CHUNK_DIRECT), (2, CHUNK_INTERFACE)):
            window = _window(model_id, seed)
            dut.load(window, chunk=chunk)
            answer = dut.infer(2, 1)
            assert answer.lines[:3] == ("m-warmup-start-1", "m-warmup-done", "m-infer-start-2")
            assert answer.lines[5] == "m-infer-done" and answer.elapsed_us > 0
            assert list(answer.results) == reference_scores(model_path(model_id), model_id, window)
            # `results` repeats the last inference's answer.
            assert dut.command("results") == [answer.lines[-1]]


def test_bad_input_gets_the_runners_error_lines(builds: dict[str, Path]) -> None:
    with device_url(read_build(builds["kws01"])) as url, Dut.open(url) as dut:
        dut.read_reply()  # boot lines
        assert dut.command("results") == ["e-[No inference has run yet]"]
        assert dut.command("infer 1 0") == ["e-[Input db has 0 bytes, expected 490]"]
        assert dut.command("db 00") == ["e-[db load N must come before the data]"]
        assert dut.command("frobnicate 3") == ["e-[Unknown command: frobnicate]"]
        assert dut.command("db load 491") == ["e-[Supplied buffer size exceeds the maximum for kws01]"]
        assert dut.command("db load 0")[0].startswith("e-[")
        assert dut.command("infer 0")[0].startswith("e-[")
        assert dut.command("db load 40") == ["m-[Expecting 40 bytes]"]
        assert dut.command("db 0") == ["e-[Odd number of hex digits]"]
        assert dut.command("db 00zz") == ["e-[Invalid hex digit: z]"]
        # Garbage ended by a terminator is one unknown command; the next one is fine.
        assert dut.send_raw(b"\x01\xfe junk%")[0].startswith("e-[Unknown command: ")
        # 79 characters: "db " and 38 bytes of hex; the next 3 bytes and 2 past the
        # announced 40 finish the load, the surplus ignored as the reference does.
        line79 = "db " + bytes(range(38)).hex()
        assert len(line79) == 79 and dut.command(line79) == []
        assert dut.command("db " + bytes([38, 39, 0xAA, 0xBB]).hex()) == ["m-load-done"]
        assert dut.command("db 00") == ["e-[All announced bytes are already loaded]"]
        printed = "".join(line.removeprefix("m-buffer-") for line in dut.command("db print"))
        assert bytes.fromhex(printed.replace("-", "")) == bytes(range(40))
        # 81 characters are cut to 80, as the reference firmware's buffer does: 77 hex digits.
        assert dut.command("db load 39") == ["m-[Expecting 39 bytes]"]
        assert dut.send_raw(b"db " + b"ab" * 39 + b"%") == ["e-[Odd number of hex digits]"]


def test_a_second_connection_sees_no_banner_and_works(builds: dict[str, Path]) -> None:
    """The runner closes and reopens the port after identifying the DUT."""
    with device_url(read_build(builds["kws01"])) as url:
        with Dut.open(url) as first:
            first.read_reply()
            assert first.command("name") == ["m-name-dut-[edgekit]"]
        with Dut.open(url) as second:
            assert _read_raw(second, 0.5) == b""  # nothing unasked: no stray banner
            assert second.command("name") == ["m-name-dut-[edgekit]"]
            assert second.command("profile")[1] == "m-model-[kws01]"


def test_a_model_that_is_not_the_benchmarks_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="kws01 .* sends 490 input values; this model takes 3072"):
        build(model_path("ic01"), "qemu-cortex-m4", tmp_path / "b", mlperf="kws01", compile_elf=False)


def test_runner_adapter_bridges_the_dut_to_a_terminal(builds: dict[str, Path]) -> None:
    """The runner opens a path found by VID:PID; the adapter's terminal and port list give it one."""
    import serial

    from edgekit.mlperf.runner_adapter import PtyBridge, fake_port

    with device_url(read_build(builds["kws01"])) as url, PtyBridge(url) as bridge:
        info = fake_port(bridge.path, 0x0483, 0x374B)
        assert (info.device, info.vid, info.pid) == (bridge.path, 0x0483, 0x374B)
        for _ in range(2):  # the runner opens the port, closes it, and opens it again
            with serial.Serial(bridge.path, 115200, timeout=5) as port:
                port.write(b"name%")
                text = b""
                while b"m-name-dut-[edgekit]\r\nm-ready\r\n" not in text:
                    chunk = port.read(64)
                    assert chunk, f"no answer through {bridge.path}: {text!r}"
                    text += chunk


@pytest.mark.slow
def test_energy_mode_on_the_emulated_stm32l475(tmp_path: Path) -> None:
    """--mlperf-energy: the DUT says so at boot and `timestamp` pulses D7 instead of printing
    a lap (the ELF built for B-L475E-IOT01A, run in QEMU's model of its chip)."""
    from edgekit import api
    from edgekit.targets.qemu_process import read_background

    out = build(model_path("kws01"), "disco_l475vg_iot01a", tmp_path / "energy", mlperf="kws01",
                mlperf_energy=True).out_dir
    assert read_build(out).report["baud"] == 9600  # the runner's energy-mode rate
    api.flash(out, emulate=True)
    try:
        state = read_background(out)
        assert state is not None
        with Dut.open(str(state["url"]), timeout_s=30) as dut:
            assert dut.read_reply() == ["m-timestamp-mode-energy", "m-init-done"]
            assert dut.command("timestamp") == []  # the edge is on the pin, not the UART
            assert dut.command("name") == ["m-name-dut-[edgekit]"]
    finally:
        api.flash_stop(out)


def test_energy_mode_needs_a_board_with_a_timestamp_pin(tmp_path: Path) -> None:
    from edgekit.errors import BoardError

    with pytest.raises(BoardError, match="qemu-cortex-m4 has no timestamp GPIO"):
        build(model_path("kws01"), "qemu-cortex-m4", tmp_path / "x", mlperf="kws01", mlperf_energy=True)
