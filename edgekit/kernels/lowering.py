"""How one IR op becomes a kernel call in generated C.

Every op family in edgekit/kernels/ registers a `lower(graph, op, ctx) -> OpLowering`
with `@register("CONV_2D", ...)`. Codegen (and the kernel tests) are generic: they put
the constants in flash, give the tensors arena addresses, and paste the call.

Placeholders in `OpLowering.call`, filled by whoever emits the C:
  {in0}, {in1}, ...   pointer to the op's i-th *non-constant* input activation (int8_t *)
  {out0}, {out1}, ... pointer to its i-th output (int8_t *)
  {scratch}           pointer to the op's scratch (int8_t *, NULL when scratch_bytes == 0)
  {c:NAME}            the C identifier of the constant NAME from `constants`
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.variants import kernel_variant

Rounding = Literal["tflite", "tflm"]  # TF reference kernels (default) or TFLite Micro
Variant = str  # a name in kernels/variants.py VARIANTS


@dataclass(frozen=True)
class LoweringContext:
    rounding: Rounding = "tflite"
    variant: Variant = "portable"

    def __post_init__(self) -> None:
        kernel_variant(self.variant)  # an unknown name fails here, not in a lowering


@dataclass
class ConstArray:
    """A const array in flash (model_data.c). `values` is converted to `ctype`."""

    name: str
    ctype: str  # "int8_t", "int16_t", "int32_t", "uint8_t", ...
    values: np.ndarray
    align: int = 4


@dataclass
class ConstStruct:
    """A const struct in flash, e.g. a kernel's params: `static const ctype name = init;`."""

    name: str
    ctype: str
    initializer: str  # C initializer, may use {c:OTHER} placeholders


@dataclass
class OpLowering:
    call: str  # C statement(s) with the placeholders above
    headers: list[str] = field(default_factory=list)  # e.g. ["ek_conv.h"]
    constants: list[ConstArray | ConstStruct] = field(default_factory=list)
    scratch_bytes: int = 0
    # Ops that move no data (RESHAPE...) lower to an alias: output shares input's bytes.
    alias_of_input: int | None = None


LowerFn = Callable[[Graph, Op, LoweringContext], OpLowering]
_REGISTRY: dict[str, LowerFn] = {}


def register(*op_types: str) -> Callable[[LowerFn], LowerFn]:
    def wrap(fn: LowerFn) -> LowerFn:
        for op_type in op_types:
            _REGISTRY[op_type] = fn
        return fn

    return wrap


def lowering_for(op_type: str) -> LowerFn | None:
    """The lowering of `op_type`, importing every kernel family module on first use."""
    _import_families()
    return _REGISTRY.get(op_type)


def supported_op_types() -> set[str]:
    _import_families()
    return set(_REGISTRY)


def _import_families() -> None:
    import importlib
    import pkgutil

    import edgekit.kernels as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in ("lowering", "quant"):
            importlib.import_module(f"edgekit.kernels.{info.name}")
