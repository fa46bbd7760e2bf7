"""TF's float32 element-wise kernels, step by step, with the C library's float functions.

TFLite's float kernels call std::exp, std::tanh, std::erf ... on float, which are the C
library's expf, tanhf, erff. A host table that must equal TF's float result byte for
byte (float islands, passes/float_islands.py; the int8 lookup tables of
edgekit/kernels) calls the very same functions through ctypes, never NumPy's own, and
rounds every intermediate to float32 in TF's evaluation order.

The formulas, from TF 2.21's kernels (reference float path):
- ELU (activations.cc, optimized_ops::Elu): x < 0 ? expm1f(x) : x.
- EXP, LOG, SIN, COS, SQRT: expf, logf, sinf, cosf, sqrtf of x.
- RSQRT (elementwise.cc): 1.f / sqrtf(x).
- TANH (reference_ops::Tanh): tanhf(x).
- LOGISTIC (reference_ops::Logistic): 1.f above 16.619047164916992188f, expf(x) below
  -9.f, 1.f / (1.f + expf(-x)) between.
- LEAKY_RELU: x > 0 ? x : x * alpha.
- GELU: only its scalar GeluTransform / GeluTransformApproximate (reference gelu.h),
  0.5f * x * erfcf(x * float(-M_SQRT1_2)), or 0.5f * x * (1.f + tanhf(float(M_2_SQRTPI *
  M_SQRT1_2) * (x + 0.044715f * x * x * x))), which fill TF's int8 GELU table
  (kernels/unary.py). TF's float32 GELU kernel evaluates erfc and tanh with Eigen's
  vectorized approximations instead of libm (156 of 768 values differ from libm's), so a
  float GELU island is not mirrored: float_unary returns None for it and the island stays.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import math
from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np

F32 = np.float32
FloatFn = Callable[[np.float32], np.float32]


@lru_cache(maxsize=1)
def _libm() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")


@cache
def float_function(name: str) -> Callable[[float], float]:
    """libm's `float name(float)` (expf, tanhf, ...), callable with a Python float."""
    fn = getattr(_libm(), name)
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn


def _call(name: str, x: np.float32) -> np.float32:
    return F32(float_function(name)(float(x)))


def libm_unary(name: str) -> FloatFn:
    return lambda x: _call(name, x)


def elu_f32(x: np.float32) -> np.float32:
    return _call("expm1f", x) if x < 0 else F32(x)


def rsqrt_f32(x: np.float32) -> np.float32:
    with np.errstate(divide="ignore", invalid="ignore"):
        return F32(F32(1.0) / _call("sqrtf", x))


_LOGISTIC_UPPER = F32(16.619047164916992188)
_LOGISTIC_LOWER = F32(-9.0)


def logistic_f32(x: np.float32) -> np.float32:
    if x > _LOGISTIC_UPPER:
        return F32(1.0)
    if x < _LOGISTIC_LOWER:
        return _call("expf", x)
    return F32(F32(1.0) / F32(F32(1.0) + _call("expf", F32(-x))))


SQRT_2_OVER_PI = F32(math.sqrt(2.0 / math.pi))  # M_2_SQRTPI * M_SQRT1_2, rounded once
_MINUS_SQRT1_2 = F32(-math.sqrt(0.5))


def gelu_f32(x: np.float32) -> np.float32:
    return F32(F32(F32(0.5) * x) * _call("erfcf", F32(x * _MINUS_SQRT1_2)))


def gelu_tanh_f32(x: np.float32) -> np.float32:
    cube = F32(F32(F32(F32(0.044715) * x) * x) * x)
    inner = F32(SQRT_2_OVER_PI * F32(x + cube))
    return F32(F32(F32(0.5) * x) * F32(F32(1.0) + _call("tanhf", inner)))


def leaky_relu_f32(alpha: float) -> FloatFn:
    a = F32(alpha)
    return lambda x: F32(x) if x > 0 else F32(x * a)


# Float kernels that need no option, by TFLite op name.
FLOAT_UNARY: dict[str, FloatFn] = {
    "ELU": elu_f32,
    "EXP": libm_unary("expf"),
    "LOG": libm_unary("logf"),
    "SIN": libm_unary("sinf"),
    "COS": libm_unary("cosf"),
    "SQRT": libm_unary("sqrtf"),
    "RSQRT": rsqrt_f32,
    "TANH": libm_unary("tanhf"),
    "LOGISTIC": logistic_f32,
}


def float_unary(op_type: str, options: dict) -> FloatFn | None:
    """TF's float32 kernel of a single-input element-wise op, or None if not mirrored."""
    if op_type == "LEAKY_RELU":
        return leaky_relu_f32(float(options.get("alpha", 0.0)))
    return FLOAT_UNARY.get(op_type)
