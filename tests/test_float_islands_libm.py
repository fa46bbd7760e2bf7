"""Float islands of libm functions (passes/float_math.py, passes/float_islands.py): each
float kernel edgekit mirrors equals TF's float32 kernel bit for bit on the 256 values an
int8 input dequantizes to, TF's QUANTIZE of NaN/inf/huge values is reproduced, and the
tables of a converter-built model's islands (ELU, SIN, COS behind one DEQUANTIZE) equal
TF's interpreter on all 256 inputs.

TF 2.21's BUILTIN_REF resolver has no ELU: ops it lacks are run with TF's builtin
kernels without delegates (no XNNPACK)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.load import load_tflite
from edgekit.passes.float_islands import LOOKUP_TABLE, island_table, quantize_like_tflite, rewrite_float_islands
from edgekit.passes.float_math import float_unary
from edgekit.pipeline import check_integer_model

sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
from support.tflite_builder import TensorSpec, single_op_model  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "corpus"
ISLANDS = CORPUS / "tflm_only" / "libm_islands.tflite"

CASES = [("ELU", {}), ("EXP", {}), ("LOG", {}), ("SIN", {}), ("COS", {}), ("SQRT", {}), ("RSQRT", {}),
         ("TANH", {}), ("LOGISTIC", {}), ("LEAKY_RELU", {"alpha": 0.1})]
QUANTIZATIONS = [(0.02, 0), (0.1, -20), (0.25, 100)]  # ranges of +-2.5 to +-57


def _interpreter(tf, model: bytes, keep_all: bool = False):
    for resolver in (tf.lite.experimental.OpResolverType.BUILTIN_REF,
                     tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES):
        try:
            interpreter = tf.lite.Interpreter(model_content=model, experimental_op_resolver_type=resolver,
                                              experimental_preserve_all_tensors=keep_all)
            interpreter.allocate_tensors()
            return interpreter
        except (ValueError, RuntimeError):
            continue
    raise AssertionError("no TF resolver runs the model")


def _run(tf, model: bytes, x: np.ndarray) -> np.ndarray:
    interpreter = _interpreter(tf, model)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])


@pytest.mark.parametrize(("op_type", "options"), CASES, ids=[f"{t}{o or ''}" for t, o in CASES])
def test_float_kernel_matches_tf_bit_for_bit(op_type: str, options: dict) -> None:
    import tensorflow as tf

    x = np.concatenate([(np.arange(-128, 128) - zp).astype(np.float32) * np.float32(s)
                        for s, zp in QUANTIZATIONS]).astype(np.float32)
    model = single_op_model(op_type, [TensorSpec(x.shape, "float32")], [TensorSpec(x.shape, "float32")], options)
    expected = _run(tf, model, x)
    fn = float_unary(op_type, options)
    assert fn is not None
    with np.errstate(all="ignore"):
        got = np.array([fn(np.float32(v)) for v in x], dtype=np.float32)
    same = (got.view(np.uint32) == expected.view(np.uint32)) | (np.isnan(got) & np.isnan(expected))
    assert same.all(), f"{op_type}: {int((~same).sum())} of {x.size} differ, first at x={x[~same][:3]}"


@pytest.mark.parametrize("approximate", [False, True])
def test_float_gelu_is_not_mirrored(approximate: bool) -> None:
    """TF's float GELU uses Eigen's erfc/tanh, not libm's: libm's differ on some inputs, so
    a float GELU island is left alone rather than rewritten inexactly."""
    import tensorflow as tf

    from edgekit.passes.float_math import gelu_f32, gelu_tanh_f32

    assert float_unary("GELU", {"approximate": approximate}) is None
    x = (np.arange(-128, 128) * np.float32(0.02)).astype(np.float32)
    model = single_op_model("GELU", [TensorSpec(x.shape, "float32")], [TensorSpec(x.shape, "float32")],
                            {"approximate": approximate})
    libm = np.array([(gelu_tanh_f32 if approximate else gelu_f32)(np.float32(v)) for v in x], dtype=np.float32)
    assert not np.array_equal(libm.view(np.uint32), _run(tf, model, x).view(np.uint32))


def test_quantize_of_nan_inf_and_huge_values_as_tf() -> None:
    import tensorflow as tf

    v = np.array([np.nan, np.inf, -np.inf, 1e30, -1e30, 3e9, -3e9, 0.5, -0.5, 1.5, 12.7, -12.9], np.float32)
    for zp in (-100, -1, 0, 100):
        model = single_op_model("QUANTIZE", [TensorSpec(v.shape, "float32")],
                                [TensorSpec(v.shape, scale=0.1, zero_point=zp)], {})
        assert np.array_equal(quantize_like_tflite(v, 0.1, zp), _run(tf, model, v)), zp


def test_converter_islands_become_tables() -> None:
    graph = load_tflite(ISLANDS)
    assert [op.type for op in graph.ops].count("DEQUANTIZE") == 1  # one DEQUANTIZE feeds all three
    graph = rewrite_float_islands(graph)
    types = [op.type for op in graph.ops]
    assert types.count(LOOKUP_TABLE) == 3 and not {"DEQUANTIZE", "ELU", "SIN", "COS"} & set(types)
    assert {op.options["island"] for op in graph.ops if op.type == LOOKUP_TABLE} == {
        "DEQUANTIZE > ELU > QUANTIZE", "DEQUANTIZE > SIN > QUANTIZE", "DEQUANTIZE > COS > QUANTIZE"}
    check_integer_model(graph, "libm_islands")


def test_converter_island_tables_match_tf_on_all_256_inputs() -> None:
    import tensorflow as tf

    graph = load_tflite(ISLANDS)
    x_index = graph.inputs[0]
    x = graph.tensors[x_index]
    islands = []
    for op in graph.ops:
        if op.type == "QUANTIZE" and graph.tensors[op.inputs[0]].dtype == "float32":
            producer = graph.producers()[op.inputs[0]]
            y = graph.tensors[op.outputs[0]]
            table = island_table(float(x.quant.scale[0]), int(x.quant.zero_point[0]),
                                 [(producer.type, producer.options)],
                                 float(y.quant.scale[0]), int(y.quant.zero_point[0]))
            islands.append((producer.type, y.index, table))
    assert len(islands) == 3
    interpreter = _interpreter(tf, ISLANDS.read_bytes(), keep_all=True)
    values = np.arange(-128, 128, dtype=np.int8).reshape(-1, *x.shape)  # 4 samples of 64
    for sample in values:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], sample)
        interpreter.invoke()
        for name, y_index, table in islands:
            got = interpreter.get_tensor(y_index).reshape(-1)
            assert np.array_equal(table[sample.reshape(-1).astype(np.int64) + 128], got), name
