"""DETECTION_POSTPROCESS (TFLite_Detection_PostProcess, float32; edgekit/kernels/detection.py,
ek_detection.c) against TF's interpreter (its one kernel) and TFLite Micro: random boxes,
anchors and scores on a coarse grid (so equal scores are common, as with int8-derived ones),
fast and regular NMS, one or several classes per detection, with and without a background
column; ASan+UBSan. The slots TF leaves unwritten (past num_detections) are not compared;
the kernel writes zeros there (checked)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from batch_harness import check_models
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from support.reference import run_oracle

from edgekit.kernels.detection import scratch_bytes
from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpus"))
from make_corpus_detect import postprocess_model  # noqa: E402

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow],
            "phases": [Phase.explicit, Phase.reuse, Phase.generate]}


def defined_outputs(model: bytes, inputs: list[np.ndarray], rounding: str) -> list[np.ndarray]:
    """The oracle's outputs with the slots it leaves unwritten set to 0 (as the kernel has
    them). TFLite Micro packs fast NMS's detections (one class each: the lowering refuses
    more)."""
    graph = load_tflite_bytes(model)
    o = graph.ops[0].options
    boxes, classes, scores, num = (np.array(x, dtype=np.float32) for x in run_oracle(model, inputs, rounding))
    count = int(num.reshape(-1)[0])
    per_det = int(o["max_classes_per_detection"])
    written = np.zeros(boxes.shape[1], dtype=bool)
    if o["use_regular_nms"] or rounding == "tflm":
        written[:count] = True
    else:
        for k in range(count):
            written[k * per_det:k * per_det + min(per_det, int(o["num_classes"]))] = True
    boxes[0, ~written], classes[0, ~written], scores[0, ~written] = 0.0, 0.0, 0.0
    return [boxes, classes, scores, num]


@st.composite
def cases(draw: st.DrawFn, tflm: bool = False) -> tuple[tuple[Any, ...], list[np.ndarray]]:
    """(postprocess_model's arguments, the inputs): the model is built in the test (TF's
    import would touch the `random` module inside the strategy)."""
    n = draw(st.integers(1, 24))
    classes = draw(st.integers(1, 5))
    columns = classes + draw(st.integers(0, 1))
    stride = draw(st.sampled_from([4, 4, 6]))
    regular = draw(st.booleans())
    per_det = draw(st.integers(1, 3))
    if tflm and not regular and classes > 1:
        per_det = 1  # TFLite Micro writes past its outputs with more (refused, below)
    options: dict[str, Any] = {
        "max_detections": draw(st.integers(1, 8)), "max_classes_per_detection": per_det,
        "detections_per_class": draw(st.integers(1, 6)), "use_regular_nms": regular,
        "nms_score_threshold": draw(st.sampled_from([0.0, 0.25, 0.5, 0.7])),
        "nms_iou_threshold": draw(st.sampled_from([0.1, 0.3, 0.5, 0.6, 1.0])),
        "num_classes": classes, "y_scale": draw(st.sampled_from([1.0, 10.0])), "x_scale": 10.0,
        "h_scale": draw(st.sampled_from([1.0, 5.0])), "w_scale": 5.0,
    }
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    centres = rng.uniform(0.0, 1.0, (n, 2))
    sizes = rng.uniform(0.05, 0.6, (n, 2))
    anchors = np.concatenate([centres, sizes], axis=1).astype(np.float32)
    if draw(st.booleans()):  # repeated anchors: identical decoded boxes (IoU 1)
        anchors[n // 2:] = anchors[: n - n // 2]
    boxes = rng.normal(0.0, 2.0, (1, n, stride)).astype(np.float32)
    levels = draw(st.sampled_from([4, 8, 256]))  # few levels: many equal scores
    scores = (rng.integers(0, levels, (1, n, columns)) / levels).astype(np.float32)
    return (n, stride, columns, options, anchors), [boxes, scores]


@settings(max_examples=12, **SETTINGS)
@given(batch=st.lists(cases(), min_size=4, max_size=4))
def test_detection_postprocess_matches_tf(batch: list[tuple[tuple[Any, ...], list[np.ndarray]]]) -> None:
    check_models([postprocess_model(*m) for m, _ in batch], LoweringContext(rounding="tflite"), sanitize=True,
                 inputs=[x for _, x in batch], oracle=defined_outputs)


@settings(max_examples=12, **SETTINGS)
@given(batch=st.lists(cases(tflm=True), min_size=4, max_size=4))
def test_detection_postprocess_matches_tflm(batch: list[tuple[tuple[Any, ...], list[np.ndarray]]]) -> None:
    check_models([postprocess_model(*m) for m, _ in batch], LoweringContext(rounding="tflm"), sanitize=True,
                 inputs=[x for _, x in batch], oracle=defined_outputs)


def _options(**changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "max_detections": 3, "max_classes_per_detection": 1, "detections_per_class": 2, "use_regular_nms": False,
        "nms_score_threshold": 0.0, "nms_iou_threshold": 0.5, "num_classes": 3, "y_scale": 10.0, "x_scale": 10.0,
        "h_scale": 5.0, "w_scale": 5.0}
    return {**options, **changes}


def test_tie_orders() -> None:
    """One anchor, six equal class scores, six classes per detection: TF's order is
    libstdc++'s partial_sort's ([3, 4, 1, 0, 2, 5]), not the index order; TFLite Micro's is
    the index order (its fast layout is checked above with one class per detection)."""
    model = postprocess_model(1, 4, 6, _options(max_detections=1, max_classes_per_detection=6, num_classes=6),
                              np.array([[0.5, 0.5, 0.2, 0.2]], np.float32))
    x = [np.zeros((1, 1, 4), np.float32), np.full((1, 1, 6), 0.75, np.float32)]
    assert defined_outputs(model, x, "tflite")[1].reshape(-1).tolist() == [3, 4, 1, 0, 2, 5]
    check_models([model], LoweringContext(rounding="tflite"), inputs=[x], oracle=defined_outputs)


def test_refusals() -> None:
    from edgekit.errors import UnsupportedOpError
    from edgekit.kernels.lowering import lower_op

    anchors = np.full((4, 4), 0.5, np.float32)
    several = postprocess_model(4, 4, 3, _options(max_classes_per_detection=2), anchors)
    graph = load_tflite_bytes(several)
    lower_op(graph, graph.ops[0], LoweringContext(rounding="tflite"))
    with pytest.raises(UnsupportedOpError, match="writes past its outputs"):
        lower_op(graph, graph.ops[0], LoweringContext(rounding="tflm"))
    anchors[1, 2] = 0.0
    graph = load_tflite_bytes(postprocess_model(4, 4, 3, _options(), anchors))
    with pytest.raises(UnsupportedOpError, match="positive height and width"):
        lower_op(graph, graph.ops[0], LoweringContext())
    graph = load_tflite_bytes(postprocess_model(4, 4, 5, _options(), np.full((4, 4), 0.5, np.float32)))
    with pytest.raises(UnsupportedOpError, match="at most one background column"):
        lower_op(graph, graph.ops[0], LoweringContext())


def test_scratch_size_formula() -> None:
    # decoded boxes (4n) + 6 n-word arrays + n bytes + the class orders / merge buffers
    assert scratch_bytes(10, 3, 5, regular=False) == 4 * (40 + 60 + 3 + 30)
    assert scratch_bytes(10, 3, 5, regular=True) == 4 * (40 + 60 + 3 + 15 + 30 + 5)
