"""The SSD-style detection model (tests/corpus/ssd_head.tflite, make_corpus_detect.py): an
int8 head, DEQUANTIZE, TFLite_Detection_PostProcess in float32. Bit-exact under
ASan+UBSan on the host and on qemu-cortex-m4 over serial, in both rounding modes (the
plain host runs are tests/test_verify.py's corpus runs); `inspect` marks the op float;
the loader's custom-op errors are one line."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.cli import main
from edgekit.errors import ModelError, UnsupportedOpError
from edgekit.load import load_tflite, load_tflite_bytes
from edgekit.verify import verify_model

CORPUS = Path(__file__).resolve().parent / "corpus"
MODEL = CORPUS / "ssd_head.tflite"


@pytest.mark.slow
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_ssd_head_sanitized(rounding: str, tmp_path: Path) -> None:
    result = verify_model(MODEL, samples=3, sanitize=True, rounding=rounding, work_dir=tmp_path, seed=11)
    assert (result.bit_exact, result.max_abs_diff) == (3, 0), result


@pytest.mark.qemu
@pytest.mark.parametrize("rounding", ["tflite", "tflm"])
def test_ssd_head_on_qemu_cortex_m4(rounding: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    result = verify_model(MODEL, board="qemu-cortex-m4", samples=3, rounding=rounding, work_dir=tmp_path, seed=5)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (3, 3, 0), result


def test_loader_reads_the_custom_options() -> None:
    op = load_tflite(MODEL).ops[-1]
    assert op.type == "DETECTION_POSTPROCESS"
    sys.path.insert(0, str(CORPUS))
    from make_corpus_detect import OPTIONS

    assert op.options == pytest.approx(OPTIONS)


def test_inspect_marks_it_float(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", str(MODEL), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    status = {op["type"]: op["status"] for op in summary["ops"]}
    assert status["DETECTION_POSTPROCESS"] == "float" and status["CONV_2D"] == "supported"
    assert summary["float_ops"] == 1 and summary["unsupported_ops"] == 0


def _with_custom(code: bytes, options: bytes | None) -> bytes:
    """ssd_head.tflite with the custom op's code or options replaced (same lengths or
    rebuilt through the schema's object API)."""
    from tensorflow.lite.python import schema_py_generated as s

    m = s.ModelT.InitFromObj(s.Model.GetRootAs(MODEL.read_bytes(), 0))
    for c in m.operatorCodes:
        if c.customCode:
            c.customCode = code
    if options is not None:
        m.subgraphs[0].operators[-1].customOptions = list(options)
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(m.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_other_custom_ops_stay_unsupported() -> None:
    with pytest.raises(UnsupportedOpError, match=r"unsupported op CUSTOM \(MyOp\) at index 16"):
        load_tflite_bytes(_with_custom(b"MyOp", None))


def test_bad_custom_options_are_one_line() -> None:
    from flatbuffers import flexbuffers

    with pytest.raises(ModelError, match=r"op 16 \(TFLite_Detection_PostProcess\): custom option 'max_classes_per_detection' is missing"):
        load_tflite_bytes(_with_custom(b"TFLite_Detection_PostProcess",
                                       bytes(flexbuffers.Dumps({"max_detections": 3}))))
    with pytest.raises(ModelError, match="not a flexbuffer map"):
        load_tflite_bytes(_with_custom(b"TFLite_Detection_PostProcess", bytes(flexbuffers.Dumps([1, 2]))))
    assert np.isfinite(load_tflite(MODEL).ops[-1].options["nms_iou_threshold"])
