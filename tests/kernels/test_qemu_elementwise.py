"""K2's ops cross-compiled with -DEK_ARM_DSP for qemu-cortex-m4 (hard-float FPU), a seeded
sample of the host cases in one firmware, every output byte against the oracle: ADD/SUB's
SMMULR path, the float SOFTMAX / QUANTIZE / DEQUANTIZE on the Cortex-M4 FPU, and the rest."""

from __future__ import annotations

import numpy as np
import pytest
from support.qemu_harness import QemuCase, available, mismatches, oracle_cases, run_cases
from support.reference import run_oracle
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")]


def _i32(values) -> TensorSpec:
    values = np.asarray(values, dtype=np.int32)
    return TensorSpec(values.shape, "int32", data=values)


def _models(rng: np.random.Generator) -> list[bytes]:
    def q(scale=None) -> dict:
        return {"scale": float(scale if scale is not None else 10 ** rng.uniform(-3, 0)),
                    "zero_point": int(rng.integers(-128, 128))}

    models = []
    for op in ["ADD", "SUB"] * 12 + ["MUL"] * 10 + ["MAXIMUM", "MINIMUM"]:
        a = tuple(int(d) for d in rng.integers(1, 6, size=int(rng.integers(1, 5))))
        b = tuple(d if rng.integers(2) else 1 for d in a)[int(rng.integers(0, len(a))):]
        if rng.integers(2):  # power-of-two scales: exact rounding ties
            low = 13 if op == "MUL" else 25  # MUL: keep TFLite's activation range in int32
            s1, s2 = 2.0 ** -rng.integers(0, low), 2.0 ** -rng.integers(0, low)
            so = (s1 * s2 if op == "MUL" else max(s1, s2)) * 2.0 ** rng.integers(-3, 5)
        else:
            s1 = 10 ** rng.uniform(-3, 0)
            s2 = s1 * 10 ** rng.uniform(-2, 2)
            so = s1 * s2 * 2 ** rng.uniform(-4, 20) if op == "MUL" else max(s1, s2) * 10 ** rng.uniform(-2, 2)
        act = ["NONE", "RELU", "RELU6"][rng.integers(3)] if op in ("ADD", "SUB", "MUL") else "NONE"
        opts = {"fused_activation_function": act} if op in ("ADD", "SUB", "MUL") else {}
        models.append(single_op_model(op, [TensorSpec(a, **q(s1)), TensorSpec(b, **q(s2))],
                                      [TensorSpec(tuple(np.broadcast_shapes(a, b)), **q(so))], opts))
    for op in ["RELU6", "LEAKY_RELU", "HARD_SWISH", "LOGISTIC", "TANH", "QUANTIZE"]:
        shape = (2, int(rng.integers(1, 40)))
        out = {"scale": 1 / 256, "zero_point": -128} if op == "LOGISTIC" else q(0.05)
        opts = {"alpha": 0.25} if op == "LEAKY_RELU" else {}
        models.append(single_op_model(op, [TensorSpec(shape, **q(0.04))], [TensorSpec(shape, **out)], opts))
    for depth in (10, 37, 200):
        shape = (int(rng.integers(1, 4)), depth)
        models.append(single_op_model("SOFTMAX", [TensorSpec(shape, **q())],
                                      [TensorSpec(shape, scale=1 / 256, zero_point=-128)],
                                      {"beta": float(rng.uniform(0.5, 2))}))
    shape = (3, 17)
    models.append(single_op_model("QUANTIZE", [TensorSpec(shape, "float32")], [TensorSpec(shape, **q())]))
    models.append(single_op_model("DEQUANTIZE", [TensorSpec(shape, **q())], [TensorSpec(shape, "float32")]))
    for keep in (True, False):
        x = (2, 5, 3, 8)
        models.append(single_op_model("MEAN", [TensorSpec(x, **q()), _i32([1, 2])],
                                      [TensorSpec((2, 1, 1, 8) if keep else (2, 8), **q())],
                                      {"keep_dims": keep}))
    qq = q(0.1)
    models.append(single_op_model("TRANSPOSE", [TensorSpec((2, 3, 4, 5), **qq), _i32([0, 3, 1, 2])],
                                  [TensorSpec((2, 5, 3, 4), **qq)]))
    models.append(single_op_model("STRIDED_SLICE", [TensorSpec((1, 9, 8, 3), **qq), _i32([0, 1, 7, 0]),
                                                    _i32([1, 8, 0, 3]), _i32([1, 2, -3, 1])],
                                  [TensorSpec((1, 4, 3, 3), **qq)]))
    models.append(single_op_model("PAD", [TensorSpec((1, 5, 5, 3), **qq),
                                          _i32([[0, 0], [1, 2], [2, 1], [0, 0]])],
                                  [TensorSpec((1, 8, 8, 3), **qq)]))
    models.append(single_op_model("CONCATENATION", [TensorSpec((2, 3, 4), **qq), TensorSpec((2, 2, 4), **qq)],
                                  [TensorSpec((2, 5, 4), **qq)], {"axis": 1}))
    return models


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_dsp_build_bit_exact_on_cortex_m4(rounding: str) -> None:
    rng = np.random.default_rng(4242 if rounding == "tflite" else 99)
    qcases, expected = oracle_cases(_models(rng), rng, rounding)
    results = run_cases(qcases, LoweringContext(rounding=rounding, variant="arm-dsp"))
    bad = mismatches(qcases, results, expected)
    assert not bad, f"Cortex-M4 build differs from the {rounding} oracle: {bad}"


# The quantization of IC ResNet-8's residual ADDs (ops 3, 7, 11): (scale, zero point) of
# both inputs and the output, fused RELU.
IC_ADDS = [((0.039393551647663116, -128), (0.10419496148824692, 4), (0.050945673137903214, -128)),
           ((0.044761426746845245, -17), (0.11311884224414825, 4), (0.0532362163066864, -128)),
           ((0.08385830372571945, 38), (0.21724364161491394, -2), (0.1270691454410553, -128))]


def test_add_sub_every_input_pair_on_cortex_m4() -> None:
    """ADD/SUB's SMMULR path over all 65,536 int8 input pairs, for IC's residual ADDs and
    for equal scales. The input with the larger scale has the real multiplier 1/2 (shift 0):
    a RoundingDivideByPOT correction applied there once made 1 output in 16,384 of a real
    IC inference 1 LSB off, which random inputs of a few hundred elements never showed."""
    a = np.repeat(np.arange(-128, 128, dtype=np.int8), 256).reshape(256, 256)
    b = np.tile(np.arange(-128, 128, dtype=np.int8), 256).reshape(256, 256)
    configs = [(op, act, *q) for q in IC_ADDS for op, act in (("ADD", "RELU"), ("SUB", "NONE"))]
    configs.append(("ADD", "NONE", (0.05, 3), (0.05, -7), (0.07, 1)))
    qcases, expected = [], []
    for op, act, (s1, z1), (s2, z2), (so, zo) in configs:
        model = single_op_model(op, [TensorSpec((256, 256), scale=s1, zero_point=z1),
                                     TensorSpec((256, 256), scale=s2, zero_point=z2)],
                                [TensorSpec((256, 256), scale=so, zero_point=zo)],
                                {"fused_activation_function": act})
        graph = load_tflite_bytes(model)
        qcases.append(QemuCase(graph, graph.ops[0], [a, b]))
        expected.append(run_oracle(model, [a, b]))
    results = run_cases(qcases, LoweringContext(variant="arm-dsp"))
    for (op, *_), r, e in zip(configs, results, expected):
        diff = r.outputs[0].astype(int) - np.asarray(e[0]).reshape(r.outputs[0].shape).astype(int)
        assert not diff.any(), f"{op}: {np.count_nonzero(diff)} of 65,536 outputs differ"
