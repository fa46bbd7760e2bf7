"""edgekit's own post-training quantizer for float .tflite graphs: calibrate (ptq_calib),
choose scales and zero points (ptq_params), write the int8 flatbuffer (ptq_write).

Used where Google's quantizers stop: TF 2.21's converter crashes full-integer-quantizing a
Keras GRU/SimpleRNN (a WHILE with condition and body subgraphs) and ai-edge-quantizer
cannot calibrate control flow. On graphs the converter does quantize, the output matches
the converter's tensor for tensor (tests/quantize/test_ptq.py).
"""

from __future__ import annotations

import numpy as np

from edgekit.errors import ModelError, UsageError


def quantize_tflite(data: bytes, samples: np.ndarray, *, io: str = "int8",
                    per_tensor: bool = False) -> bytes:
    """The full-integer int8 form of the float .tflite `data`, calibrated on `samples`
    (N, *input shape without batch), with `io` input and output: "int8", "uint8" (TFLite's
    modify_model_interface folds the float boundary into uint8, as for ai-edge-quantizer's
    models), or "float" (QUANTIZE/DEQUANTIZE at the float boundary)."""
    import ai_edge_litert.schema_py_generated as schema

    from edgekit.quantize.ptq_calib import calibrate
    from edgekit.quantize.ptq_params import WEIGHTED, choose_params, split_shared_constants
    from edgekit.quantize.ptq_write import write_int8

    if io not in ("int8", "uint8", "float"):
        raise UsageError(f"edgekit's quantizer writes int8, uint8 or float input and output, not {io!r}")
    if len(samples) == 0:
        raise UsageError("edgekit's quantizer needs calibration samples")
    model = schema.ModelT.InitFromPackedBuf(bytearray(data), 0)
    main = model.subgraphs[0]
    if len(main.inputs) != 1:
        raise ModelError(f"edgekit's quantizer takes models with one input, not {len(main.inputs)}")
    ranges, _ = calibrate(data, samples)
    split_shared_constants(model, schema)
    params = choose_params(model, schema, ranges, per_tensor=per_tensor)
    weights = {(k, int(op.inputs[1])) for k, g in enumerate(model.subgraphs) for op in g.operators or []
               if _name(model, op, schema) in WEIGHTED}
    quantized = write_int8(model, schema, params, weights, float_io=io != "int8")
    if io == "uint8":
        from edgekit.quantize.convert import fold_float_io

        return fold_float_io(quantized, io)
    return quantized


def _name(model: object, op: object, schema: object) -> str:
    from edgekit.quantize.ptq_params import op_name

    return op_name(model, op, schema)
