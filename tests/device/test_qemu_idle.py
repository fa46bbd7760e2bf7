"""An idle `edgekit flash` QEMU sleeps instead of spinning (issue 19), and the KWS
instruction counts are what they were (the README's 3,720,400 on qemu-cortex-m4)."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from edgekit import api

KWS = Path("/work/shared/models/kws_ds_cnn_int8.tflite")
if not KWS.is_file():
    KWS = Path(__file__).resolve().parents[3] / "shared" / "models" / "kws_ds_cnn_int8.tflite"

pytestmark = pytest.mark.xdist_group("qemu_idle")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc to read QEMU's CPU time")
def test_idle_qemu_sleeps_and_counts_are_unchanged(tmp_path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("qemu-system-arm") is None:
        pytest.fail("arm-none-eabi-gcc or qemu-system-arm missing: run `make toolchain`")
    build_dir = tmp_path / "kws"
    api.build(KWS, "qemu-cortex-m4", build_dir)
    flashed = api.flash(build_dir)
    try:
        before = cpu_seconds(flashed.pid)
        time.sleep(4.0)
        idle = cpu_seconds(flashed.pid) - before
        # Busy polling used ~0.9 s of CPU per second; asleep in WFI it is ~0.
        assert idle < 0.4, f"idle QEMU used {idle:.2f} s of CPU in 4 s"
        prof = api.profile(build_dir, runs=3).to_json()
        after_use = cpu_seconds(flashed.pid)
        time.sleep(2.0)
        assert cpu_seconds(flashed.pid) - after_use < 0.2  # and again after serving requests
    finally:
        api.flash_stop(build_dir)
    print(json.dumps({"idle_cpu_s_per_4s": idle, "total_counts_min": prof["total_counts_min"]}))
    # The CMSDK timer ticks every 40 instructions, so a reading is exact to one tick:
    # the README's (polling firmware) 3,590,160 .. 3,590,200 and its per-layer counts.
    tick = 40
    assert 3_590_160 <= prof["total_counts_min"] <= prof["total_counts_max"] <= 3_590_160 + tick
    readme = [467_160, 225_720, 550_440, 225_720, 550_440, 225_720, 550_440, 225_720, 550_440,
              16_400, 0, 1_240, 560]
    assert all(abs(la["counts"] - want) <= tick for la, want in zip(prof["layers"], readme, strict=True))


def test_run_builds_flashes_validates_and_profiles(tmp_path, capsys) -> None:
    from edgekit import cli
    from edgekit.targets.qemu_process import read_background

    out = tmp_path / "kws-run"
    code = cli.main(["run", str(KWS), "--board", "qemu-cortex-m4", "-o", str(out), "--samples", "2",
                     "--runs", "2", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    report = json.loads((out / "report.json").read_text())
    assert result["build"]["build_id"] == report["build_id"] == result["validate"]["build_id"]
    assert (result["validate"]["samples"], result["validate"]["bit_exact"]) == (2, 2)
    assert result["profile"]["build_id"] == report["build_id"]
    assert 3_590_160 <= result["profile"]["total_counts"] <= 3_590_200
    assert read_background(out) is None  # QEMU stopped at the end
