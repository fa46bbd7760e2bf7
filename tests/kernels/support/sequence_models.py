"""SVDF and UNIDIRECTIONAL_SEQUENCE_RNN models built through the TFLite schema.

No Keras layer converts to SVDF (Google's streaming keyword models write it with their own
tooling), so the tests build the op directly, with scales chosen as TF Lite's svdf_test.cc
(IntegerSVDFOpModel) and TFLite Micro's svdf_test.cc choose them: int8 input and
weights_feature, int16 weights_time and activation state (symmetric, zero point 0), an int32
bias of scale state_scale * weights_time_scale (TFLite Micro checks it), int8 output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tflite_builder import TensorSpec, single_op_model


@dataclass(frozen=True)
class SvdfCase:
    batches: int
    n_input: int
    units: int
    rank: int
    memory: int
    activation: str = "RELU"
    in_zp: int = -1
    out_zp: int = -1
    out_scale: float = 1.0 / 255
    bias: bool = True
    seed: int = 0

    @property
    def filters(self) -> int:
        return self.units * self.rank


def svdf_model(case: SvdfCase) -> bytes:
    """An int8 SVDF with seeded random weights (the full int8 / int16 ranges)."""
    rng = np.random.default_rng(case.seed)
    in_scale, wf_scale, wt_scale, state_scale = 2.0 / 255, 1.0 / 255, 1.0 / 32767, 16.0 / 32767
    wf = rng.integers(-127, 128, size=(case.filters, case.n_input), dtype=np.int8)
    wt = rng.integers(-32767, 32768, size=(case.filters, case.memory), dtype=np.int16)
    bias = rng.integers(-(2 ** 20), 2 ** 20, size=(case.units,), dtype=np.int32)
    inputs: list[TensorSpec | None] = [
        TensorSpec([case.batches, case.n_input], "int8", in_scale, case.in_zp, name="input"),
        TensorSpec(list(wf.shape), "int8", wf_scale, 0, data=wf, name="weights_feature"),
        TensorSpec(list(wt.shape), "int16", wt_scale, 0, data=wt, name="weights_time"),
        TensorSpec([case.units], "int32", float(np.float32(state_scale) * np.float32(wt_scale)), 0, data=bias,
                   name="bias") if case.bias else None,
        TensorSpec([case.batches, case.memory * case.filters], "int16", state_scale, 0, name="activation_state",
                   variable=True),
    ]
    output = TensorSpec([case.batches, case.units], "int8", case.out_scale, case.out_zp, name="output")
    return single_op_model("SVDF", inputs, [output],
                           {"rank": case.rank, "fused_activation_function": case.activation})
