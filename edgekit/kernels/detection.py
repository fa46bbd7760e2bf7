"""DETECTION_POSTPROCESS (the custom op TFLite_Detection_PostProcess) on the float32 fallback.

TF's kernel takes uint8 or float32 inputs and TFLite Micro's decodes float32 only, so an
int8 SSD model has DEQUANTIZE in front of the op and the op runs in float: box encodings
[1, boxes, >=4] and class scores [1, boxes, classes (+1 background)] as float32, the
anchors [boxes, 4] a constant (y, x, h, w) in flash, four float32 outputs (boxes, classes,
scores, num_detections). firmware/kernels/ek_detection.c computes what TF's kernel
computes; every shape, option check and the scratch size is decided here, where TF's
Prepare and Eval would fail the invoke.

Where scores tie, fast NMS's per-anchor top-k class sort (several classes per detection)
comes out in TF's order (libstdc++'s std::partial_sort, reproduced) under `--rounding
tflite` and in TFLite Micro's ((score, index) total order) under `tflm`. The stable sorts
of NMS, and regular NMS's merge of the classes (TF 2.21's interpreter keeps equal scores in
order there, measured), are the same in both. TFLite Micro packs fast NMS's detections
(slot k, not k * max_classes_per_detection, when one class per detection is kept) and
writes past its outputs with more: refused under `tflm`. TFLite Micro fails the invoke on
a degenerate decoded box (ymin == ymax); TF and this kernel give it IoU 0.
"""

from __future__ import annotations

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_float, c_float_value, c_struct, cname, require
from edgekit.kernels.float32 import require_float
from edgekit.kernels.lowering import ConstArray, ConstStruct, LoweringContext, OpLowering, register_float

HEADER = "ek_detection.h"


def scratch_bytes(num_boxes: int, num_classes: int, max_detections: int, regular: bool) -> int:
    """The twin of ek_detpp_get_buffer_size (ek_detection.c)."""
    merged = num_boxes + max_detections if regular else 0
    class_order = merged if regular else num_boxes * num_classes
    return 4 * (10 * num_boxes + (num_boxes + 3) // 4 + class_order + 2 * merged
                + (max_detections if regular else 0))


@register_float("DETECTION_POSTPROCESS")
def lower_detection_postprocess(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    o = op.options
    require(len(op.inputs) == 3 and len(op.outputs) == 4, op, "needs 3 inputs and 4 outputs")
    boxes, scores, anchors = (graph.tensors[i] for i in op.inputs)
    outs = [graph.tensors[i] for i in op.outputs]
    require_float(op, boxes, scores, *outs)
    require(not boxes.is_constant and not scores.is_constant, op, "box encodings and scores must be activations")
    require(anchors.is_constant and anchors.dtype == "float32", op,
            "the anchors must be a constant float32 tensor (a quantized anchor tensor is not supported)")
    require(len(boxes.shape) == 3 and len(scores.shape) == 3 and len(anchors.shape) == 2, op,
            "box encodings and scores must be 3-D, anchors 2-D")
    n = int(boxes.shape[1])
    require(int(boxes.shape[0]) == 1 and int(scores.shape[0]) == 1, op, "batch size must be 1")
    require(int(boxes.shape[2]) >= 4, op, "box encodings need at least 4 values per box")
    require(int(scores.shape[1]) == n and tuple(int(d) for d in anchors.shape) == (n, 4), op,
            f"scores {list(scores.shape)} and anchors {list(anchors.shape)} do not match {n} boxes")
    classes, columns = int(o["num_classes"]), int(scores.shape[2])
    require(classes >= 1 and 0 <= columns - classes <= 1, op,
            f"{columns} score columns for num_classes {classes} (at most one background column)")
    max_det, per_det = int(o["max_detections"]), int(o["max_classes_per_detection"])
    per_class, regular = int(o["detections_per_class"]), bool(o["use_regular_nms"])
    require(max_det >= 1 and per_det >= 1, op, "max_detections and max_classes_per_detection must be >= 1")
    require(not regular or per_class >= 1, op, "detections_per_class must be >= 1")
    iou = np.float32(o["nms_iou_threshold"])
    require(bool(0.0 < iou <= 1.0), op, f"nms_iou_threshold {float(iou)} is not in (0, 1]")
    scales = [np.float32(o[k]) for k in ("y_scale", "x_scale", "h_scale", "w_scale")]
    require(all(np.isfinite(s) and s != 0 for s in scales), op, "box scales must be finite and non-zero")
    a = np.asarray(anchors.data, dtype=np.float32).reshape(n, 4)
    require(bool(np.all(np.isfinite(a))) and bool(np.all(a[:, 2:] > 0)), op,
            "anchors must be finite with positive height and width (TF fails on inverted boxes)")
    # TFLite Micro's fast NMS writes detection k's class c at slot per_anchor * (running
    # count) + c: packed for one class per detection, past its outputs for more.
    require(ctx.rounding != "tflm" or regular or min(per_det, classes) == 1, op,
            "TFLite Micro's fast NMS with several classes per detection writes past its outputs; "
            "use --rounding tflite (TF's layout)")
    slots = max_det * per_det
    for t, shape in zip(outs, ((1, slots, 4), (1, slots), (1, slots), (1,))):
        require(t.num_elements == int(np.prod(shape)), op, f"output {t.name} {list(t.shape)} is not {list(shape)}")
    table = ConstArray(cname(op, "anchors"), "float", a.reshape(-1))
    params = ConstStruct(cname(op, "params"), "ek_detpp_params_t", c_struct(
        num_boxes=n, box_stride=int(boxes.shape[2]), num_classes=classes, score_columns=columns,
        max_detections=max_det, max_classes_per_detection=per_det, detections_per_class=per_class,
        use_regular_nms=int(regular), ties="EK_DETPP_TIES_TFLM" if ctx.rounding == "tflm" else "EK_DETPP_TIES_TF",
        score_threshold=c_float_value(o["nms_score_threshold"]), iou_threshold=c_float(iou),
        y_scale=c_float(scales[0]), x_scale=c_float(scales[1]), h_scale=c_float(scales[2]),
        w_scale=c_float(scales[3]), anchors=f"{{c:{table.name}}}"))
    return OpLowering(call=f"ek_f32_detection_postprocess(&{{c:{params.name}}}, (const float *){{in0}}, "
                           "(const float *){in1}, (float *){out0}, (float *){out1}, (float *){out2}, "
                           "(float *){out3}, {scratch});",
                      headers=[HEADER], constants=[table, params],
                      scratch_bytes=scratch_bytes(n, classes, max_det, regular))
