"""The C library's float32 functions, which TFLite calls through std::exp / std::tanh.

Host-computed tables (LOGISTIC, TANH, SOFTMAX) must use the very same expf/tanhf as the
TFLite build they are checked against, not NumPy's own implementations.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache, lru_cache


@lru_cache(maxsize=1)
def _libm() -> ctypes.CDLL:
    return ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")


@cache
def float_function(name: str) -> Callable[[float], float]:
    """libm's `float name(float)` (expf, tanhf, ...), callable with a Python float."""
    fn = getattr(_libm(), name)
    fn.restype, fn.argtypes = ctypes.c_float, [ctypes.c_float]
    return fn
