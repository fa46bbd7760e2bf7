"""gemmlowp fixed-point tanh/logistic in exact integer arithmetic (scalar Python ints),
used to build TFLite Micro's int8 LOGISTIC and TANH tables for --rounding tflm.

TFLite Micro evaluates these ops with reference_integer_ops::Logistic/Tanh: the input
(minus its zero point) is rescaled to a Q4.27 fixed-point value with a multiplier from
frexp(in_scale * 2^27), saturated outside CalculateInputRadius, pushed through
gemmlowp::logistic / gemmlowp::tanh, and rounded to Q0.7 / Q0.8. TF's BUILTIN_REF uses a
float table instead (activation.py); the two agree on most inputs but not all.
"""

from __future__ import annotations

import math

import numpy as np

from edgekit.kernels.quant import Real, tflite_round

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


def _wrap(x: int) -> int:
    return ((x + (1 << 31)) % (1 << 32)) - (1 << 31)


def tdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def srdhm(a: int, b: int, bits: int = 32) -> int:
    """SaturatingRoundingDoublingHighMul on int32 (or int16 with bits=16)."""
    lowest = -(1 << (bits - 1))
    if a == b == lowest:
        return -lowest - 1
    ab = a * b
    nudge = (1 << (bits - 2)) if ab >= 0 else 1 - (1 << (bits - 2))
    return tdiv(ab + nudge, 1 << (bits - 1))


def rdbpot(x: int, exponent: int) -> int:
    """RoundingDivideByPOT (any width: Python ints)."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def sat_mul_pot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT<exponent>."""
    if exponent > 0:
        return max(INT32_MIN, min(INT32_MAX, x * (1 << exponent)))
    return rdbpot(x, -exponent) if exponent < 0 else x


def mbqm(x: int, multiplier: int, shift: int) -> int:
    """MultiplyByQuantizedMultiplier (double rounding)."""
    left, right = max(shift, 0), max(-shift, 0)
    return rdbpot(srdhm(_wrap(x * (1 << left)), multiplier), right)


def _rounding_half_sum(a: int, b: int) -> int:
    s = a + b
    return _wrap(tdiv(s + (1 if s >= 0 else -1), 2))


# Fixed-point values are raw int32 with an implicit number of integer bits (comments);
# ExactMulByPot only reinterprets the raw value with other integer bits.

def _exp_quarter(a: int) -> int:
    """exp(a) for a in [-1/4, 0), Q0.31 in and out."""
    constant_term, one_third = 1895147668, 715827883
    x = _wrap(a + (1 << 28))  # + 1/8
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    poly = sat_mul_pot(_wrap(srdhm(_wrap(x4_over_4 + x3), one_third) + x2), -1)
    return _wrap(constant_term + srdhm(constant_term, _wrap(x + poly)))


def exp_on_negative_values(a: int, integer_bits: int) -> int:
    """gemmlowp exp_on_negative_values: Q(integer_bits) in, Q0.31 out."""
    frac = 31 - integer_bits
    one_quarter = 1 << (frac - 2)
    mask = one_quarter - 1
    a_mod = _wrap((a & mask) - one_quarter)
    result = _exp_quarter(sat_mul_pot(a_mod, integer_bits))  # Rescale<0>
    remainder = _wrap(a_mod - a)
    for exponent, multiplier in ((-2, 1672461947), (-1, 1302514674), (0, 790015084),
                                 (1, 290630308), (2, 39332535), (3, 720401), (4, 242)):
        if integer_bits > exponent and remainder & (1 << (frac + exponent)):
            result = srdhm(result, multiplier)
    if integer_bits > 5 and a < -(1 << (36 - integer_bits)):
        result = 0
    return INT32_MAX if a == 0 else result


def _newton_half_denominator(a: int) -> int:
    """Shared Newton-Raphson part: x ~ 1 / half_denominator in Q2.29."""
    half_den = _rounding_half_sum(a, INT32_MAX)
    x = _wrap(1515870810 + srdhm(half_den, -1010580540))
    one_q2 = 1 << 29
    for _ in range(3):
        hdx = srdhm(half_den, x)  # Q2
        one_minus = _wrap(one_q2 - hdx)
        x = _wrap(x + sat_mul_pot(srdhm(x, one_minus), 2))  # Q4 -> Rescale<2>
    return x


def one_over_one_plus_x(a: int) -> int:
    x = _newton_half_denominator(a)
    return sat_mul_pot(x, 1)  # ExactMulByPot<-1>: same raw read as Q1; Rescale<0>


def one_minus_x_over_one_plus_x(a: int) -> int:
    x = _newton_half_denominator(a)
    return sat_mul_pot(_wrap(x - (1 << 29)), 2)


def logistic_q4(a: int) -> int:
    """gemmlowp::logistic on a Q4.27 raw value, Q0.31 result."""
    if a == 0:
        return 1 << 30
    positive = a > 0
    abs_a = a if positive else _wrap(-a)
    r = one_over_one_plus_x(exp_on_negative_values(_wrap(-abs_a), 4))
    return r if positive else _wrap(INT32_MAX - r)


def tanh_q4(a: int) -> int:
    """gemmlowp::tanh on a Q4.27 raw value, Q0.31 result."""
    if a == 0:
        return 0
    negative = a < 0
    n = a if negative else _wrap(-a)
    t = one_minus_x_over_one_plus_x(exp_on_negative_values(n, 5))  # ExactMulByPot<1>: Q5, same raw
    return _wrap(-t) if negative else t


def _input_rescale(in_scale: Real) -> tuple[int, int, int]:
    """TFLM's (multiplier, left shift, input radius) for a Q4.27 input."""
    mantissa, shift = math.frexp(float(np.float32(in_scale)) * float(1 << 27))
    multiplier = tflite_round(abs(mantissa) * (1 << 31))
    max_rescaled = 1.0 * 15 * (1 << 27) / (1 << shift) if shift >= 0 else 15.0 * (1 << 27) * (1 << -shift)
    return multiplier, shift, math.floor(max_rescaled)


def _int8_op(in_scale: Real, in_zp: int, values: np.ndarray, fn, out_shift: int,
             out_zp: int) -> np.ndarray:
    multiplier, shift, radius = _input_rescale(in_scale)
    out = []
    for v in np.asarray(values, dtype=np.int64):
        x = int(v) - in_zp
        if x <= -radius:
            out.append(-128)
        elif x >= radius:
            out.append(127)
        else:
            y = rdbpot(fn(mbqm(x, multiplier, shift)), out_shift) + out_zp
            out.append(max(-128, min(127, y)))
    return np.array(out, dtype=np.int64)


def logistic_int8(in_scale: Real, in_zp: int, values: np.ndarray) -> np.ndarray:
    """reference_integer_ops::Logistic (int8, output scale 1/256, zero point -128)."""
    return _int8_op(in_scale, in_zp, values, logistic_q4, 31 - 8, -128)


def tanh_int8(in_scale: Real, in_zp: int, values: np.ndarray) -> np.ndarray:
    """reference_integer_ops::Tanh (int8, output scale 1/128, zero point 0)."""
    return _int8_op(in_scale, in_zp, values, tanh_q4, 31 - 7, 0)


def inv_sqrt_quantized_multiplier_exp(value: int, reverse_shift: int) -> tuple[int, int]:
    """GetInvSqrtQuantizedMultiplierExp (internal/common.h): 1/sqrt(value) as a multiplier
    and shift, by five Newton-Raphson steps in Q3 fixed point."""
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value //= 4
        shift += 1
    leading_zeros = 32 - value.bit_length()
    pairs = (leading_zeros - 1) // 2 - 1
    shift -= pairs
    value <<= 2 * pairs
    one_q3 = 1 << 28
    half_input = sat_mul_pot(value >> 1, -1)
    half_three = (1 << 28) + (1 << 27)
    x = one_q3
    for _ in range(5):
        x3 = sat_mul_pot(srdhm(srdhm(x, x), x), 6)
        x = sat_mul_pot(_wrap(srdhm(half_three, x) - srdhm(half_input, x3)), 3)
    x = srdhm(x, 1518500250)  # sqrt(2) / 2 in Q0
    if shift < 0:
        x = _wrap(x << -shift)
        shift = 0
    return x, shift * reverse_shift
