"""edgekit's intermediate representation of a model."""

from edgekit.ir.graph import DTYPE_BYTES, Graph, Op, QuantParams, Tensor
from edgekit.ir.validate import validate

__all__ = ["DTYPE_BYTES", "Graph", "Op", "QuantParams", "Tensor", "validate"]
