"""int16x8 kernels (int16 activations, int8 weights, int64 bias): every output byte equals
TF's BUILTIN_REF and TFLite Micro, including the requantization edge cases: extreme
multipliers (flushed to zero, above one, exact powers of two) and int64 biases near the
limits of TFLite's 48-bit accumulator assumption and of int64 itself."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.cases import ACTIVATIONS, MULT_KINDS, conv_model, depthwise_model, fc_model
from support.harness import check_model

from edgekit.kernels.lowering import LoweringContext

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
ROUNDINGS = ["tflite", "tflm"]

# Biases that stress the int64 requantization: around TFLite's |x| < 2^47 assumption, past
# it (the int64 product wraps), and at the int64 limits (the accumulator itself wraps).
EDGE_BIASES = [0, (1 << 47) - 1, -(1 << 47), (1 << 62), -(1 << 62), (1 << 63) - 1, -(1 << 63),
               (1 << 40) + 12345, -(1 << 33)]


def _bias(draw: st.DrawFn, channels: int) -> np.ndarray | None:
    if not draw(st.booleans()):
        return None
    return np.array([draw(st.sampled_from(EDGE_BIASES) | st.integers(-(1 << 40), 1 << 40))
                     for _ in range(channels)], dtype=np.int64)


@st.composite
def conv_cases(draw: st.DrawFn) -> dict:
    k = draw(st.sampled_from([(1, 1), (3, 3), (1, 3), (2, 2)]))
    stride = draw(st.sampled_from([(1, 1), (2, 2), (1, 2)]))
    dil = draw(st.sampled_from([(1, 1), (2, 1)]))
    h = draw(st.integers((k[0] - 1) * dil[0] + 1, 7))
    w = draw(st.integers(k[1], 7))
    cout = draw(st.integers(1, 6))
    return {"seed": draw(st.integers(0, 2**31)), "n": draw(st.sampled_from([1, 2])), "h": h, "w": w,
            "cin": draw(st.sampled_from([1, 3, 4, 8])), "cout": cout, "kh": k[0], "kw": k[1],
            "stride": stride, "dilation": dil, "padding": draw(st.sampled_from(["SAME", "VALID"])),
            "activation": draw(st.sampled_from(ACTIVATIONS)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
            "per_channel": draw(st.booleans()), "act": "int16", "bias_data": _bias(draw, cout)}


@st.composite
def depthwise_cases(draw: st.DrawFn) -> dict:
    k = draw(st.sampled_from([(1, 1), (3, 3), (2, 3)]))
    cin, dm = draw(st.integers(1, 4)), draw(st.sampled_from([1, 2]))
    bias = _bias(draw, cin * dm)
    return {"seed": draw(st.integers(0, 2**31)), "n": 1, "h": draw(st.integers(k[0], 7)),
            "w": draw(st.integers(k[1], 7)), "cin": cin, "multiplier": dm, "kh": k[0], "kw": k[1],
            "stride": draw(st.sampled_from([(1, 1), (2, 2)])), "padding": draw(st.sampled_from(["SAME", "VALID"])),
            "activation": draw(st.sampled_from(ACTIVATIONS)), "mult_kind": draw(st.sampled_from(MULT_KINDS)),
            "act": "int16", "bias_data": bias}


@st.composite
def fc_cases(draw: st.DrawFn) -> dict:
    n_out = draw(st.integers(1, 12))
    bias = _bias(draw, n_out)
    return {"seed": draw(st.integers(0, 2**31)), "batch": draw(st.sampled_from([1, 1, 3])),
            "k": draw(st.integers(1, 40)), "n_out": n_out, "activation": draw(st.sampled_from(ACTIVATIONS)),
            "mult_kind": draw(st.sampled_from(MULT_KINDS)), "per_channel": draw(st.booleans()),
            "bias": bias is not None or draw(st.booleans()), "act": "int16", "bias_data": bias}


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=12, **SETTINGS)
@given(case=conv_cases())
def test_conv_s16(rounding: str, case: dict) -> None:
    check_model(conv_model(**case), LoweringContext(rounding=rounding))  # type: ignore[arg-type]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=12, **SETTINGS)
@given(case=depthwise_cases())
def test_depthwise_s16(rounding: str, case: dict) -> None:
    check_model(depthwise_model(**case), LoweringContext(rounding=rounding))  # type: ignore[arg-type]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=15, **SETTINGS)
@given(case=fc_cases())
def test_fully_connected_s16(rounding: str, case: dict) -> None:
    check_model(fc_model(**case), LoweringContext(rounding=rounding))  # type: ignore[arg-type]


@settings(max_examples=3, **SETTINGS)
@given(conv=conv_cases(), fc=fc_cases())
def test_weighted_s16_sanitized(conv: dict, fc: dict) -> None:
    check_model(conv_model(**conv), sanitize=True)
    check_model(fc_model(**fc), sanitize=True)


QUANT_TYPES = [("int8", "int16"), ("int16", "int8"), ("int16", "int16")]


@pytest.mark.parametrize(("src", "dst"), QUANT_TYPES)
@settings(max_examples=15, **SETTINGS)
@given(data=st.data())
def test_quantize_between_int8_and_int16(src: str, dst: str, data: st.DataObject) -> None:
    """QUANTIZE with an int16 side (TFLite's Requantize), scales from 2^-12 to 2^12 apart."""
    from support.tflite_builder import TensorSpec, single_op_model

    def zp(dtype: str) -> int:
        return 0 if dtype == "int16" else data.draw(st.integers(-128, 127))

    shape = (1, data.draw(st.integers(1, 5)), data.draw(st.integers(1, 7)))
    s_in = data.draw(st.floats(1e-4, 1.0))
    ratio = 2.0 ** data.draw(st.floats(-12, 12))
    model = single_op_model("QUANTIZE", [TensorSpec(shape, src, scale=s_in, zero_point=zp(src))],
                            [TensorSpec(shape, dst, scale=s_in / ratio, zero_point=zp(dst))])
    # TF's QUANTIZE takes int8 only to int8 (quantize.cc rejects int8 -> int16): TFLite Micro
    # is the oracle there.
    rounding = "tflm" if src == "int8" else data.draw(st.sampled_from(ROUNDINGS))
    check_model(model, LoweringContext(rounding=rounding), sanitize=data.draw(st.booleans()))


@pytest.mark.parametrize("op_type", ["ADD", "SUB", "MUL"])
@settings(max_examples=12, **SETTINGS)
@given(data=st.data())
def test_binary_s16(op_type: str, data: st.DataObject) -> None:
    """int16 ADD/SUB/MUL with broadcasting, fused activations and scales far apart."""
    from support.tflite_builder import TensorSpec, single_op_model

    shape = (1, data.draw(st.integers(1, 4)), data.draw(st.integers(1, 5)), data.draw(st.integers(1, 6)))
    other = tuple(d if data.draw(st.booleans()) else 1 for d in shape)
    scales = [data.draw(st.floats(1e-4, 1e-1)) for _ in range(3)]
    options: dict = {"fused_activation_function": data.draw(st.sampled_from(ACTIVATIONS))}
    if op_type != "MUL":
        options["pot_scale_int16"] = False
    model = single_op_model(op_type, [TensorSpec(shape, "int16", scale=scales[0]),
                                      TensorSpec(other, "int16", scale=scales[1])],
                            [TensorSpec(shape, "int16", scale=scales[2])], options)
    rounding = data.draw(st.sampled_from(ROUNDINGS))
    check_model(model, LoweringContext(rounding=rounding), sanitize=data.draw(st.booleans()))


@settings(max_examples=15, **SETTINGS)
@given(data=st.data())
def test_leaky_relu_s16(data: st.DataObject) -> None:
    from support.tflite_builder import TensorSpec, single_op_model

    shape = (1, data.draw(st.integers(1, 6)), data.draw(st.integers(1, 9)))
    s_in, s_out = data.draw(st.floats(1e-4, 1e-1)), data.draw(st.floats(1e-4, 1e-1))
    model = single_op_model("LEAKY_RELU", [TensorSpec(shape, "int16", scale=s_in)],
                            [TensorSpec(shape, "int16", scale=s_out)],
                            {"alpha": data.draw(st.sampled_from([0.01, 0.2, 0.3, 1.5]))})
    check_model(model, LoweringContext(rounding=data.draw(st.sampled_from(ROUNDINGS))),
                sanitize=data.draw(st.booleans()))


@pytest.mark.parametrize("op_type", ["MEAN", "SUM"])
@settings(max_examples=10, **SETTINGS)
@given(data=st.data())
def test_reduce_s16(op_type: str, data: st.DataObject) -> None:
    """int16 reductions. SUM's oracle is TFLite Micro (TF's BUILTIN_REF SUM is broken for
    integers, see edgekit/kernels/reduce.py)."""
    from support.tflite_builder import TensorSpec, single_op_model

    shape = (1, data.draw(st.integers(1, 5)), data.draw(st.integers(1, 6)), data.draw(st.integers(1, 4)))
    axes = data.draw(st.sampled_from([[1, 2], [1], [3], [2, 3]]))
    keep = data.draw(st.booleans())
    out_shape = tuple(1 if i in axes else d for i, d in enumerate(shape)) if keep else \
        tuple(d for i, d in enumerate(shape) if i not in axes)
    s_in = data.draw(st.floats(1e-4, 1e-1))
    s_out = data.draw(st.floats(1e-4, 1e-1))
    model = single_op_model(op_type, [TensorSpec(shape, "int16", scale=s_in),
                                      TensorSpec((len(axes),), "int32", data=np.array(axes))],
                            [TensorSpec(out_shape, "int16", scale=s_out)], {"keep_dims": keep})
    rounding = "tflm" if op_type == "SUM" else data.draw(st.sampled_from(ROUNDINGS))
    check_model(model, LoweringContext(rounding=rounding), sanitize=data.draw(st.booleans()))


@pytest.mark.parametrize("op_type", ["QUANTIZE", "DEQUANTIZE"])
@settings(max_examples=8, **SETTINGS)
@given(data=st.data())
def test_float_edges_s16(op_type: str, data: st.DataObject) -> None:
    """float32 -> int16 QUANTIZE and int16 -> float32 DEQUANTIZE (float-I/O int16x8 models)."""
    from support.tflite_builder import TensorSpec, single_op_model

    shape = (1, data.draw(st.integers(1, 40)))
    scale = data.draw(st.floats(1e-5, 1e-2))
    q = TensorSpec(shape, "int16", scale=scale)
    f = TensorSpec(shape, "float32")
    model = single_op_model(op_type, [f], [q]) if op_type == "QUANTIZE" else single_op_model(op_type, [q], [f])
    check_model(model, LoweringContext(rounding=data.draw(st.sampled_from(ROUNDINGS))))


@settings(max_examples=8, **SETTINGS)
@given(data=st.data())
def test_relu_s16(data: st.DataObject) -> None:
    op_type = "RELU"
    from support.tflite_builder import TensorSpec, single_op_model

    shape = (1, data.draw(st.integers(1, 30)))
    model = single_op_model(op_type, [TensorSpec(shape, "int16", scale=data.draw(st.floats(1e-4, 1e-1)))],
                            [TensorSpec(shape, "int16", scale=data.draw(st.floats(1e-4, 1e-1)))])
    check_model(model, LoweringContext(rounding=data.draw(st.sampled_from(ROUNDINGS))))


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_fully_connected_s16_dsp_variant_on_host(rounding: str) -> None:
    """The DSP boards' FC (int16-widened weights) with the portable primitives."""
    rng = np.random.default_rng(11)
    for i in range(6):
        model = fc_model(100 + i, batch=int(rng.choice([1, 3])), k=int(rng.integers(1, 60)), n_out=5,
                         mult_kind=MULT_KINDS[i % 4], act="int16",
                         bias_data=np.array(rng.choice(EDGE_BIASES, 5), dtype=np.int64))
        check_model(model, LoweringContext(rounding=rounding, variant="arm-dsp"))  # type: ignore[arg-type]


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=10, **SETTINGS)
@given(conv=conv_cases(), dw=depthwise_cases(), sanitize=st.booleans())
def test_conv_depthwise_s16_dsp_variant_on_host(rounding: str, conv: dict, dw: dict, sanitize: bool) -> None:
    """The DSP boards' int16 CONV_2D (int16-widened weights, im2col pixel pairs through the
    2x2 SMLAD loop) and DEPTHWISE_CONV_2D (tap pairs, PKHBT/PKHTB + SMLAD; multiplier 2 on
    the portable loops) with the portable primitives, under ASan+UBSan for some examples."""
    ctx = LoweringContext(rounding=rounding, variant="arm-dsp")  # type: ignore[arg-type]
    check_model(conv_model(**conv), ctx, sanitize=sanitize)
    check_model(depthwise_model(**dw), ctx, sanitize=sanitize)


def extreme_accumulation_cases() -> list[tuple[bytes, list[np.ndarray], str]]:
    """(model, inputs, kernel) whose sums leave int32: every input -32768 against weights of
    -128 or 127 (products of 2^22 in magnitude), with biases that bring the exact int64 sum
    back near zero, so an accumulator that wrapped at 32 bits would give a different output
    (not a saturated one). A 3x3x64 conv (K = 576 > 504: two SMLAD blocks); a 21x21
    depthwise window on 3 channels (441 taps, the odd channel on its own) on the DSP path and
    a 23x23 one (529 taps, beyond EK_DW_S16_MAX_TAPS) on the portable loops."""
    rng = np.random.default_rng(21)
    cases = []
    k = 3 * 3 * 64
    w = rng.integers(-127, 128, size=(4, 3, 3, 64))
    w[0], w[1], w[3, :, :, ::2] = -128, 127, -128
    bias = np.array([-(k << 22) + 1000, k * 32768 * 127 - 999, (1 << 47) - 1, -(k * 2**21) + 5], dtype=np.int64)
    model = conv_model(31, n=1, h=5, w=4, cin=64, cout=4, kh=3, kw=3, padding="VALID", act="int16",
                       bias_data=bias, weights_data=w)
    cases.append((model, [np.full((1, 5, 4, 64), -32768, dtype=np.int16)], "ek_conv_s16_dsp"))
    for size, kernel in ((21, "ek_depthwise_s16_dsp"), (23, "ek_depthwise_s16(")):
        taps = size * size
        wd = rng.integers(-127, 128, size=(1, size, size, 3))
        wd[..., 0], wd[..., 1] = -128, 127
        bias = np.array([-(taps << 22) + 777, taps * 32768 * 127 - 3, 1 << 40], dtype=np.int64)
        model = depthwise_model(32, n=1, h=size, w=size + 1, cin=3, multiplier=1, kh=size, kw=size,
                                padding="VALID", act="int16", bias_data=bias, weights_data=wd)
        cases.append((model, [np.full((1, size, size + 1, 3), -32768, dtype=np.int16)], kernel))
    return cases


@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_s16_dsp_accumulation_beyond_int32_on_host(rounding: str) -> None:
    from support.harness import lower

    from edgekit.load import load_tflite_bytes

    ctx = LoweringContext(rounding=rounding, variant="arm-dsp")  # type: ignore[arg-type]
    for model, inputs, kernel in extreme_accumulation_cases():
        graph = load_tflite_bytes(model)
        assert kernel in lower(graph, graph.ops[0], ctx).call
        check_model(model, ctx, inputs=inputs, sanitize=rounding == "tflite")


@pytest.mark.qemu
@pytest.mark.parametrize("rounding", ROUNDINGS)
def test_int16x8_kernels_on_cortex_m4(rounding: str) -> None:
    """int16 FC (SMLALD over widened weights), conv and depthwise on qemu-cortex-m4 with the
    arm-dsp variant, every byte against the oracle."""
    from support.qemu_harness import available, mismatches, oracle_cases, run_cases

    if not available():
        pytest.fail("arm-none-eabi-gcc / qemu-system-arm missing: run `make toolchain`")
    rng = np.random.default_rng(3 if rounding == "tflite" else 4)
    models = [fc_model(200 + i, batch=int(rng.choice([1, 2])), k=int(rng.integers(1, 150)),
                       n_out=int(rng.integers(1, 12)), mult_kind=MULT_KINDS[i % 4], per_channel=bool(i % 2),
                       act="int16") for i in range(8)]
    # conv: the first-layer shapes (1 and 3 channels), whole chunks (4, 8), 1x1, strides,
    # vertical dilation, odd output widths (a last single pixel), a batch of 2
    conv_shapes = [dict(cin=3, cout=4, kh=3, kw=3), dict(cin=1, cout=5, kh=4, kw=2, stride=(2, 2)),
                   dict(cin=8, cout=6, kh=1, kw=1), dict(cin=4, cout=3, kh=3, kw=3, dilation=(2, 1), padding="VALID"),
                   dict(cin=3, cout=7, kh=3, kw=3, stride=(1, 2), n=2)]
    models += [conv_model(300 + i, **{"n": 1, "h": 6, "w": 5, **shape}, mult_kind=MULT_KINDS[i % 4],  # type: ignore[arg-type]
                          act="int16", bias_data=np.array(rng.choice(EDGE_BIASES, shape["cout"]), dtype=np.int64))
               for i, shape in enumerate(conv_shapes)]
    # depthwise: even and odd channel counts, 3x3 / 5x5 / 2x3, stride 2, one depth multiplier 2
    dw_shapes = [dict(cin=4, kh=3, kw=3), dict(cin=5, kh=5, kw=5, stride=(2, 2)), dict(cin=1, kh=2, kw=3),
                 dict(cin=6, kh=3, kw=3, stride=(2, 2), padding="VALID"), dict(cin=2, kh=3, kw=3, multiplier=2)]
    models += [depthwise_model(400 + i, **{"n": 1, "h": 6, "w": 7, "multiplier": 1, **shape},  # type: ignore[arg-type]
                               mult_kind=MULT_KINDS[i % 4], act="int16") for i, shape in enumerate(dw_shapes)]
    qcases, expected = oracle_cases(models, rng, rounding)
    for model, inputs, _ in extreme_accumulation_cases():
        from support.qemu_harness import QemuCase
        from support.reference import run_oracle

        from edgekit.load import load_tflite_bytes

        graph = load_tflite_bytes(model)
        qcases.append(QemuCase(graph, graph.ops[0], inputs))
        expected.append(run_oracle(model, inputs, rounding))
    ctx = LoweringContext(rounding=rounding, variant="arm-dsp")  # type: ignore[arg-type]
    from support.harness import lower

    calls = [lower(c.graph, c.op, ctx).call for c in qcases]
    assert sum("ek_fully_connected_s16_dsp" in c for c in calls) == 8
    assert sum("ek_conv_s16_dsp" in c for c in calls) == 6
    assert sum("ek_depthwise_s16_dsp" in c for c in calls) == 5
    results = run_cases(qcases, ctx)
    bad = mismatches(qcases, results, expected)
    assert not bad, f"int16x8 kernels differ from the {rounding} oracle on Cortex-M4: {bad}"


@pytest.mark.parametrize("rounding", ROUNDINGS)
@settings(max_examples=12, **SETTINGS)
@given(data=st.data())
def test_transpose_conv_s16(rounding: str, data: st.DataObject) -> None:
    """int16x8 TRANSPOSE_CONV (TransposeConv<int64_t>): strides, paddings, explicit output
    sizes, fused activations, extreme multipliers and int64 biases near the limits."""
    from support.matmul_cases import transpose_conv_model

    k = data.draw(st.sampled_from([(1, 1), (2, 2), (3, 3), (3, 2)]))
    cout = data.draw(st.integers(1, 6))
    stride = data.draw(st.sampled_from([(1, 1), (2, 2), (2, 1), (3, 3)]))
    model = transpose_conv_model(
        data.draw(st.integers(0, 2**31)), n=data.draw(st.sampled_from([1, 2])), h=data.draw(st.integers(1, 5)),
        w=data.draw(st.integers(1, 5)), cin=data.draw(st.sampled_from([1, 3, 4])), cout=cout, kh=k[0], kw=k[1],
        stride=stride, padding=data.draw(st.sampled_from(["SAME", "VALID"])),
        activation=data.draw(st.sampled_from(ACTIVATIONS)), mult_kind=data.draw(st.sampled_from(MULT_KINDS)),
        per_channel=data.draw(st.booleans()), bias=data.draw(st.booleans()), act="int16",
        bias_data=_bias(data.draw, cout))
    check_model(model, LoweringContext(rounding=rounding),  # type: ignore[arg-type]
                sanitize=data.draw(st.booleans()))
