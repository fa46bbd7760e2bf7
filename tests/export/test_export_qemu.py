"""The cmake export cross-built for qemu-cortex-m4 with arm-none-eabi-gcc through a CMake
toolchain file, run in QEMU (outputs in hex on the UART, exit status by semihosting),
bit-exact with TFLite's reference."""

from __future__ import annotations

import shutil

import pytest

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
