"""QUANTIZE between integer types with an int16 side: int8 -> int16, int16 -> int8 and
int16 -> int16 (TFLite's Requantize: the int32 MultiplyByQuantizedMultiplier of
in - in_zp by double(in_scale) / double(out_scale), plus the output zero point, clamped).
int8 -> int8 stays a 256-entry table (activation.py)."""

from __future__ import annotations

from edgekit.ir import Graph, Op
from edgekit.kernels.cformat import c_struct, cname, require, scale_zp
from edgekit.kernels.lowering import ConstStruct, LoweringContext, OpLowering, register
from edgekit.kernels.quant import quantize_multiplier
from edgekit.memory.contract import MemoryContract

_SUFFIX = {"int8": "s8", "int16": "s16"}


def lower_requantize(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering:
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    require(x.dtype in _SUFFIX and y.dtype in _SUFFIX and "int16" in (x.dtype, y.dtype), op,
            f"QUANTIZE {x.dtype} -> {y.dtype}; with int16 only int8/int16 -> int8/int16 is supported")
    for t in (x, y):
        require(t.quant is not None and len(t.quant.scale) == 1, op, f"tensor {t.name} needs per-tensor quantization")
    (s_in, zp_in), (s_out, zp_out) = scale_zp(x), scale_zp(y)
    mult, shift = quantize_multiplier(float(s_in) / float(s_out))
    params = ConstStruct(cname(op, "params"), "ek_requantize_params_t",
                         c_struct(count=y.num_elements, input_offset=-zp_in, multiplier=mult, shift=shift,
                                  output_offset=zp_out))
    kernel = f"ek_requantize_{_SUFFIX[x.dtype]}_{_SUFFIX[y.dtype]}"
    ctype = {"int8": "int8_t", "int16": "int16_t"}
    return OpLowering(call=f"{kernel}(&{{c:{params.name}}}, {{in0:{ctype[x.dtype]}}}, {{out0:{ctype[y.dtype]}}});",
                      headers=["ek_requantize.h"], constants=[params])


def requantize_contract(graph: Graph, op: Op) -> MemoryContract:
    """Element i is read before it is written: in place when the element sizes match."""
    return MemoryContract(in_place=(0,))


register("QUANTIZE", memory=requantize_contract, activations="int16")(lower_requantize)
