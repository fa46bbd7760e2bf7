"""The command line contract: --help everywhere, exit status 2 with one line for misuse."""

from __future__ import annotations

import subprocess
import sys

import pytest

from edgekit.cli import COMMANDS


def _edgekit(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgekit", *args], capture_output=True, text=True, timeout=120)


def test_top_level_help_lists_every_command():
    result = _edgekit("--help")
    assert result.returncode == 0
    for name, _, _ in COMMANDS:
        assert name in result.stdout


@pytest.mark.parametrize("command", [name for name, _, _ in COMMANDS])
def test_every_command_has_help(command):
    result = _edgekit(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: edgekit " + command in result.stdout


@pytest.mark.parametrize("args", [[], ["frobnicate"], ["inspect"], ["build", "m.tflite"]])
def test_misuse_exits_2_with_one_line(args):
    result = _edgekit(*args)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("edgekit")


def test_unknown_board_exit_2(mlperf_models):
    result = _edgekit("build", str(mlperf_models["ad"]), "--board", "esp33")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "esp33" in lines[0], result.stderr
