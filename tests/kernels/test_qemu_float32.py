"""The float32 fallback kernels cross-compiled for qemu-cortex-m4 (FPv4-SP hard float, the
toolchain's C library): every op in one firmware against TF's float interpreter, bit-exact
except where the value comes from a transcendental C library function (LIBM_OPS)."""

from __future__ import annotations

import numpy as np
import pytest
from support.qemu_harness import QemuCase, available, run_cases
from support.reference import run_oracle
from support.tflite_builder import TensorSpec, single_op_model
from test_float32 import UNARY_OPS, _values, unary_model

from edgekit.kernels.float32 import BINARY
from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")]
F32 = "float32"


def _cases(rng: np.random.Generator) -> list[tuple[bytes, list[np.ndarray]]]:
    cases = [(unary_model(o, (3, 40), 0.3), [_values(rng, (3, 40))]) for o in UNARY_OPS]
    for k, o in enumerate(sorted(BINARY)):
        a, b = ((2, 3, 8), (3, 1)) if k % 2 else ((4, 6), (4, 6))
        options = {"fused_activation_function": ["NONE", "RELU6"][k % 2]} if o in ("ADD", "SUB", "MUL", "DIV") else {}
        y = _values(rng, b)
        if o == "FLOOR_DIV":
            y[y == 0] = 0.75
        cases.append((single_op_model(o, [TensorSpec(a, F32), TensorSpec(b, F32)],
                                      [TensorSpec(tuple(np.broadcast_shapes(a, b)), F32)], options),
                      [_values(rng, a), y]))
    w = rng.normal(0, 1, (7, 30)).astype(np.float32)
    cases.append((single_op_model("FULLY_CONNECTED", [TensorSpec((2, 30), F32), TensorSpec((7, 30), F32, data=w),
                                                      TensorSpec((7,), F32, data=rng.normal(0, 1, 7).astype(np.float32))],
                                  [TensorSpec((2, 7), F32)], {"fused_activation_function": "RELU"}),
                  [_values(rng, (2, 30))]))
    cases.append((single_op_model("SOFTMAX", [TensorSpec((3, 12), F32)], [TensorSpec((3, 12), F32)], {"beta": 0.7}),
                  [rng.normal(0, 3, (3, 12)).astype(np.float32)]))
    for op_type, axes, out in (("MEAN", [1, 2], (2, 1, 1, 5)), ("SUM", [-1, 0], (1, 4, 3, 1))):
        shape = (2, 4, 3, 5)
        cases.append((single_op_model(op_type, [TensorSpec(shape, F32), TensorSpec((2,), "int32", data=np.array(axes, np.int32))],
                                      [TensorSpec(out, F32)], {"keep_dims": True}), [_values(rng, shape)]))
    cases.append((single_op_model("L2_POOL_2D", [TensorSpec((1, 7, 6, 3), F32)], [TensorSpec((1, 4, 3, 3), F32)],
                                  {"filter_height": 3, "filter_width": 2, "stride_h": 2, "stride_w": 2,
                                   "padding": "SAME"}), [_values(rng, (1, 7, 6, 3))]))
    cases.append((single_op_model("CONCATENATION", [TensorSpec((2, 3, 2), F32), TensorSpec((2, 1, 2), F32)],
                                  [TensorSpec((2, 4, 2), F32)], {"axis": 1}),
                  [_values(rng, (2, 3, 2)), _values(rng, (2, 1, 2))]))
    return cases


# The float ops whose result comes from a C library function other than sqrtf/fmodf/floorf/
# ceilf (which IEEE 754 fixes exactly): the Arm toolchain's newlib computes sinf, cosf, expf,
# logf, tanhf, expm1f with other polynomials than the host's glibc, so on the device they
# may differ from TF by a unit in the last place. Everything else is bit-exact.
LIBM_OPS = {"SIN", "COS", "EXP", "LOG", "TANH", "LOGISTIC", "ELU", "SOFTMAX"}
MAX_ULPS = 2  # measured: LOGISTIC 2, COS/EXP/LOG/SIN/SOFTMAX 1, TANH/ELU 0 (seed 3)


def ulps(a: np.ndarray, b: np.ndarray) -> int:
    """Largest distance in float32 steps between finite elements (NaN equal to NaN)."""
    def ordered(x: np.ndarray) -> np.ndarray:
        i = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(i < 0, -(i & 0x7FFFFFFF), i)

    both_nan = np.isnan(a) & np.isnan(b)
    return int(np.max(np.where(both_nan, 0, np.abs(ordered(a) - ordered(b))), initial=0))


def test_float_kernels_on_qemu_cortex_m4() -> None:
    cases = _cases(np.random.default_rng(3))
    qcases, expected = [], []
    for model, inputs in cases:
        graph = load_tflite_bytes(model)
        qcases.append(QemuCase(graph, graph.ops[0], inputs))
        expected.append(run_oracle(model, inputs, "tflite"))
    results = run_cases(qcases, LoweringContext())
    bad, libm = [], {}
    for (model, _), exp, got in zip(cases, expected, results):
        op_type = load_tflite_bytes(model).ops[0].type
        for e, g in zip(exp, got.outputs):
            e = np.asarray(e).reshape(g.shape)
            if op_type in LIBM_OPS:
                libm[op_type] = ulps(e, g)
            elif not np.array_equal(e, g, equal_nan=True):
                bad.append(f"{op_type}: {int((e != g).sum())}/{e.size} differ")
    assert not bad, "; ".join(bad)
    assert max(libm.values()) <= MAX_ULPS, libm
