"""A built wheel works outside the source tree: templates/, boards/, firmware/ ship in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(REPO)], check=True, timeout=300, capture_output=True)
    wheel = next(out.glob("edgekit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("edgekit/_data/templates/model/model.c.j2", "edgekit/_data/boards/esp32.toml",
                     "edgekit/_data/firmware/kernels/ek_requant.h", "edgekit/cli.py"):
        assert required in names, required
    site = out / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, timeout=300, capture_output=True)
    return site


def _run_outside(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(site))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_wheel_reads_its_own_data(installed_wheel, tmp_path):
    code = ("import edgekit, edgekit.resources as r; "
            "print(edgekit.__file__); print(r.data_dir('templates')); print(r.data_dir('firmware'))")
    result = _run_outside(installed_wheel, tmp_path, "-c", code)
    assert result.returncode == 0, result.stderr
    for line in result.stdout.split():
        assert line.startswith(str(installed_wheel)), line


def test_wheel_builds_and_verifies_a_model(installed_wheel, tmp_path, mlperf_models):
    boards = _run_outside(installed_wheel, tmp_path, "-m", "edgekit", "boards", "--json")
    assert boards.returncode == 0 and len(json.loads(boards.stdout)["boards"]) >= 16
    build = _run_outside(installed_wheel, tmp_path, "-m", "edgekit", "build", str(mlperf_models["ad"]),
                         "--board", "qemu-cortex-m4", "-o", "out", "--json")
    assert build.returncode == 0, build.stderr
    assert json.loads(build.stdout)["size_source"] == "elf"
    verify = _run_outside(installed_wheel, tmp_path, "-m", "edgekit", "verify", str(mlperf_models["ad"]),
                          "--samples", "2", "--json")
    assert verify.returncode == 0, verify.stderr
    assert json.loads(verify.stdout)["bit_exact"] == 2
