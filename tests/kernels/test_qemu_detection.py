"""DETECTION_POSTPROCESS cross-compiled for qemu-cortex-m4 (FPv4-SP hard float, software
double for the box decoding, the toolchain's exp): random fast and regular NMS cases with
many equal scores, in TF's and TFLite Micro's tie order and layout, bit-exact with each
oracle (the slots TF leaves unwritten aside, as in test_detection.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from support.qemu_harness import QemuCase, available, run_cases
from test_detection import defined_outputs, postprocess_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes

pytestmark = [pytest.mark.qemu,
              pytest.mark.skipif(not available(), reason="arm-none-eabi-gcc / qemu-system-arm missing")]


def _case(rng: np.random.Generator, k: int, tflm: bool) -> tuple[bytes, list[np.ndarray]]:
    n, classes = int(rng.integers(6, 40)), int(rng.integers(1, 6))
    columns, regular = classes + k % 2, k % 3 == 0
    per_det = 1 if tflm and not regular else int(rng.integers(1, 4))
    options: dict[str, Any] = {
        "max_detections": int(rng.integers(2, 10)), "max_classes_per_detection": per_det,
        "detections_per_class": int(rng.integers(1, 6)), "use_regular_nms": regular,
        "nms_score_threshold": float(rng.choice([0.0, 0.3, 0.5])), "nms_iou_threshold": float(rng.choice([0.3, 0.5, 0.6])),
        "num_classes": classes, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}
    anchors = np.concatenate([rng.uniform(0, 1, (n, 2)), rng.uniform(0.05, 0.6, (n, 2))], axis=1).astype(np.float32)
    boxes = rng.normal(0.0, 3.0, (1, n, 4)).astype(np.float32)
    scores = (rng.integers(0, 8, (1, n, columns)) / 8).astype(np.float32)
    return postprocess_model(n, 4, columns, options, anchors), [boxes, scores]


@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_detection_postprocess_on_qemu_cortex_m4(rounding: str) -> None:
    rng = np.random.default_rng(7)
    cases = [_case(rng, k, rounding == "tflm") for k in range(8)]
    qcases, expected = [], []
    for model, inputs in cases:
        graph = load_tflite_bytes(model)
        qcases.append(QemuCase(graph, graph.ops[0], inputs))
        expected.append(defined_outputs(model, inputs, rounding))
    results = run_cases(qcases, LoweringContext(rounding=rounding))
    bad = [f"case {i} out{k}: {int((np.asarray(e).reshape(g.shape) != g).sum())}/{g.size} differ"
           for i, (exp, got) in enumerate(zip(expected, results))
           for k, (e, g) in enumerate(zip(exp, got.outputs)) if not np.array_equal(np.asarray(e).reshape(g.shape), g)]
    assert not bad, "; ".join(bad)
    assert all(r.instructions > 0 for r in results)
    assert sum(int(e[3][0]) for e in expected) > 8  # the cases detect something
