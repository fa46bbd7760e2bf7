"""BATCH_MATMUL: every output byte equals TF's BUILTIN_REF and TFLite Micro for adj_x /
adj_y, broadcast batch dimensions, constant or activation RHS, on the portable loops and the
packed GEMM kernel (run here with the portable DSP primitives)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support.harness import check_model
from support.matmul_cases import batch_matmul_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
BATCHES = [((), ()), ((2,), (2,)), ((3,), ()), ((), (2,)), ((2, 3), (1, 3)), ((1, 2), (3, 1)),
           ((2, 1, 2), (2, 1))]


@st.composite
def matmul_cases(draw: st.DrawFn) -> dict:
    lhs_batch, rhs_batch = draw(st.sampled_from(BATCHES))
    if not lhs_batch and not rhs_batch:
        lhs_batch = (1,)  # TFLite wants rank >= 2 operands; keep one batch dim
    return {
        "seed": draw(st.integers(0, 2**31)), "lhs_batch": lhs_batch, "rhs_batch": rhs_batch,
        "m": draw(st.integers(1, 7)), "k": draw(st.sampled_from([1, 3, 4, 8, 9, 16])),
        "n": draw(st.integers(1, 7)), "adj_x": draw(st.booleans()), "adj_y": draw(st.booleans()),
        "lhs_zp": draw(st.integers(-128, 127)), "rhs_zp": draw(st.integers(-128, 127)),
        "out_zp": draw(st.integers(-128, 127)), "constant_rhs": draw(st.booleans()),
        "big_multiplier": draw(st.booleans())}


def _tf_misreads(case: dict) -> bool:
    """TF 2.21's BUILTIN_REF BATCH_MATMUL reads wrong LHS values when adj_x is set and the
    LHS batch dimensions are broadcast (its transposed LHS temporary; outputs like 127 and
    -33 where numpy and TFLite Micro agree). Those cases are checked against TFLite Micro."""
    out = np.broadcast_shapes(tuple(case["lhs_batch"]), tuple(case["rhs_batch"]))
    return bool(case["adj_x"]) and tuple(case["lhs_batch"]) != tuple(out)


@pytest.mark.parametrize("rounding,variant", [("tflite", "portable"), ("tflite", "arm-dsp"),
                                              ("tflm", "portable"), ("tflm", "arm-dsp")])
@settings(max_examples=12, **SETTINGS)
@given(case=matmul_cases())
def test_batch_matmul_matches_oracle(rounding: str, variant: str, case: dict) -> None:
    assume(rounding == "tflm" or not _tf_misreads(case))
    check_model(batch_matmul_model(**case), LoweringContext(rounding=rounding, variant=variant))  # type: ignore[arg-type]


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
def test_batch_matmul_sanitized(variant: str) -> None:
    """Attention's two products (Q @ K^T: adj_y, scores @ V) over 2 heads, and a constant
    broadcast RHS (packed once for every batch)."""
    for case in [dict(seed=1, lhs_batch=(1, 2), rhs_batch=(1, 2), m=7, k=8, n=7, adj_y=True, lhs_zp=5, rhs_zp=-3),
                 dict(seed=2, lhs_batch=(1, 2), rhs_batch=(1, 2), m=7, k=7, n=8, lhs_zp=-128, rhs_zp=3),
                 dict(seed=3, lhs_batch=(3,), rhs_batch=(), m=5, k=6, n=3, constant_rhs=True, rhs_zp=9)]:
        check_model(batch_matmul_model(**case), LoweringContext(variant=variant), sanitize=True)


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_multiplier_product(rounding: str) -> None:
    """Scales where float32(lhs * rhs) / out is exactly 2^-6 but the double product is a
    little less: the multiplier differs by its last bit and ties round apart. TF takes the
    float32 product (GetQuantizedConvolutionMultipler), TFLite Micro the double one: each
    mode matches its oracle."""
    scales = (0.013687617145478725, 0.011487486772239208, 0.01006312482059002)
    for variant in ("portable", "arm-dsp"):
        check_model(batch_matmul_model(seed=4, lhs_batch=(2,), rhs_batch=(2,), m=16, k=16, n=16,
                                       scales=scales), LoweringContext(rounding=rounding, variant=variant))


def test_mismatched_inner_dimensions_are_refused() -> None:
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    graph = load_tflite_bytes(batch_matmul_model(seed=5, lhs_batch=(2,), rhs_batch=(2,), m=3, k=4, n=5))
    graph.tensors[graph.ops[0].inputs[1]].shape = (2, 6, 5)
    with pytest.raises(UnsupportedOpError, match="inner dimensions differ"):
        lower(graph, graph.ops[0], LoweringContext())


@pytest.mark.parametrize("variant", ["portable", "arm-dsp"])
def test_adj_x_with_broadcast_lhs_matches_tflite_micro_and_numpy(variant: str) -> None:
    """The case TF's reference kernel gets wrong (see _tf_misreads): TFLite Micro and the
    exact integer product agree with edgekit."""
    from edgekit.kernels.quant import multiply_by_quantized_multiplier
    from edgekit.load import load_tflite_bytes

    model = batch_matmul_model(seed=0, lhs_batch=(1, 2), rhs_batch=(3, 1), m=2, k=3, n=2, adj_x=True,
                               lhs_zp=4, rhs_zp=-6, out_zp=1)
    assert _tf_misreads({"adj_x": True, "lhs_batch": (1, 2), "rhs_batch": (3, 1)})
    rng = np.random.default_rng(2)
    graph = load_tflite_bytes(model)
    x, y = (rng.integers(-128, 128, size=graph.tensors[t].shape).astype(np.int8) for t in graph.inputs)
    got = check_model(model, LoweringContext(rounding="tflm", variant=variant), inputs=[x, y])[0]
    from edgekit.kernels.batch_matmul import lower_batch_matmul  # the multiplier it chose
    init = next(c for c in lower_batch_matmul(graph, graph.ops[0], LoweringContext()).constants
                if c.name.endswith("params")).initializer
    fields = dict(part.strip().lstrip(".").split(" = ") for part in init.strip("{} ").split(", ") if " = " in part)
    acc = (np.swapaxes(x.astype(np.int64) - 4, -1, -2) @ (y.astype(np.int64) + 6)).reshape(-1)
    exact = multiply_by_quantized_multiplier(acc, int(fields["multiplier"]), int(fields["shift"])) + 1
    assert np.array_equal(got.reshape(-1), np.clip(exact, -128, 127))


def test_packed_kernel_requantizes_bounded_only_when_exact() -> None:
    """Shift <= -1 and depth <= 16000: the bounded SMLAD requantization; a multiplier > 1
    (positive shift) keeps the exact form. Both run in the hypothesis cases above."""
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    for big, bounded in ((False, 1), (True, 0)):
        graph = load_tflite_bytes(batch_matmul_model(seed=6, lhs_batch=(2,), rhs_batch=(2,), m=3, k=8, n=4,
                                                     big_multiplier=big))
        init = next(c for c in lower(graph, graph.ops[0], LoweringContext(variant="arm-dsp")).constants
                    if c.name.endswith("params")).initializer
        assert f".bounded = {bounded}" in init
