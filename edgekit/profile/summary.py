"""Per-layer profile of a model on a device: from raw tick counts to a table.

Ticks become counts with the device's clock info (`unit`: instructions on emulated
boards, cycles on real ones, µs on the host) and µs at the board's CPU clock. Counts are
whole numbers; per-layer values are medians over the runs (rounded to the count);
totals keep min/median/max.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from edgekit.device.protocol import ClockInfo


@dataclass(frozen=True)
class Layer:
    index: int
    type: str
    macs: int
    counts: int  # median per run, in the result's unit (instructions when emulated)
    us: float
    pct: float  # of the summed per-layer time
    macs_per_count: float | None  # None when the op has no MACs or no count


@dataclass(frozen=True)
class Energy:
    uj: float | None  # per inference
    mw: float | None  # mean power it was computed from
    source: str  # "estimate (...)", "measured (...)" or "none (...)"


@dataclass
class ProfileResult:
    board: str
    unit: str  # "instructions" | "cycles" | "us"
    emulated: bool
    cpu_hz: int
    runs: int
    layers: list[Layer]
    total_counts: int  # median
    total_counts_min: int
    total_counts_max: int
    total_us: float  # median
    total_us_min: float
    total_us_max: float
    energy: Energy = field(default_factory=lambda: Energy(None, None, "none"))
    model: str | None = None  # from the build's report.json (describe_build)
    build_id: str | None = None
    build_dir: str | None = None

    def describe_build(self, report: dict[str, Any], build_dir: str | None = None) -> None:
        """Name the model and firmware this profile measured."""
        self.model = report.get("model")
        self.build_id = report.get("build_id")
        self.build_dir = build_dir

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model, "board": self.board, "build_id": self.build_id,
            "build_dir": self.build_dir, "unit": self.unit, "emulated": self.emulated,
            "cpu_hz": self.cpu_hz, "runs": self.runs,
            "layers": [asdict(layer) for layer in self.layers],
            "total_counts": self.total_counts, "total_counts_min": self.total_counts_min,
            "total_counts_max": self.total_counts_max, "total_us": self.total_us,
            "total_us_min": self.total_us_min, "total_us_max": self.total_us_max,
            "macs": self.macs, "energy_uj": self.energy.uj, "energy_mw": self.energy.mw,
            "energy_source": self.energy.source,
        }  # fmt: skip


def summarize(
    board: str, clock: ClockInfo, cpu_hz: int, ops: Sequence[dict[str, Any]],
    op_ticks: Sequence[Sequence[int]], total_ticks: Sequence[int],
) -> ProfileResult:
    """ops: the build report's ops ({index, type, macs}); op_ticks: one list per run."""
    if not op_ticks or not total_ticks:
        raise ValueError("no runs to summarize")
    num_ops = len(op_ticks[0])
    by_index = {int(op.get("index", i)): op for i, op in enumerate(ops)}

    def us(units: float) -> float:
        return clock.ticks_to_us(units / clock.units_per_tick, cpu_hz) if clock.units_per_tick else 0.0

    def counts(ticks: float) -> int:
        return int(round(clock.ticks_to_units(ticks)))

    medians = [counts(statistics.median(run[k] for run in op_ticks)) for k in range(num_ops)]
    layer_sum = sum(medians) or 1
    layers = []
    for k, count in enumerate(medians):
        op = by_index.get(k, {})
        macs = int(op.get("macs", 0))
        layers.append(Layer(
            index=k, type=str(op.get("type", "?")), macs=macs, counts=count, us=us(count),
            pct=100.0 * count / layer_sum,
            macs_per_count=(macs / count) if macs and count and clock.unit != "us" else None,
        ))
    totals = [counts(t) for t in total_ticks]
    med = counts(statistics.median(total_ticks))
    return ProfileResult(
        board=board, unit=clock.unit, emulated=clock.emulated, cpu_hz=cpu_hz,
        runs=len(total_ticks), layers=layers, total_counts=med, total_counts_min=min(totals),
        total_counts_max=max(totals), total_us=us(med), total_us_min=us(min(totals)),
        total_us_max=us(max(totals)),
    )


def energy_from_power(mw: float, total_us: float, source: str) -> Energy:
    """Energy per inference: mean power x inference time (mW x µs = nJ)."""
    return Energy(uj=mw * total_us / 1000.0, mw=mw, source=source)
