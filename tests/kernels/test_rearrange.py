"""SLICE, REVERSE_V2, SPACE_TO_DEPTH, DEPTH_TO_SPACE, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND,
MIRROR_PAD, TILE and STRIDED_SLICE with `offset` against BUILTIN_REF and TFLite Micro."""

from __future__ import annotations

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.tflite_builder import TensorSpec, single_op_model

from edgekit.errors import UnsupportedOpError
from edgekit.kernels.lowering import LoweringContext, lowering_for
from edgekit.load import load_tflite_bytes

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
dims = st.lists(st.integers(1, 5), min_size=1, max_size=4)
DTYPES = st.sampled_from(["int8", "int8", "int32"])


def spec(shape, dtype: str = "int8", zero_point: int = -3) -> TensorSpec:
    q = {"scale": 0.05, "zero_point": zero_point} if dtype == "int8" else {}
    return TensorSpec(tuple(shape), dtype, **q)


def i32(values) -> TensorSpec:
    values = np.asarray(values, dtype=np.int32)
    return TensorSpec(values.shape, "int32", data=values)


@st.composite
def slice_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    begin = [draw(st.integers(0, d - 1)) for d in shape]
    size = [draw(st.sampled_from([-1, draw(st.integers(0, d - b))])) for d, b in zip(shape, begin)]
    out = [d - b if n == -1 else n for d, b, n in zip(shape, begin, size)]
    return single_op_model("SLICE", [spec(shape, dtype), i32(begin), i32(size)], [spec(out, dtype)])


@st.composite
def reverse_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    axis = draw(st.integers(-len(shape), len(shape) - 1))  # TFLite takes one axis
    return single_op_model("REVERSE_V2", [spec(shape, dtype), i32([axis])], [spec(shape, dtype)])


@st.composite
def depth_models(draw: st.DrawFn) -> bytes:
    bs, n = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    h, w, c = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 4))
    if draw(st.booleans()):
        return single_op_model("SPACE_TO_DEPTH", [spec((n, h * bs, w * bs, c))],
                               [spec((n, h, w, c * bs * bs))], {"block_size": bs})
    return single_op_model("DEPTH_TO_SPACE", [spec((n, h, w, c * bs * bs))],
                           [spec((n, h * bs, w * bs, c))], {"block_size": bs})


@st.composite
def batch_space_models(draw: st.DrawFn, padded: bool = True) -> bytes:
    """`padded=False`: SPACE_TO_BATCH_ND without padding (TFLite Micro leaves padding
    unwritten, see test_tflite_micro_leaves_space_to_batch_padding_unwritten)."""
    m = 2  # 4-D; the 3-D form is where TFLite Micro is wrong (see tests/test_verify.py)
    block = [draw(st.integers(1, 3)) for _ in range(m)]
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    zp = draw(st.integers(-128, 127))
    if draw(st.booleans()):
        spatial = [draw(st.integers(1, 5)) for _ in range(m)]
        pads = []
        for s, b in zip(spatial, block):
            a = draw(st.integers(0, 2))
            total = -(-(s + a) // b) * b + b * draw(st.integers(0, 1))
            pads.append([a, total - s - a])
        if not padded:  # the same output from an input that needs no padding
            spatial = [s + a + e for s, (a, e) in zip(spatial, pads)]
            pads = [[0, 0] for _ in spatial]
        out = [n * block[0] * block[1]] + [(s + a + e) // b for s, (a, e), b in zip(spatial, pads, block)]
        return single_op_model("SPACE_TO_BATCH_ND", [spec((n, *spatial, c), zero_point=zp), i32(block),
                                                     i32(pads)], [spec((*out, c), zero_point=zp)])
    spatial = [draw(st.integers(1, 4)) for _ in range(m)]
    crops = []
    for s, b in zip(spatial, block):
        a = draw(st.integers(0, s * b - 1))
        crops.append([a, draw(st.integers(0, s * b - 1 - a))])
    out = [n] + [s * b - a - e for s, b, (a, e) in zip(spatial, block, crops)]
    return single_op_model("BATCH_TO_SPACE_ND", [spec((n * block[0] * block[1], *spatial, c), zero_point=zp),
                                                 i32(block), i32(crops)], [spec((*out, c), zero_point=zp)])


@st.composite
def mirror_pad_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    mode = draw(st.sampled_from([0, 1]))  # REFLECT, SYMMETRIC
    pads = [[draw(st.integers(0, d - 1 + mode)), draw(st.integers(0, d - 1 + mode))] for d in shape]
    out = [d + a + b for d, (a, b) in zip(shape, pads)]
    return single_op_model("MIRROR_PAD", [spec(shape, dtype), i32(pads)], [spec(out, dtype)], {"mode": mode})


@st.composite
def tile_models(draw: st.DrawFn) -> bytes:
    shape, dtype = draw(dims), draw(DTYPES)
    multiples = [draw(st.integers(1, 3)) for _ in shape]
    out = [d * k for d, k in zip(shape, multiples)]
    return single_op_model("TILE", [spec(shape, dtype), i32(multiples)], [spec(out, dtype)])


@st.composite
def offset_slice_models(draw: st.DrawFn) -> bytes:
    """STRIDED_SLICE with offset=True, slices inside the tensor (TFLite does not clamp)."""
    shape = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    begin, size, strides = [], [], []
    begin_mask = 0
    out = []
    for i, d in enumerate(shape):
        s = draw(st.sampled_from([1, 1, 2, -1]))
        start = draw(st.integers(0, d - 1))
        if draw(st.booleans()):
            begin_mask |= 1 << i
            start = 0 if s > 0 else d - 1
        # (a negative stride stops before index 0: TFLite misreads a slice down to 0)
        n = draw(st.integers(0, d - start)) if s > 0 else -draw(st.integers(0, start))
        b = start - d if draw(st.booleans()) else start  # negative begins too
        begin.append(b)
        size.append(n)
        strides.append(s)
        out.append(len(range(start, start + n, s)))
    return single_op_model("STRIDED_SLICE", [spec(shape), i32(begin), i32(size), i32(strides)],
                           [spec(out)], {"offset": True, "begin_mask": begin_mask})


MAKERS = {"SLICE": slice_models, "REVERSE_V2": reverse_models, "DEPTH": depth_models,
          "BATCH_SPACE": batch_space_models, "MIRROR_PAD": mirror_pad_models}
TF_ONLY = {"TILE": tile_models, "STRIDED_SLICE_OFFSET": offset_slice_models}  # TFLM lacks/ignores them


@pytest.mark.parametrize("kind", list(MAKERS) + list(TF_ONLY))
@settings(max_examples=3, **SETTINGS)
@given(data=st.data())
def test_rearrange_ops(kind: str, data: st.DataObject) -> None:
    make = {**MAKERS, **TF_ONLY}[kind]
    check_models(data.draw(st.lists(make(), min_size=8, max_size=8)))


TFLM_MAKERS = {**MAKERS, "BATCH_SPACE": lambda: batch_space_models(padded=False)}


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_rearrange_tflite_micro(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in TFLM_MAKERS.values() for _ in range(4)],
                 LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_rearrange_sanitized(data: st.DataObject) -> None:
    check_models([data.draw(make()) for make in {**MAKERS, **TF_ONLY}.values() for _ in range(3)],
                 sanitize=True)


def test_space_to_batch_pads_with_the_zero_point() -> None:
    models = [single_op_model("SPACE_TO_BATCH_ND", [spec((1, 3, 4, 2), zero_point=zp), i32([2, 2]),
                                                    i32([[1, 0], [1, 1]])],
                              [spec((4, 2, 3, 2), zero_point=zp)]) for zp in (-128, 0, 77)]
    check_models(models)


def test_tflite_micro_leaves_space_to_batch_padding_unwritten() -> None:
    """Why edgekit pads as TFLite under --rounding tflm too: TFLite Micro's padded elements
    are whatever its arena held (here: a freed 0x55 block reused by the allocator)."""
    from tflite_micro.python.tflite_micro import runtime

    model = single_op_model("SPACE_TO_BATCH_ND", [spec((1, 3, 4, 2), zero_point=-128), i32([2, 2]),
                                                  i32([[1, 0], [1, 1]])], [spec((4, 2, 3, 2), zero_point=-128)])
    seen = set()
    for _ in range(6):
        junk = np.full(4 << 20, 0x55, np.uint8)
        del junk
        interpreter = runtime.Interpreter.from_bytes(model, arena_size=4 << 20)
        interpreter.set_input(np.full((1, 3, 4, 2), 7, np.int8), 0)
        interpreter.invoke()
        seen |= set(np.array(interpreter.get_output(0)).reshape(-1).tolist()) - {7}
        del interpreter
    assert seen - {-128}, "TFLite Micro now writes the padding: pad as it does under tflm"


def test_offset_slice_leaving_the_tensor_is_refused() -> None:
    model = single_op_model("STRIDED_SLICE", [spec((10,)), i32([2]), i32([20]), i32([1])],
                            [spec((18,))], {"offset": True})
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match="STRIDED_SLICE at index 0: offset slice of axis 0 ends at 22"):
        lowering_for("STRIDED_SLICE")(graph, graph.ops[0], LoweringContext())


def test_mirror_pad_too_wide_is_refused() -> None:
    model = single_op_model("MIRROR_PAD", [spec((3,)), i32([[3, 0]])], [spec((6,))], {"mode": 0})
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match="MIRROR_PAD at index 0: axis 0: padding"):
        lowering_for("MIRROR_PAD")(graph, graph.ops[0], LoweringContext())
