"""MVE (Helium) kernels (firmware/kernels/ek_mve_*.c, edgekit/kernels/mve.py, and the MVE
rows of ADD/SUB in ek_elementwise.c).

On qemu-cortex-m55 (mps3-an547): one firmware holds every case of both roundings, built
with EK_ARM_MVE; every output byte is checked against the oracle, and the ELF's kernel
functions are disassembled to show that they are MVE code (VMLADAVA, VLDRB, VQRDMULH,
...), so the bit-exact outputs prove QEMU executed the vector instructions. On the host the
same layouts run as plain C (no EK_ARM_MVE), under the sanitizers.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from batch_harness import check_models
from support import cases as mk
from support.harness import lower, random_inputs
from support.qemu_harness import QemuCase, available, build_firmware, m55_target, run_cases, run_elf
from support.reference import run_oracle
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.kernels.mve import single_vector_ok
from edgekit.load import load_tflite_bytes

ROUNDINGS = ("tflite", "tflm")
HERE = Path(__file__).resolve().parent


def _fc(rng: np.random.Generator, seed: int) -> bytes:
    return mk.fc_model(seed, batch=int(rng.choice([1, 1, 2, 3])), k=int(rng.integers(1, 300)),
                       n_out=int(rng.integers(1, 23)), activation=mk.ACTIVATIONS[rng.integers(3)],
                       in_zp=int(rng.integers(-128, 128)), out_zp=int(rng.integers(-128, 128)),
                       mult_kind=mk.MULT_KINDS[rng.integers(4)], per_channel=bool(rng.integers(2)),
                       bias=bool(rng.integers(2)))


def _conv(rng: np.random.Generator, seed: int) -> bytes:
    k = [(1, 1), (1, 1), (3, 3), (3, 1), (5, 5), (10, 8)][rng.integers(6)]
    dil = [(1, 1), (1, 1), (2, 2)][rng.integers(3)]
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    return mk.conv_model(seed, n=int(rng.integers(1, 3)), h=int(rng.integers(eff[0], eff[0] + 5)),
                         w=int(rng.integers(eff[1], eff[1] + 5)),
                         cin=int(rng.choice([1, 3, 4, 8, 17, 32])), cout=int(rng.integers(1, 14)), kh=k[0], kw=k[1],
                         stride=[(1, 1), (2, 2), (1, 2), (3, 3)][rng.integers(4)], dilation=dil,
                         padding=["SAME", "VALID"][rng.integers(2)],
                         activation=mk.ACTIVATIONS[rng.integers(3)], in_zp=int(rng.integers(-128, 128)),
                         out_zp=int(rng.integers(-128, 128)), mult_kind=mk.MULT_KINDS[rng.integers(4)],
                         per_channel=bool(rng.integers(2)))


def _depthwise(rng: np.random.Generator, seed: int) -> bytes:
    k = [(3, 3), (3, 3), (5, 5), (1, 1), (10, 8)][rng.integers(5)]
    dil = [(1, 1), (1, 1), (2, 2)][rng.integers(3)]
    eff = ((k[0] - 1) * dil[0] + 1, (k[1] - 1) * dil[1] + 1)
    return mk.depthwise_model(seed, n=int(rng.integers(1, 3)), h=int(rng.integers(eff[0], eff[0] + 5)),
                              w=int(rng.integers(eff[1], eff[1] + 5)),
                              cin=int(rng.choice([2, 3, 4, 8, 13, 16])), multiplier=1,
                              kh=k[0], kw=k[1], stride=[(1, 1), (2, 2), (1, 2), (3, 3)][rng.integers(4)],
                              dilation=dil, padding=["SAME", "VALID"][rng.integers(2)],
                              activation=mk.ACTIVATIONS[rng.integers(3)], in_zp=int(rng.integers(-128, 128)),
                              out_zp=int(rng.integers(-128, 128)), mult_kind=mk.MULT_KINDS[rng.integers(4)])


def _add_sub(rng: np.random.Generator) -> bytes:
    """ADD or SUB of two same-shape tensors (the contiguous MVE row), 1..70 elements so that
    the predicated tail varies; power-of-two scales (exact ties) or random ones. Built with
    the TFLite schema (single_op_model), as test_elementwise.py does."""
    shape = (1, int(rng.integers(1, 71)))
    if rng.integers(2):
        s1, s2 = 2.0 ** int(rng.integers(-20, 1)), 2.0 ** int(rng.integers(-20, 1))
        so = max(s1, s2) * 2.0 ** int(rng.integers(-4, 6))
    else:
        s1 = 10 ** float(rng.uniform(-4, 1))
        s2 = s1 * 10 ** float(rng.uniform(-3, 3))
        so = max(s1, s2) * 10 ** float(rng.uniform(-2.5, 2.5))
    zps = [int(z) for z in rng.integers(-128, 128, size=3)]
    act = ["NONE", "RELU", "RELU6"][rng.integers(3)] if so > 1e-6 else "NONE"
    return single_op_model(["ADD", "SUB"][rng.integers(2)],
                           [TensorSpec(shape, scale=s1, zero_point=zps[0]),
                            TensorSpec(shape, scale=s2, zero_point=zps[1])],
                           [TensorSpec(shape, scale=so, zero_point=zps[2])],
                           {"fused_activation_function": act})


def _models(seed: int, count: int) -> list[bytes]:
    """`count` FULLY_CONNECTED, CONV_2D, DEPTHWISE_CONV_2D (multiplier 1) and ADD/SUB
    single-op models."""
    rng = np.random.default_rng(seed)
    return ([_fc(rng, 3000 + seed * 100 + i) for i in range(count)]
            + [_conv(rng, 4000 + seed * 100 + i) for i in range(count)]
            + [_depthwise(rng, 5000 + seed * 100 + i) for i in range(count)]
            + [_add_sub(rng) for _ in range(count)])


def _disassemble(elf: Path, function: str) -> str:
    """objdump of one function (the Armv8.1-M decoder knows the MVE opcodes)."""
    text = subprocess.run(["arm-none-eabi-objdump", "-d", "-m", "armv8.1-m.main", str(elf)],
                          capture_output=True, text=True, timeout=60, check=True).stdout
    match = re.search(rf"^[0-9a-f]+ <{function}(?:\.[\w.]+)?>:\n(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    assert match, f"{function} not in the ELF"
    return match.group(1)


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_mve_layouts_bit_exact_on_host(rounding: str) -> None:
    """The portable twin of every MVE kernel, same host layouts, sanitizers on."""
    check_models(_models(1, 10), LoweringContext(rounding=rounding, variant="arm-mve"), sanitize=True,
                 seed=4)


def test_single_rounding_vector_condition() -> None:
    assert single_vector_ok(np.array([-1, -5, -31]))
    assert not single_vector_ok(np.array([-3, 0]))


@pytest.mark.qemu
@pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")
def test_mve_kernels_bit_exact_on_cortex_m55(tmp_path: Path) -> None:
    rng = np.random.default_rng(55)
    qcases, expected, labels = [], [], []
    for rounding in ROUNDINGS:
        ctx = LoweringContext(rounding=rounding, variant="arm-mve")
        for i, model in enumerate(_models(2 if rounding == "tflite" else 3, 10)):
            graph = load_tflite_bytes(model)
            x = random_inputs(graph, graph.ops[0], rng)
            qcases.append(QemuCase(graph, graph.ops[0], x, ctx))
            expected.append(run_oracle(model, x, rounding))
            labels.append(f"{rounding} case {i} {graph.ops[0].type}")
    elf = tmp_path / "mve.elf"
    calls = [(c.op.type, lower(c.graph, c.op, c.ctx or LoweringContext()).call) for c in qcases]
    assert all("ek_mve_" in call for t, call in calls if t in ("FULLY_CONNECTED", "CONV_2D"))
    # 3x3 stride-1 layers of 12+ columns keep the (faster there) DSP kernel; the others run MVE.
    assert sum("ek_mve_depthwise_s8" in call for _, call in calls) >= 12
    # The whole-row assembly loop (double rounding, shifts <= 0, channels in quads) is in use.
    assert any(c.name.endswith("mqp") for case in qcases
               for c in lower(case.graph, case.op, case.ctx or LoweringContext()).constants)
    results = run_cases(qcases, target=m55_target("arm-mve"), keep_elf=elf)
    bad = [label for label, r, e in zip(labels, results, expected)
           if not np.array_equal(r.outputs[0], np.asarray(e[0]).reshape(r.outputs[0].shape))]
    assert not bad, f"MVE kernels differ from the oracle: {bad}"
    # The kernels are vector code: dot products, predicated tail loads, vector requantization.
    quad = _disassemble(elf, "ek_mve_dot_rows_s8")
    for mnemonic in ("vmlava.s8", "vldrb", "vctp.8", "vqrdmulh.s32", "vrshl.s32", "vrmulh.s32",
                     "vmulh.s32", "vstrbt.32", "dls", "vldrbt.u8", "vstrb.32"):
        assert mnemonic in quad, f"{mnemonic} missing from the MVE row kernel"
    assert "<ek_mve_dot_rows_s8>" in _disassemble(elf, "ek_mve_conv_s8")
    dw = _disassemble(elf, "ek_mve_depthwise_s8")
    assert all(m in dw for m in ("vldrbt.s32", "vmul.i32", "vqrdmulh.s32", "vstrbt.32")), dw[-2000:]
    # ADD/SUB rows: the MVE row (inlined into ek_add_row / ek_sub_row, or called from them).
    add = _disassemble(elf, "ek_add_row")
    if "<ek_mve_add_sub_row" in add:
        add = _disassemble(elf, "ek_mve_add_sub_row")
    assert all(m in add for m in ("vldrbt.s32", "vqrdmulh.s32", "vrshl.s32", "vstrbt.32")), add[-2000:]


@pytest.mark.qemu
@pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")
def test_mve_requantization_matches_scalar_on_cortex_m55(tmp_path: Path) -> None:
    """80,000 lanes per rounding, a quarter of them ties or extremes, on the emulated core."""
    source = (HERE / "support" / "qemu_m55" / "requant_check.c").read_text()
    target = m55_target("arm-mve")
    elf = build_firmware(source, tmp_path, [], target)
    fields = run_elf(elf, 120, target).split()
    assert fields[:4] == ["DOUBLE", "0", "SINGLE", "0"], fields[:4]
    code = _disassemble(elf, "check")
    assert "vqrdmulh.s32" in code and "vrmulh.s32" in code
