"""RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR (int8) against BUILTIN_REF and TFLite Micro:
up- and down-scaling, odd ratios, align_corners and half_pixel_centers."""

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
OPS = ("RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR")


@st.composite
def resize_models(draw: st.DrawFn, op_type: str) -> bytes:
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 5))
    ih, iw = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    oh, ow = draw(st.integers(1, 15)), draw(st.integers(1, 15))
    align, half = draw(st.sampled_from([(False, False), (True, False), (False, True)]))
    zp = draw(st.integers(-128, 127))
    size = TensorSpec((2,), "int32", data=np.array([oh, ow], np.int32))
    return single_op_model(op_type, [TensorSpec((n, ih, iw, c), scale=0.02, zero_point=zp), size],
                           [TensorSpec((n, oh, ow, c), scale=0.02, zero_point=zp)],
                           {"align_corners": align, "half_pixel_centers": half})


@pytest.mark.parametrize("op_type", OPS)
@settings(max_examples=4, **SETTINGS)
@given(data=st.data())
def test_resize_matches_reference(op_type: str, data: st.DataObject) -> None:
    check_models(data.draw(st.lists(resize_models(op_type), min_size=10, max_size=10)))


@pytest.mark.parametrize("op_type", OPS)
@settings(max_examples=2, **SETTINGS)
@given(data=st.data())
def test_resize_matches_tflite_micro(op_type: str, data: st.DataObject) -> None:
    check_models(data.draw(st.lists(resize_models(op_type), min_size=8, max_size=8)),
                 LoweringContext(rounding="tflm"))


@settings(max_examples=1, **SETTINGS)
@given(data=st.data())
def test_resize_sanitized(data: st.DataObject) -> None:
    models = [data.draw(resize_models(op)) for op in OPS for _ in range(5)]
    check_models(models, sanitize=True)


@pytest.mark.parametrize("op_type", OPS)
def test_resize_exact_scales(op_type: str) -> None:
    """The converter's usual cases: x2 upsampling with each option, and extreme values."""
    models = []
    for align, half in [(False, False), (True, False), (False, True)]:
        for (ih, iw), (oh, ow) in [((4, 4), (8, 8)), ((3, 5), (6, 10)), ((8, 8), (4, 4))]:
            size = TensorSpec((2,), "int32", data=np.array([oh, ow], np.int32))
            models.append(single_op_model(op_type, [TensorSpec((1, ih, iw, 3), scale=0.1), size],
                                          [TensorSpec((1, oh, ow, 3), scale=0.1)],
                                          {"align_corners": align, "half_pixel_centers": half}))
    check_models(models, seed=5)


def test_resize_rejects_non_constant_size() -> None:
    model = single_op_model("RESIZE_BILINEAR", [TensorSpec((1, 2, 2, 1), scale=0.1),
                                                TensorSpec((2,), "int32")],
                            [TensorSpec((1, 4, 4, 1), scale=0.1)])
    graph = load_tflite_bytes(model)
    with pytest.raises(UnsupportedOpError, match=r"RESIZE_BILINEAR at index 0: the output size"):
        lowering_for("RESIZE_BILINEAR")(graph, graph.ops[0], LoweringContext())
