"""How many tensors each op type reads and writes, as TFLite's kernels require them.

One table, checked once per model by ir.validate, so that passes and lowerings can index
`op.inputs[k]` for every k the op type requires without each guarding it again. An
optional input (a conv's bias, RESHAPE's shape operand) may be absent (-1) or left out at
the end of the list; a required one may not.

Counts follow TFLite's Prepare functions (e.g. conv.cc: 2 or 3 inputs, the bias optional;
pad.cc: 2 or 3 for PAD and PADV2). Op types without an entry are known to `inspect` but
are not run by edgekit; the lowering rejects them by name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    min_inputs: int
    max_inputs: int | None  # None: any number (CONCATENATION, PACK)
    min_outputs: int = 1
    max_outputs: int | None = 1
    optional: frozenset[int] = frozenset()  # input positions that may be -1
    broadcast: bool = False  # inputs 0 and 1 broadcast to the output's shape
    quantized: bool = False  # computes on real values: its 8/16-bit integer tensors need quantization

    def describe_inputs(self) -> str:
        return _count(self.min_inputs, self.max_inputs, "input")

    def describe_outputs(self) -> str:
        return _count(self.min_outputs, self.max_outputs, "output")


def _count(low: int, high: int | None, noun: str) -> str:
    if high is None:
        return f"at least {low} {noun}{'s' if low != 1 else ''}"
    if low == high:
        return f"{low} {noun}{'s' if low != 1 else ''}"
    return f"{low} to {high} {noun}s"


def _sig(min_in: int, max_in: int | None = -1, *, outputs: tuple[int, int | None] = (1, 1),
         optional: tuple[int, ...] = (), broadcast: bool = False, quantized: bool = False) -> Signature:
    return Signature(min_in, min_in if max_in == -1 else max_in, outputs[0], outputs[1],
                     frozenset(optional), broadcast, quantized)


_UNARY_QUANTIZED = ("SOFTMAX", "LOG_SOFTMAX", "LOGISTIC", "TANH", "RELU", "RELU6", "RELU_N1_TO_1",
                    "RELU_0_TO_1", "LEAKY_RELU", "HARD_SWISH", "ELU", "GELU", "EXP", "SQRT", "RSQRT",
                    "ABS", "NEG", "AVERAGE_POOL_2D", "MAX_POOL_2D", "L2_POOL_2D", "QUANTIZE", "DEQUANTIZE")
_BINARY_BROADCAST = ("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM")

SIGNATURES: dict[str, Signature] = {
    "CONV_2D": _sig(2, 3, optional=(2,), quantized=True),
    "DEPTHWISE_CONV_2D": _sig(2, 3, optional=(2,), quantized=True),
    "FULLY_CONNECTED": _sig(2, 3, optional=(2,), quantized=True),
    "TRANSPOSE_CONV": _sig(3, 4, optional=(3,), quantized=True),
    "BATCH_MATMUL": _sig(2, quantized=True),
    "PRELU": _sig(2, broadcast=True, quantized=True),
    "MEAN": _sig(2, quantized=True),
    "SUM": _sig(2, quantized=True),
    "REDUCE_MAX": _sig(2, quantized=True),
    "REDUCE_MIN": _sig(2, quantized=True),
    # Comparisons requantize both sides to a common scale; logic and selection copy values.
    **{name: _sig(2, broadcast=True, quantized=True)
       for name in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL")},
    "LOGICAL_AND": _sig(2, broadcast=True),
    "LOGICAL_OR": _sig(2, broadcast=True),
    "LOGICAL_NOT": _sig(1),
    "SELECT": _sig(3),
    "SELECT_V2": _sig(3),
    "ARG_MAX": _sig(2),
    "ARG_MIN": _sig(2),
    # edgekit's own: a float island rewritten as a 256-entry table (passes/float_islands.py).
    "LOOKUP_TABLE": _sig(1),
    # edgekit's own: conv, conv and the residual ADD computed row by row (passes/fuse_residual.py).
    "RESIDUAL_BLOCK": _sig(5, optional=(2, 4), quantized=True),
    **{name: _sig(1, quantized=True) for name in _UNARY_QUANTIZED},
    **{name: _sig(2, broadcast=True, quantized=True) for name in _BINARY_BROADCAST},
    # Data movement and shape arithmetic: values are copied, not requantized.
    "RESHAPE": _sig(1, 2, optional=(1,)),
    "SQUEEZE": _sig(1),
    "EXPAND_DIMS": _sig(2),
    "TRANSPOSE": _sig(2),
    "STRIDED_SLICE": _sig(4),
    "SLICE": _sig(3),
    "CONCATENATION": _sig(1, None),
    "PACK": _sig(1, None),
    "UNPACK": _sig(1, outputs=(1, None)),
    "SPLIT": _sig(2, outputs=(1, None)),
    "SPLIT_V": _sig(3, outputs=(1, None)),
    "PAD": _sig(2, 3, optional=(2,)),
    "PADV2": _sig(2, 3, optional=(2,)),
    "MIRROR_PAD": _sig(2),
    "SHAPE": _sig(1),
    "FILL": _sig(2),
    "GATHER": _sig(2),
    "GATHER_ND": _sig(2),
    "EMBEDDING_LOOKUP": _sig(2),
    "REVERSE_V2": _sig(2),
    "ZEROS_LIKE": _sig(1),
    "BROADCAST_ARGS": _sig(2),
    "DYNAMIC_UPDATE_SLICE": _sig(3),
    "TILE": _sig(2),
    "BROADCAST_TO": _sig(2),
    "CAST": _sig(1),
    "SPACE_TO_BATCH_ND": _sig(3),
    "BATCH_TO_SPACE_ND": _sig(3),
    "SPACE_TO_DEPTH": _sig(1),
    "DEPTH_TO_SPACE": _sig(1),
    "RESIZE_BILINEAR": _sig(2),
    "RESIZE_NEAREST_NEIGHBOR": _sig(2),
    # edgekit/kernels/arith.py, norm.py, reduce.py (issue 13)
    "ADD_N": _sig(1, None, quantized=True),
    "CUMSUM": _sig(2, quantized=True),
    "L2_NORMALIZATION": _sig(1, quantized=True),
    "REDUCE_ALL": _sig(2),
    # Control flow: WHILE's inputs are its loop variables, IF's input 0 is the condition.
    # Variables: the loader resolves VAR_HANDLE, so READ/ASSIGN name it in options["variable"].
    "WHILE": _sig(1, None, outputs=(1, None)),
    "IF": _sig(1, None, outputs=(0, None)),
    "CALL_ONCE": _sig(0, outputs=(0, 0)),
    "READ_VARIABLE": _sig(0),
    "ASSIGN_VARIABLE": _sig(1, outputs=(0, 0)),
    # TF's lstm_shared.h order: input, 4+4 gate weights, 3 peephole, 4 biases, projection
    # weights and bias, hidden and cell state (variables), 4 layer-norm coefficients.
    "UNIDIRECTIONAL_SEQUENCE_LSTM": _sig(20, 24, optional=(1, 5, 9, 10, 11, 12, 16, 17, 20, 21, 22, 23),
                                         quantized=True),
    # input, weights_feature, weights_time, bias (optional), activation state (variable)
    "SVDF": _sig(5, optional=(3,), quantized=True),
    # input, input weights, recurrent weights, bias, hidden state (variable)
    "UNIDIRECTIONAL_SEQUENCE_RNN": _sig(5),
    # Ops TFLite Micro runs in float32 only (edgekit/kernels/float32.py).
    **{name: _sig(1) for name in ("CEIL", "FLOOR", "ROUND", "SIN", "COS", "LOG", "SQUARE")},
    **{name: _sig(2, broadcast=True) for name in ("FLOOR_DIV", "FLOOR_MOD")},
    # The custom op TFLite_Detection_PostProcess (edgekit/kernels/detection.py): box
    # encodings, class scores, anchors -> boxes, classes, scores, num_detections.
    "DETECTION_POSTPROCESS": _sig(3, outputs=(4, 4)),
}
