"""Regenerate the SSD-style detection model of the test corpus (tests/corpus/ssd_head.tflite).

A converter-built Keras 3 int8 head (conv features, box and class conv heads per feature
map, reshape, concatenation, logistic), then TFLite_Detection_PostProcess appended the way
TF's object-detection export has it: DEQUANTIZE of the box encodings and of the class
scores, the anchors as a constant float32 tensor, the custom op with its flexbuffer
options, four float32 outputs (boxes, classes, scores, num_detections). The converter adds
that op from a tf.function custom op; here the flatbuffer is edited with the TFLite schema's
object API instead. Rebuild with `python tests/corpus/make_corpus_detect.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_corpus_movement import _convert  # noqa: E402

CUSTOM_CODE = "TFLite_Detection_PostProcess"
NUM_CLASSES = 4  # plus a background class in the scores (5 columns: not the boxes' 4)
ANCHORS_PER_CELL = 2
GRIDS = (4, 2)  # the two feature maps of a 16x16 input
OPTIONS: dict[str, Any] = {
    "max_detections": 10, "max_classes_per_detection": 1, "detections_per_class": 100,
    "use_regular_nms": False, "nms_score_threshold": 1e-8, "nms_iou_threshold": 0.5,
    "num_classes": NUM_CLASSES, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
}


def anchors() -> np.ndarray:
    """(y, x, h, w) per box, in the heads' order: grid row, column, anchor."""
    rows = []
    for grid in GRIDS:
        for i in range(grid):
            for j in range(grid):
                for a in range(ANCHORS_PER_CELL):
                    size = (0.6 if grid == 2 else 0.3) * (1.0 + 0.5 * a)
                    rows.append(((i + 0.5) / grid, (j + 0.5) / grid, size, size * (1.25 if a else 0.8)))
    return np.array(rows, dtype=np.float32)


def keras_head():  # type: ignore[no-untyped-def]
    import keras
    from keras import layers as L

    inp = keras.Input((16, 16, 3), batch_size=1)
    f1 = L.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)
    f1 = L.Conv2D(12, 3, strides=2, padding="same", activation="relu")(f1)  # 4x4
    f2 = L.Conv2D(16, 3, strides=2, padding="same", activation="relu")(f1)  # 2x2
    boxes, scores = [], []
    for f in (f1, f2):
        b = L.Conv2D(4 * ANCHORS_PER_CELL, 3, padding="same")(f)
        c = L.Conv2D((NUM_CLASSES + 1) * ANCHORS_PER_CELL, 3, padding="same")(f)
        boxes.append(L.Reshape((-1, 4))(b))
        scores.append(L.Reshape((-1, NUM_CLASSES + 1))(c))
    box = L.Concatenate(axis=1, name="box_encodings")(boxes)
    cls = L.Activation("sigmoid", name="class_scores")(L.Concatenate(axis=1)(scores))
    return keras.Model(inp, [box, cls])


class _Edit:
    """Append tensors, operator codes and operators to subgraph 0 of a ModelT."""

    def __init__(self, model: Any) -> None:
        from tensorflow.lite.python import schema_py_generated as s

        self.s, self.m, self.g = s, model, model.subgraphs[0]

    def tensor(self, name: str, shape: list[int], data: np.ndarray | None = None) -> int:
        t = self.s.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), shape, self.s.TensorType.FLOAT32, 0
        if data is not None:
            b = self.s.BufferT()
            b.data = list(np.ascontiguousarray(data, dtype="<f4").tobytes())
            self.m.buffers.append(b)
            t.buffer = len(self.m.buffers) - 1
        self.g.tensors.append(t)
        return len(self.g.tensors) - 1

    def operator(self, builtin: int, inputs: list[int], outputs: list[int], custom: str | None = None,
                 options: bytes | None = None) -> None:
        c = self.s.OperatorCodeT()
        c.builtinCode, c.deprecatedBuiltinCode, c.version = builtin, min(builtin, 127), 1
        if custom is not None:
            c.customCode = custom.encode()
        self.m.operatorCodes.append(c)
        op = self.s.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = len(self.m.operatorCodes) - 1, inputs, outputs
        if options is not None:
            op.customOptions = list(options)
            op.customOptionsFormat = self.s.CustomOptionsFormat.FLEXBUFFERS
        self.g.operators.append(op)

    def postprocess(self, inputs: list[int], options: dict[str, Any], anchor_values: np.ndarray) -> list[int]:
        """TFLite_Detection_PostProcess on float box encodings and scores; its 4 outputs."""
        from flatbuffers import flexbuffers

        anchor = self.tensor("anchors", list(anchor_values.shape), anchor_values)
        n = int(options["max_detections"]) * int(options["max_classes_per_detection"])
        outs = [self.tensor("detection_boxes", [1, n, 4]), self.tensor("detection_classes", [1, n]),
                self.tensor("detection_scores", [1, n]), self.tensor("num_detections", [1])]
        self.operator(self.s.BuiltinOperator.CUSTOM, [*inputs, anchor], outs, CUSTOM_CODE,
                      bytes(flexbuffers.Dumps(options)))
        return outs

    def finish(self) -> bytes:
        import flatbuffers

        self.m.signatureDefs = []
        builder = flatbuffers.Builder(1024)
        builder.Finish(self.m.Pack(builder), file_identifier=b"TFL3")
        return bytes(builder.Output())


def append_postprocess(model: bytes, options: dict[str, Any], anchor_values: np.ndarray) -> bytes:
    """The int8 head with DEQUANTIZE -> TFLite_Detection_PostProcess appended."""
    from tensorflow.lite.python import schema_py_generated as s

    edit = _Edit(s.ModelT.InitFromObj(s.Model.GetRootAs(model, 0)))
    heads = list(edit.g.outputs)
    if list(edit.g.tensors[heads[0]].shape)[-1] != 4:  # the converter may list them in either order
        heads.reverse()
    floats = []
    for i in heads:
        t = edit.g.tensors[i]
        floats.append(edit.tensor(t.name.decode() + "_float", list(t.shape)))
        edit.operator(s.BuiltinOperator.DEQUANTIZE, [i], [floats[-1]])
    edit.g.outputs = edit.postprocess(floats, options, anchor_values)
    return edit.finish()


def postprocess_model(num_boxes: int, box_stride: int, columns: int, options: dict[str, Any],
                      anchor_values: np.ndarray) -> bytes:
    """A one-op model: float32 box encodings and scores in, the op's four outputs out."""
    from tensorflow.lite.python import schema_py_generated as s

    m = s.ModelT()
    m.version, m.subgraphs, m.buffers, m.operatorCodes = 3, [s.SubGraphT()], [s.BufferT()], []
    m.subgraphs[0].tensors, m.subgraphs[0].operators = [], []
    edit = _Edit(m)
    inputs = [edit.tensor("box_encodings", [1, num_boxes, box_stride]),
              edit.tensor("class_predictions", [1, num_boxes, columns])]
    edit.g.inputs = inputs
    edit.g.outputs = edit.postprocess(inputs, options, anchor_values)
    return edit.finish()


def build(options: dict[str, Any] | None = None) -> bytes:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(3)
    head = _convert(keras_head(), lambda rng: [rng.normal(0.0, 1.0, size=(1, 16, 16, 3)).astype(np.float32)])
    return append_postprocess(head, options or OPTIONS, anchors())


if __name__ == "__main__":
    (HERE / "ssd_head.tflite").write_bytes(build())
    print("wrote", HERE / "ssd_head.tflite")
