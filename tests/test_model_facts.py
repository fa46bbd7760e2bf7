"""The structural facts checked once at load (ir.validate + ir.signatures), one per defect
the front-end fuzz found: each edit of a real converted model used to end in a traceback
(IndexError, ZeroDivisionError, NaN in the rounding helper, a numpy broadcast error...)
and now ends in one ModelError line naming the op or the tensor."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fuzz_frontend import CONTEXTS, front_end, pack

from edgekit.errors import ModelError
from edgekit.ir.signatures import SIGNATURES
from edgekit.kernels.lowering import supported_op_types
from edgekit.kernels.quant import quantize_multiplier

CORPUS = Path(__file__).resolve().parent / "corpus"


def _edited(name: str, edit: Callable[[Any, Any], None]) -> bytes:
    """corpus/NAME.tflite with `edit(model, subgraph)` applied, packed again."""
    import ai_edge_litert.schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray((CORPUS / f"{name}.tflite").read_bytes()), 0)
    edit(model, model.subgraphs[0])
    return pack(model)


def _refused(data: bytes) -> str:
    """The one-line error of every lowering context (portable/tflite and arm-dsp/tflm)."""
    messages = set()
    for ctx in CONTEXTS:
        with pytest.raises(ModelError) as info:
            front_end(data, ctx)
        messages.add(str(info.value))
    assert len(messages) == 1
    message = messages.pop()
    assert "\n" not in message
    return message


def _set_scale(tensor: int, value: float, k: int = 0) -> Callable[[Any, Any], None]:
    def edit(model: Any, sg: Any) -> None:
        q = sg.tensors[tensor].quantization
        scales = list(q.scale)
        scales[k] = value
        q.scale = scales
    return edit


# cnn_flatten: op 0 CONV_2D [0, 8, 7] → 9, op 1 DEPTHWISE [9, 6, 5] → 10, op 7 FULLY_CONNECTED
# [15, 4, -1] → 16; tensor 10 is the depthwise output (s=0.004, zp=-128).
@pytest.mark.parametrize("value", [math.nan, 0.0, -0.0, -0.004, math.inf, 1e-45])
def test_bad_scale_names_the_tensor(value):
    message = _refused(_edited("cnn_flatten", _set_scale(10, value)))
    assert "depthwise" in message and "scale[0]" in message and "finite, positive" in message


def test_bad_per_channel_weight_scale():
    message = _refused(_edited("cnn_flatten", _set_scale(8, math.nan, k=5)))
    assert "scale[5] is nan" in message


@pytest.mark.parametrize("op, inputs, expected", [
    (0, [0], "op 0 (CONV_2D) has 1 input; CONV_2D takes 2 to 3 inputs"),
    (1, [9, 6, 5, 5], "op 1 (DEPTHWISE_CONV_2D) has 4 inputs; DEPTHWISE_CONV_2D takes 2 to 3 inputs"),
    (7, [], "op 7 (FULLY_CONNECTED) has 0 inputs; FULLY_CONNECTED takes 2 to 3 inputs"),
    (8, [], "op 8 (SOFTMAX) has 0 inputs; SOFTMAX takes 1 input"),
    (2, [], "op 2 (MAX_POOL_2D) has 0 inputs; MAX_POOL_2D takes 1 input"),
    (4, [12, 1, 2], "op 4 (STRIDED_SLICE) has 3 inputs; STRIDED_SLICE takes 4 inputs"),
    (0, [-1, 8, 7], "op 0 (CONV_2D): required input 0 is absent (-1)"),
    (7, [15, -1, -1], "op 7 (FULLY_CONNECTED): required input 1 is absent (-1)"),
])
def test_input_counts_per_op_type(op, inputs, expected):
    def edit(model: Any, sg: Any) -> None:
        sg.operators[op].inputs = inputs
    assert _refused(_edited("cnn_flatten", edit)) == expected


def test_output_counts_per_op_type():
    def edit(model: Any, sg: Any) -> None:
        sg.operators[1].outputs = [10, 12]
    assert _refused(_edited("cnn_flatten", edit)) == \
        "op 1 (DEPTHWISE_CONV_2D) has 2 outputs; DEPTHWISE_CONV_2D writes 1 output"


def test_absent_optional_bias_still_builds():
    def edit(model: Any, sg: Any) -> None:
        sg.operators[0].inputs = [0, 8, -1]
    front_end(_edited("cnn_flatten", edit), CONTEXTS[0])


@pytest.mark.parametrize("tensor, value, dtype", [(10, 128, "int8"), (10, -129, "int8"), (7, 1 << 40, "int32")])
def test_zero_point_out_of_range(tensor, value, dtype):
    def edit(model: Any, sg: Any) -> None:
        q = sg.tensors[tensor].quantization
        q.zeroPoint = [value] * len(q.zeroPoint)
    message = _refused(_edited("cnn_flatten", edit))
    assert f"zero point[0] {value} is outside {dtype}'s range" in message


def test_per_channel_arrays_must_match_their_axis():
    def drop_one(model: Any, sg: Any) -> None:
        q = sg.tensors[8].quantization  # conv weights [8, 3, 3, 3], 8 scales on axis 0
        q.scale, q.zeroPoint = list(q.scale)[:-1], list(q.zeroPoint)[:-1]
    assert "7 per-channel scales for the 8 channels of axis 0" in _refused(_edited("cnn_flatten", drop_one))

    def axis_out_of_range(model: Any, sg: Any) -> None:
        sg.tensors[8].quantization.quantizedDimension = 4
    assert "quantized dimension 4 is not one of its axes" in _refused(_edited("cnn_flatten", axis_out_of_range))

    def scales_without_zero_points(model: Any, sg: Any) -> None:
        q = sg.tensors[8].quantization
        q.zeroPoint = list(q.zeroPoint)[:3]
    assert "8 scales but 3 zero points" in _refused(_edited("cnn_flatten", scales_without_zero_points))


def test_per_channel_bias_with_quantized_dimension_3_loads():
    """TFLite Micro's person_detect.tflite says quantized_dimension 3 for its 1-D biases;
    TFLM reads them per channel along their only axis, and so does edgekit."""
    def edit(model: Any, sg: Any) -> None:
        sg.tensors[7].quantization.quantizedDimension = 3
        sg.tensors[5].quantization.quantizedDimension = 3
    front_end(_edited("cnn_flatten", edit), CONTEXTS[0])


def test_unquantized_int8_tensor_of_an_arithmetic_op():
    def edit(model: Any, sg: Any) -> None:
        sg.tensors[10].quantization = None
    message = _refused(_edited("cnn_flatten", edit))
    assert message.startswith("op 1 (DEPTHWISE_CONV_2D): int8 tensor") and "has no quantization" in message


def test_elementwise_inputs_must_broadcast():
    # elementwise: op 2 ADD [5, 6] → 7, all [1, 6, 6, 8].
    def edit(model: Any, sg: Any) -> None:
        sg.tensors[6].shape = [1, 6, 6, 3]
    assert _refused(_edited("elementwise", edit)) == \
        "op 2 (ADD): input shapes [1, 6, 6, 8] and [1, 6, 6, 3] do not broadcast"

    def output(model: Any, sg: Any) -> None:
        sg.tensors[7].shape = [1, 6, 6, 1]
    assert "op 2 (ADD): output" in _refused(_edited("elementwise", output))


def test_non_finite_float_option():
    # activations: op 6 LEAKY_RELU.
    def edit(model: Any, sg: Any) -> None:
        sg.operators[6].builtinOptions.alpha = math.nan
    assert _refused(_edited("activations", edit)) == "op 6 (LEAKY_RELU): option alpha is nan"


def test_folded_result_that_does_not_fit_its_output():
    # cnn_flatten: op 5 PACK [13, 3] → 14 (shape [2]) computes 2 values from constants.
    def edit(model: Any, sg: Any) -> None:
        sg.tensors[14].shape = [3]
    message = _refused(_edited("cnn_flatten", edit))
    assert message.startswith("op 5 (PACK) computes 2 values") and "[3]" in message


def test_paddings_of_the_wrong_size():
    # shapes: op 0 PAD [0, 1] → 10 with paddings [4, 2]; give it a [2, 2] one.
    import numpy as np

    def edit(model: Any, sg: Any) -> None:
        sg.tensors[1].shape = [2, 2]
        buffer = model.buffers[sg.tensors[1].buffer]
        buffer.data = np.asarray(buffer.data)[:16]
    assert "4 padding values for a 4-D input" in _refused(_edited("shapes", edit))


def test_requantization_multiplier_out_of_range():
    """An output scale 1e-30 of the input's: 2^100, which no int32 kernel can shift by."""
    message = _refused(_edited("cnn_flatten", _set_scale(9, 1e-30)))
    assert message.startswith("op 0 (CONV_2D): a requantization multiplier of") and "inconsistent" in message
    with pytest.raises(ModelError):
        quantize_multiplier(math.inf)
    assert quantize_multiplier(2.0 ** 30) == (1 << 30, 31)  # still in range


def test_every_lowered_op_type_has_a_signature():
    """A new kernel's op type must say how many tensors it takes (ir/signatures.py)."""
    assert supported_op_types() <= set(SIGNATURES)


def test_op_reading_a_tensor_nothing_has_written():
    # cnn_flatten: op 2 MAX_POOL_2D reads tensor 10; make it read 16, which op 7 writes later.
    def edit(model: Any, sg: Any) -> None:
        sg.operators[2].inputs = [16]
    message = _refused(_edited("cnn_flatten", edit))
    assert message.startswith("op 2 (MAX_POOL_2D) reads tensor") and "before anything writes it" in message
