"""How one IR op becomes a kernel call in generated C.

Every op family in edgekit/kernels/ registers a `lower(graph, op, ctx) -> OpLowering`
with `@register("CONV_2D", ...)`. Codegen (and the kernel tests) are generic: they put
the constants in flash, give the tensors arena addresses, and paste the call.

A family also declares its ops' memory contract (`@register(..., memory=fn)`, fn(graph, op)
-> MemoryContract): whether the kernel may run in place, overlap its input row by row, or
is a view of its input. The memory planner knows ops only through it.

Placeholders in `OpLowering.call`, filled by whoever emits the C:
  {in0}, {in1}, ...   pointer to the op's i-th *non-constant* input activation (int8_t *)
  {out0}, {out1}, ... pointer to its i-th output (int8_t *)
  {in0:T}, {out0:T}   the same pointer typed as T * (e.g. {in0:int16_t} for int16 tensors)
  {scratch}           pointer to the op's scratch (int8_t *, NULL when scratch_bytes == 0)
  {c:NAME}            the C identifier of the constant NAME from `constants`
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from edgekit.ir import Graph, Op
from edgekit.kernels.variants import kernel_variant
from edgekit.memory.contract import NO_CONTRACT, ContractFn, MemoryContract

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
    # What the kernel promises about its memory (filled from the family's declaration by
    # lower_op). A `view_of` op moves no data: codegen emits no call for it.
    memory: MemoryContract = NO_CONTRACT


LowerFn = Callable[[Graph, Op, LoweringContext], OpLowering]
MemoryFn = Callable[[Graph, Op], MemoryContract]
# Lowerings by kind: "int8" (the default, which may also take other element types itself),
# "int16" (int16x8 kernels, chosen when the op's first input is int16) and "float32" (the
# float fallback of kernels/float32.py, chosen for an op that reads or writes a float32
# tensor, the int8 <-> float conversions aside, when one is registered).
KINDS = ("int8", "int16", "float32")
_REGISTRY: dict[str, dict[str, LowerFn]] = {kind: {} for kind in KINDS}
_MEMORY: dict[str, dict[str, MemoryFn]] = {kind: {} for kind in KINDS}
_CONVERSIONS = ("QUANTIZE", "DEQUANTIZE")


def register(*op_types: str, memory: MemoryFn | None = None,
             activations: str = "int8") -> Callable[[LowerFn], LowerFn]:
    """Register a lowering for `op_types`, and the memory contract its kernels keep
    (default: none, the op's output gets a buffer of its own). `activations="int16"`
    registers the op's int16x8 lowering, used when its first input is int16."""
    def wrap(fn: LowerFn) -> LowerFn:
        for op_type in op_types:
            _REGISTRY[activations][op_type] = fn
            if memory is not None:
                _MEMORY[activations][op_type] = memory
        return fn

    return wrap


def register_float(*op_types: str, memory: MemoryFn | None = None) -> Callable[[LowerFn], LowerFn]:
    """Register the float32 lowering of `op_types` (used for ops that compute in float)."""
    return register(*op_types, memory=memory, activations="float32")


def computes_in_float(graph: Graph, op: Op) -> bool:
    """The op reads or writes a float32 tensor (other than the int8 <-> float conversions)."""
    return op.type not in _CONVERSIONS and any(
        i >= 0 and graph.tensors[i].dtype == "float32" for i in op.inputs + op.outputs)


def lowering_kind(graph: Graph, op: Op) -> str:
    """Which registry lowers `op`: "float32" when it computes in float and has a float
    kernel, else its activation type."""
    _import_families()
    if op.type in _REGISTRY["float32"] and computes_in_float(graph, op):
        return "float32"
    return activation_type(graph, op)


def activation_type(graph: Graph, op: Op) -> str:
    """"int16" for an op whose first activation input (its first non-constant one, e.g.
    TRANSPOSE_CONV's input after its constant output shape) is an int16 tensor, else "int8"."""
    live = [i for i in op.inputs if i >= 0 and not graph.tensors[i].is_constant]
    first = live[0] if live else (op.inputs[0] if op.inputs else -1)
    return "int16" if first >= 0 and graph.tensors[first].dtype == "int16" else "int8"


def lowering_for(op_type: str, activations: str = "int8") -> LowerFn | None:
    """The lowering of `op_type`, importing every kernel family module on first use; an
    op type without an int16 lowering falls back to its default one (which checks types)."""
    _import_families()
    return _REGISTRY[activations].get(op_type) or _REGISTRY["int8"].get(op_type)


def memory_contract(graph: Graph, op: Op) -> MemoryContract:
    """The memory contract declared for `op` by its lowering family (none if unknown)."""
    _import_families()
    kind = lowering_kind(graph, op)
    table = _MEMORY[kind] if op.type in _REGISTRY[kind] else _MEMORY["int8"]
    declare = table.get(op.type)
    return declare(graph, op) if declare is not None else NO_CONTRACT


def memory_contracts(graph: Graph) -> ContractFn:
    """Every op's declared memory contract, computed once: what the planner takes."""
    contracts = {op.index: memory_contract(graph, op) for op in graph.ops}
    return lambda op: contracts.get(op.index, NO_CONTRACT)


def lower_op(graph: Graph, op: Op, ctx: LoweringContext) -> OpLowering | None:
    """Lower one op with its family's memory contract attached (None: no kernel for it).
    An op computing in float32 takes the float fallback's lowering when there is one."""
    lower = lowering_for(op.type, lowering_kind(graph, op))
    if lower is None:
        return None
    return replace(lower(graph, op, ctx), memory=memory_contract(graph, op))


def supported_op_types() -> set[str]:
    _import_families()
    return set(_REGISTRY["int8"]) | set(_REGISTRY["int16"])


def float_op_types() -> set[str]:
    """Op types with a float32 fallback kernel (kernels/float32.py)."""
    _import_families()
    return set(_REGISTRY["float32"])


@functools.cache
def _import_families() -> None:
    import importlib
    import pkgutil

    import edgekit.kernels as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name not in ("lowering", "quant"):
            importlib.import_module(f"edgekit.kernels.{info.name}")
