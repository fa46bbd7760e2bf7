"""Small helpers shared by the kernel lowerings: C literals and IR lookups."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from edgekit.errors import UnsupportedOpError
from edgekit.ir import Graph, Op, Tensor
from edgekit.kernels.lowering import ConstArray
from edgekit.kernels.quant import ACTIVATION_BOUNDS, Real, int8_activation_range


def c_float(value: Real) -> str:
    """An exact C99 literal of a float32 value (hex float, so no decimal rounding)."""
    v = float(np.float32(value))
    if not np.isfinite(v):
        raise ValueError(f"non-finite float constant {v}")
    return f"{v.hex()}f" if v != 0.0 else "0.0f"


def c_float_value(value: Real) -> str:
    """c_float for any float32, infinities and NaN included (a float weight or operand)."""
    v = float(np.float32(value))
    if np.isnan(v):
        return "__builtin_nanf(\"\")"
    if np.isinf(v):
        return "__builtin_inff()" if v > 0 else "(-__builtin_inff())"
    if v == 0.0 and np.signbit(v):
        return "-0.0f"  # x / -0.0 is -inf
    return c_float(v)


def c_ints(values: Iterable[int]) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def c_struct(**fields: object) -> str:
    """A designated initializer: c_struct(a=1, b="x") -> "{ .a = 1, .b = x }"."""
    return "{ " + ", ".join(f".{k} = {v}" for k, v in fields.items()) + " }"


def scale_zp(t: Tensor) -> tuple[np.float32, int]:
    """The per-tensor (scale as float32, zero point) of a quantized tensor."""
    if t.quant is None or len(t.quant.scale) == 0:
        raise ValueError(f"tensor {t.name} is not quantized")
    return np.float32(t.quant.scale[0]), int(t.quant.zero_point[0])


def float_scale_zp(t: Tensor) -> tuple[float, int]:
    """scale_zp with the float32 scale as a Python float (exact), for typed host code."""
    scale, zp = scale_zp(t)
    return float(scale), zp


def require(cond: bool, op: Op, detail: str) -> None:
    """Raise the one-line UnsupportedOpError when a lowering cannot handle `op`."""
    if not cond:
        raise UnsupportedOpError(op.type, op.index, detail)


def require_int8(op: Op, *tensors: Tensor) -> None:
    """Every tensor is int8, or the one-line error naming the first that is not."""
    for t in tensors:
        require(t.dtype == "int8", op, f"tensor {t.name} is {t.dtype}; only int8 is supported")


def require_int16(op: Op, tensor: Tensor) -> tuple[np.float32, int]:
    """A per-tensor int16 activation with zero point 0 (TFLite's rule): (scale, 0)."""
    require(tensor.dtype == "int16", op, f"tensor {tensor.name} is {tensor.dtype}; int16 expected")
    require(tensor.quant is not None and len(tensor.quant.scale) == 1, op,
            f"tensor {tensor.name} needs per-tensor quantization")
    scale, zp = scale_zp(tensor)
    require(zp == 0, op, f"int16 tensor {tensor.name} has zero point {zp}; int16 needs 0")
    return scale, zp


def int16_act_range(op: Op, scale: np.float32) -> tuple[int, int]:
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    require(act in ACTIVATION_BOUNDS, op, f"fused activation {act} is not supported")
    return int8_activation_range(act, scale, 0, bits=16)


def int8_per_tensor(graph: Graph, op: Op, tensors: Iterable[Tensor]) -> None:
    for t in tensors:
        require_int8(op, t)
        require(t.quant is not None and len(t.quant.scale) == 1, op,
                f"tensor {t.name} needs per-tensor quantization")


def cname(op: Op, what: str) -> str:
    """A constant name unique to the op (codegen/harness prefix it further)."""
    return f"op{op.index}_{what}"


def input_refs(graph: Graph, op: Op, ctype: str = "int8_t") -> tuple[list[str], list[ConstArray]]:
    """C expressions for each op input: {inK} for activations (K counts activations
    only), a flash ConstArray for constant inputs."""
    refs: list[str] = []
    consts: list[ConstArray] = []
    k = 0
    for position, index in enumerate(op.inputs):
        t = graph.tensors[index]
        if t.is_constant:
            c = ConstArray(cname(op, f"input{position}"), ctype, np.asarray(t.data).reshape(-1))
            consts.append(c)
            refs.append(f"{{c:{c.name}}}")
        else:
            refs.append(f"{{in{k}}}")
            k += 1
    return refs, consts


def activation_range(activation: str | None, scale: Real, zero_point: int, op: Op) -> tuple[int, int]:
    """The int8 clamp of a fused activation (CalculateActivationRangeQuantized)."""
    act = activation or "NONE"
    require(act in ACTIVATION_BOUNDS, op, f"fused activation {act} is not supported")
    return int8_activation_range(act, scale, zero_point)
