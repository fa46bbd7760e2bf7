"""The cmake export cross-built for qemu-cortex-m4 with arm-none-eabi-gcc through a CMake
toolchain file, run in QEMU (outputs in hex on the UART, exit status by semihosting),
bit-exact with TFLite's reference."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from edgekit.boards import load_board
from edgekit.export import ExportRequest, export_models

from .app import qemu_app, run_qemu, sample_bytes
from .test_export_host import SAMPLES, references

needs_tools = pytest.mark.skipif(not (shutil.which("arm-none-eabi-gcc") and shutil.which("qemu-system-arm")),
                                 reason="arm-none-eabi-gcc and qemu-system-arm are needed")


@needs_tools
@pytest.mark.slow
@pytest.mark.parametrize("to_ram", [False, True], ids=["weights-in-flash", "weights-to-ram"])
def test_cmake_export_on_qemu_cortex_m4(mlperf_models, tmp_path, to_ram):
    model = mlperf_models["kws"]
    export = tmp_path / "kws"
    export_models(ExportRequest(models=[model], board="qemu-cortex-m4", out_dir=export, format="cmake",
                                names=["kws"], weights_to_ram=to_ram))
    inputs, expected = references(model, seed=5)
    elf = qemu_app(tmp_path, export, ["kws"], "kws", sample_bytes([[s] for s in inputs]), SAMPLES)
    assert run_qemu(elf) == b"".join(expected)
    # The weight arrays are where the option says: the code region, or RAM (.data, copied at boot).
    ram = load_board("qemu-cortex-m4").qemu.ram  # type: ignore[union-attr]
    nm = subprocess.run(["arm-none-eabi-nm", "-S", str(elf)], capture_output=True, text=True, timeout=60).stdout
    arrays = set(re.findall(r"^KWS_WEIGHTS .* (kws_\w+)\[", (export / "src" / "kws_data.c").read_text(), re.M))
    weights = [line.split() for line in nm.splitlines() if line.split()[-1] in arrays]
    assert len(weights) == len(arrays) > 0
    assert all((ram.base <= int(w[0], 16) < ram.end) == to_ram for w in weights), weights
