"""The kernel variants: which C paths of firmware/kernels/ a board's build switches on.

One table, read by the board schema (allowed `kernel_variant` values), the lowerings
(which weight packings they may choose) and the targets (the C defines of a build). A
variant is only listed here once kernels behind it exist; its `isa_features` are the
compiler's feature macros the core must define (firmware/kernels/ek_common.h stops a
build with #error when a requested path has no instructions under it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Weight layouts a lowering may emit: plain int8 in the .tflite order, or the
# channel-pair / SMLAD order of the DSP kernels (kernels/conv_common.py).
INT8 = "int8"
DSP_PACKED = "dsp-packed"


@dataclass(frozen=True)
class KernelVariant:
    name: str
    defines: Mapping[str, str]  # preprocessor macros of every edgekit source
    packings: tuple[str, ...]  # weight layouts the lowerings may choose
    isa_features: tuple[str, ...]  # compiler feature macros the core must have
    summary: str
    fast_ops: tuple[str, ...] = ()  # op types with a kernel path of this variant's own (README's table)

    @property
    def packs_weights(self) -> bool:
        return DSP_PACKED in self.packings

    @property
    def has_mve(self) -> bool:
        return "__ARM_FEATURE_MVE" in self.isa_features


_DSP_FAST_OPS = ("ADD", "AVERAGE_POOL_2D", "BATCH_MATMUL", "CONV_2D", "DEPTHWISE_CONV_2D",
                 "FULLY_CONNECTED", "MAX_POOL_2D", "MEAN", "MUL", "SUB", "SUM", "SVDF", "TRANSPOSE_CONV",
                 "UNIDIRECTIONAL_SEQUENCE_LSTM")

VARIANTS: Mapping[str, KernelVariant] = MappingProxyType({
    "portable": KernelVariant("portable", MappingProxyType({}), (INT8,), (),
                              "plain C99, every core"),
    "arm-dsp": KernelVariant("arm-dsp", MappingProxyType({"EK_ARM_DSP": "1"}), (INT8, DSP_PACKED),
                             ("__ARM_FEATURE_DSP",),
                             "Arm DSP extension: SMLAD, SXTB16, SSAT (Cortex-M4/M7/M33/M55)", _DSP_FAST_OPS),
    # FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D through the MVE kernels
    # (edgekit/kernels/mve*.py), every other op through the arm-dsp paths: the cores with MVE
    # have the DSP extension too.
    "arm-mve": KernelVariant("arm-mve", MappingProxyType({"EK_ARM_DSP": "1", "EK_ARM_MVE": "1"}),
                             (INT8, DSP_PACKED), ("__ARM_FEATURE_DSP", "__ARM_FEATURE_MVE"),
                             "Arm MVE (Helium): VMLADAVA dot products, vector requantization (Cortex-M55/M85)",
                             _DSP_FAST_OPS),
})
VARIANT_NAMES: tuple[str, ...] = tuple(VARIANTS)


def kernel_variant(name: str) -> KernelVariant:
    """The variant `name`; KeyError naming the known ones (boards are checked on load)."""
    try:
        return VARIANTS[name]
    except KeyError:
        raise KeyError(f"unknown kernel variant {name!r} (known: {', '.join(VARIANT_NAMES)})") from None
