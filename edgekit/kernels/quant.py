"""Fixed-point requantization constants, computed exactly as TFLite computes them.

One source of truth: codegen emits these numbers as const data, and the tests use
them to drive the C kernels. The device never recomputes them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgekit.errors import ModelError

# A scale as the kernels' constants are computed from it: a Python float, or the model's
# float32 value where TFLite computes in float32 (float32 arithmetic must stay float32).
Real = float | np.floating[Any]

INT32_MIN = -(1 << 31)
INT32_MAX = (1 << 31) - 1
MAX_LEFT_SHIFT = 31


def tflite_round(x: float | np.floating) -> int:
    """std::round / roundf: halves away from zero (Python's round() is banker's rounding).
    A float32 argument is exact in double, and so is |x| + 0.5 below 2^29."""
    x = float(x)
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


def quantize_f32(value: float, scale: float | np.floating, zero_point: int) -> int:
    """TFLite's FloatToQuantizedType before clamping: zero_point + round(value / scale),
    the quotient computed in float32."""
    return zero_point + tflite_round(np.float32(np.float32(value) / np.float32(scale)))


# Fused activations: the float range each one clamps to (None: unbounded on that side).
ACTIVATION_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "NONE": (None, None), "RELU": (0.0, None), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0),
}


def int8_activation_range(activation: str, scale: float | np.floating, zero_point: int,
                          bits: int = 8) -> tuple[int, int]:
    """CalculateActivationRangeQuantized for int8 (`activation` a key of ACTIVATION_BOUNDS);
    bits=16 for int16 outputs."""
    qmin, qmax = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    lo_f, hi_f = ACTIVATION_BOUNDS[activation]
    lo = qmin if lo_f is None else max(qmin, quantize_f32(lo_f, scale, zero_point))
    hi = qmax if hi_f is None else min(qmax, quantize_f32(hi_f, scale, zero_point))
    return lo, hi


def quantize_multiplier(real_multiplier: float, single_rounding: bool = False) -> tuple[int, int]:
    """TFLite's QuantizeMultiplier: real = q * 2^(shift - 31), q in [2^30, 2^31).

    Returns (q, shift). Edge cases as TFLite: 0 gives (0, 0); q rounding up to 2^31 is
    halved with shift + 1; shift < -31 flushes to (0, 0); with single rounding a shift
    above 30 saturates to (2^31 - 1, 30).
    """
    if real_multiplier == 0.0:
        return 0, 0
    if not math.isfinite(real_multiplier):
        raise _out_of_range(real_multiplier)
    mantissa, shift = math.frexp(real_multiplier)
    q_fixed = tflite_round(mantissa * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    if single_rounding and shift > 30:
        return INT32_MAX, 30
    if shift > MAX_LEFT_SHIFT:
        raise _out_of_range(real_multiplier)
    return q_fixed, shift


def _out_of_range(real_multiplier: float) -> ModelError:
    # The int32 kernels shift left by at most 31 bits (x * 2^shift); beyond that nothing is
    # defined, in TFLite's C++ either.
    return ModelError(f"a requantization multiplier of {real_multiplier:.6g} is out of the int32 kernels' "
                      "range: the quantization scales of the op's tensors are inconsistent")


def quantize_multiplier_smaller_than_one(real_multiplier: float) -> tuple[int, int]:
    """TFLite's QuantizeMultiplierSmallerThanOneExp: like quantize_multiplier, shift <= 0."""
    if not 0.0 <= real_multiplier < 1.0:
        raise ValueError(f"multiplier {real_multiplier} is not in [0, 1)")
    return quantize_multiplier(real_multiplier)


# --- Reference arithmetic (NumPy, vectorised): the semantics the C kernels must match ---


def saturating_rounding_doubling_high_mul(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul on int32 values."""
    a64 = np.asarray(a, dtype=np.int64)
    ab = a64 * np.int64(b)
    nudge = np.where(ab >= 0, np.int64(1 << 30), np.int64(1 - (1 << 30)))
    # C's int64 division truncates toward zero; emulate it.
    num = ab + nudge
    result = np.where(num >= 0, num // (1 << 31), -((-num) // (1 << 31)))
    overflow = (a64 == INT32_MIN) & (np.int64(b) == INT32_MIN)
    return np.where(overflow, INT32_MAX, result).astype(np.int64)


def rounding_divide_by_pot(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT: round half away from zero."""
    x = np.asarray(x, dtype=np.int64)
    if exponent == 0:
        return x
    mask = np.int64((1 << exponent) - 1)
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0).astype(np.int64)
    return (x >> exponent) + (remainder > threshold).astype(np.int64)


def multiply_by_quantized_multiplier(x: np.ndarray, q: int, shift: int) -> np.ndarray:
    """Double rounding (TFLite reference conv/depthwise, and all of TFLite Micro)."""
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    x = np.asarray(x, dtype=np.int64) * np.int64(1 << left)
    # x * 2^left must still be an int32, as in C.
    x = ((x + (1 << 31)) % (1 << 32)) - (1 << 31)
    return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, q), right)


def multiply_by_quantized_multiplier_single(x: np.ndarray, q: int, shift: int) -> np.ndarray:
    """Single rounding (TF reference FULLY_CONNECTED): (x*q + 2^(30-shift)) >> (31-shift)."""
    total_shift = 31 - shift
    x = np.asarray(x, dtype=np.int64)
    return (x * np.int64(q) + np.int64(1 << (total_shift - 1))) >> np.int64(total_shift)
