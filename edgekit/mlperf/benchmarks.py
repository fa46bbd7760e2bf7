"""The four MLPerf Tiny benchmarks as the DUT sees them: input rule, sizes, output rule.

Facts from the MLCommons reference submissions (benchmark/reference_submissions): kws01
sends the 490 int8 MFCC values as they are; ic01 and vww01 send uint8 pixels from which
the DUT subtracts 128; ad01 sends float32 log-mel frames, 640 values (2,560 bytes) a
window, which the DUT quantizes with round(x / scale) + zero point and scores as the mean
squared error between the dequantized reconstruction and the float input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgekit.errors import ModelError

# Values of firmware/runtime/ek_mlperf.h's enums.
IN_INT8, IN_UINT8_SHIFT, IN_FLOAT32 = 0, 1, 2
OUT_SCORES, OUT_MSE = 0, 1


@dataclass(frozen=True)
class Benchmark:
    model_id: str
    title: str
    input_elements: int
    input_kind: int
    output_kind: int
    # The runner's baud rates for this benchmark: performance/accuracy, energy
    # (benchmark/runner/devices_*.yaml).
    baud: int
    energy_baud: int = 9600

    @property
    def input_bytes(self) -> int:
        """Bytes of one input window on the wire."""
        return self.input_elements * (4 if self.input_kind == IN_FLOAT32 else 1)


BENCHMARKS: dict[str, Benchmark] = {
    b.model_id: b
    for b in (
        Benchmark("kws01", "keyword spotting", 490, IN_INT8, OUT_SCORES, 115200),
        Benchmark("vww01", "visual wake words", 96 * 96 * 3, IN_UINT8_SHIFT, OUT_SCORES, 115200),
        Benchmark("ic01", "image classification", 32 * 32 * 3, IN_UINT8_SHIFT, OUT_SCORES, 115200),
        Benchmark("ad01", "anomaly detection", 640, IN_FLOAT32, OUT_MSE, 921600),
    )
}

DUT_NAME = "edgekit"


def benchmark(model_id: str) -> Benchmark:
    try:
        return BENCHMARKS[model_id]
    except KeyError:
        raise ModelError(f"unknown MLPerf Tiny benchmark {model_id!r}: use one of "
                         f"{', '.join(BENCHMARKS)}") from None


def firmware_context(model_id: str, inputs: list[dict[str, Any]], outputs: list[dict[str, Any]]
                     ) -> dict[str, Any]:
    """main.c.j2's `mlperf` values for a model, after checking it fits the benchmark.

    `inputs`/`outputs` are the generated model's tensors ({"dtype", "elements"}).
    """
    bench = benchmark(model_id)
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelError(f"{model_id} needs a model with one input and one output; this one has "
                         f"{len(inputs)} and {len(outputs)}")
    (x,), (y,) = inputs, outputs
    for what, t in (("input", x), ("output", y)):
        if t["dtype"] != "int8":
            raise ModelError(f"{model_id} needs an int8 {what}; this model's is {t['dtype']}")
    if x["elements"] != bench.input_elements:
        raise ModelError(f"{model_id} ({bench.title}) sends {bench.input_elements} input values; "
                         f"this model takes {x['elements']}")
    if bench.output_kind == OUT_MSE and y["elements"] != x["elements"]:
        raise ModelError(f"{model_id} scores a reconstruction: the output needs "
                         f"{x['elements']} values, not {y['elements']}")
    return dict(model_id=model_id, dut_name=DUT_NAME, input_kind=bench.input_kind,
                output_kind=bench.output_kind, db_bytes=bench.input_bytes,
                staged_bytes=bench.input_elements if bench.input_kind == IN_FLOAT32 else 0)
