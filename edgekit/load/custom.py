"""Custom ops the loader reads: the TFLite custom code -> an edgekit op type and its options.

Only TFLite_Detection_PostProcess (the SSD post-processing op of TF's object-detection
export, which TF and TFLite Micro both register) is known. Its options are a flexbuffer
map; they are read here with the flatbuffers package's flexbuffers module, with TF's
defaults for the keys an exporter may leave out (detections_per_class 100,
use_regular_nms false).
"""

from __future__ import annotations

from typing import Any

from edgekit.errors import ModelError, UnsupportedOpError

DETECTION_POSTPROCESS = "TFLite_Detection_PostProcess"
_INT_KEYS = ("max_detections", "max_classes_per_detection", "num_classes")
_FLOAT_KEYS = ("nms_score_threshold", "nms_iou_threshold", "y_scale", "x_scale", "h_scale", "w_scale")
CUSTOM_OPS = {DETECTION_POSTPROCESS: "DETECTION_POSTPROCESS"}


def custom_op(custom_code: str, raw_options: bytes, index: int, where: str) -> tuple[str, dict[str, Any]]:
    """(op type, options) of a CUSTOM operator; UnsupportedOpError for an unknown code."""
    if custom_code not in CUSTOM_OPS:
        raise UnsupportedOpError(f"CUSTOM ({custom_code})", index)
    return CUSTOM_OPS[custom_code], detection_postprocess_options(raw_options, f"{where}: op {index} ({custom_code})")


def detection_postprocess_options(raw: bytes, where: str) -> dict[str, Any]:
    from flatbuffers import flexbuffers

    try:
        root = flexbuffers.GetRoot(bytearray(raw))
        if not root.IsMap:
            raise ValueError("not a map")
        values = root.AsMap.Value
    except (IndexError, ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"{where}: its custom options are not a flexbuffer map ({exc})") from None
    options: dict[str, Any] = {}
    for key in (*_INT_KEYS, *_FLOAT_KEYS):
        if key not in values:
            raise ModelError(f"{where}: custom option {key!r} is missing")
    try:
        for key in _INT_KEYS:
            options[key] = int(values[key])
        for key in _FLOAT_KEYS:
            options[key] = float(values[key])
        options["detections_per_class"] = int(values.get("detections_per_class", 100))
        options["use_regular_nms"] = bool(values.get("use_regular_nms", False))
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{where}: a custom option is not a number ({exc})") from None
    return options
