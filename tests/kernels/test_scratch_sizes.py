"""OpLowering.scratch_bytes (Python) equals the kernels' *_get_buffer_size() (C) for the
packed kernels, so the memory planner reserves exactly what the device uses (the ASan
runs in the other tests also catch any write beyond it)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest
from support import cases as mk
from support import matmul_cases as mm
from support.csource import render_case
from support.harness import CC, CFLAGS, kernel_library, kernels_dir, lower
from support.sequence_models import SvdfCase, svdf_model

from edgekit.kernels.lowering import LoweringContext
from edgekit.load import load_tflite_bytes


def _detection_model(regular: bool) -> bytes:
    import sys

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "corpus"))
    from make_corpus_detect import OPTIONS, postprocess_model

    options = {**OPTIONS, "use_regular_nms": regular, "max_detections": 7, "num_classes": 3}
    return postprocess_model(13, 5, 4, options, np.full((13, 4), 0.5, np.float32))

SIZE_FUNCTION = {"ek_conv_s8_packed": "ek_conv_s8_packed_get_buffer_size",
                 "ek_conv_s8_packed_grouped": "ek_conv_s8_packed_get_buffer_size",
                 "ek_fully_connected_s8_packed": "ek_fully_connected_s8_packed_get_buffer_size",
                 "ek_depthwise_s8_packed": "ek_depthwise_s8_packed_get_buffer_size",
                 "ek_depthwise_s8_3x3": "ek_depthwise_s8_3x3_get_buffer_size",
                 "ek_transpose_conv_s8_packed": "ek_transpose_conv_s8_packed_get_buffer_size",
                 "ek_batch_matmul_s8_packed": "ek_batch_matmul_s8_packed_get_buffer_size",
                 "ek_lstm_s8": "ek_lstm_s8_get_buffer_size",
                 "ek_svdf_s8": "ek_svdf_s8_get_buffer_size",
                 "ek_f32_detection_postprocess": "ek_detpp_get_buffer_size"}

MODELS = [
    mk.conv_model(1, 1, 9, 7, 8, 12, 3, 3),
    mk.conv_model(2, 1, 10, 8, 3, 5, 5, 3, stride=(2, 1), dilation=(1, 2)),
    mk.conv_model(3, 2, 6, 5, 16, 7, 1, 1),
    mk.fc_model(4, 3, 70, 9),
    mk.fc_model(5, 1, 640, 128),
    mk.depthwise_model(6, 1, 25, 5, 64, 1, 3, 3),
    mk.depthwise_model(7, 1, 11, 9, 8, 1, 5, 3, stride=(2, 2), dilation=(1, 2), padding="VALID"),
    mk.depthwise_model(8, 1, 12, 9, 12, 1, 3, 3, stride=(2, 2), dilation=(2, 1)),
    mk.conv_model(13, 1, 6, 6, 12, 8, 3, 3, groups=4),
    mm.transpose_conv_model(9, 1, 5, 4, 6, 7, 3, 3, stride=(2, 2)),
    mm.transpose_conv_model(10, 1, 3, 3, 16, 5, 2, 2, stride=(2, 2), padding="VALID"),
    mm.batch_matmul_model(11, (1, 2), (1, 2), 7, 9, 5, adj_y=True),
    mm.batch_matmul_model(12, (3,), (), 4, 16, 8, constant_rhs=True),
    # op 0: UNIDIRECTIONAL_SEQUENCE_LSTM (tests/corpus/make_corpus_lstm.py)
    (Path(__file__).resolve().parents[1] / "corpus" / "lstm" / "lstm_time_major.tflite").read_bytes(),
    # DETECTION_POSTPROCESS, fast and regular NMS (built when the test runs: the schema
    # module comes with TF)
    lambda: _detection_model(False),
    # SVDF, rank 2, two batches (support/sequence_models.py)
    lambda: svdf_model(SvdfCase(2, 12, 6, 2, 5)),
    lambda: _detection_model(True),
]


@pytest.mark.parametrize("index", range(len(MODELS)))
def test_python_scratch_bytes_match_c(index: int) -> None:
    model = MODELS[index]
    graph = load_tflite_bytes(model() if callable(model) else model)
    op = graph.ops[0]
    lowering = lower(graph, op, LoweringContext(variant="arm-dsp"))
    function = lowering.call.split("(")[0].strip()
    assert function in SIZE_FUNCTION, f"{op.type} did not lower to a packed kernel: {lowering.call}"
    case = render_case(graph, op, lowering, prefix="k_")
    params = next(n for n in case.constant_names if n.endswith("params"))
    source = "\n".join([
        "#include <stdio.h>", *[f'#include "{h}"' for h in case.headers], case.declarations,
        "int main(void) {", *[f"(void){n};" for n in case.constant_names],
        *[f"(void){n};" for n, _ in case.inputs + case.outputs],
        "(void)k_scratch;" if lowering.scratch_bytes else "",
        f'printf("%ld\\n", (long){SIZE_FUNCTION[function]}(&{params})); return 0; }}'])
    with tempfile.TemporaryDirectory() as tmp:
        c_file, exe = Path(tmp) / "size.c", Path(tmp) / "size"
        c_file.write_text(source)
        subprocess.run([CC, *CFLAGS, f"-I{kernels_dir()}", str(c_file), str(kernel_library()), "-o",
                        str(exe), "-lm"], check=True, capture_output=True, text=True)
        printed = int(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout)
    assert printed == lowering.scratch_bytes
