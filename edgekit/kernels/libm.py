"""The C library's float32 functions, which TFLite calls through std::exp / std::tanh.

Host-computed tables (LOGISTIC, TANH, SOFTMAX) must use the very same expf/tanhf as the
TFLite build they are checked against, not NumPy's own implementations. The accessor
lives with TF's float kernels in edgekit/passes/float_math.py (the float-island pass,
a lower layer, needs it too).
"""

from __future__ import annotations

from edgekit.passes.float_math import float_function

__all__ = ["float_function"]
