"""Per-layer profile of a model on a device: from raw tick counts to a table.

Ticks become units with the device's clock info (instructions on emulated boards,
cycles on real ones, µs on the host) and µs at the board's CPU clock. Per-layer values
are medians over the runs; totals keep min/median/max.
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
    cycles: float  # median units per run (instructions when emulated)
    us: float
    pct: float  # of the summed per-layer time
    macs_per_cycle: float | None


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
    total_cycles: float  # median
    total_cycles_min: float
    total_cycles_max: float
    total_us: float  # median
    total_us_min: float
    total_us_max: float
    energy: Energy = field(default_factory=lambda: Energy(None, None, "none"))

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    def to_json(self) -> dict[str, Any]:
        return {
            "board": self.board, "unit": self.unit, "emulated": self.emulated,
            "cpu_hz": self.cpu_hz, "runs": self.runs,
            "layers": [asdict(layer) for layer in self.layers],
            "total_cycles": self.total_cycles, "total_cycles_min": self.total_cycles_min,
            "total_cycles_max": self.total_cycles_max, "total_us": self.total_us,
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

    medians = [clock.ticks_to_units(statistics.median(run[k] for run in op_ticks))
               for k in range(num_ops)]
    layer_sum = sum(medians) or 1.0
    layers = []
    for k, cycles in enumerate(medians):
        op = by_index.get(k, {})
        macs = int(op.get("macs", 0))
        layers.append(Layer(
            index=k, type=str(op.get("type", "?")), macs=macs, cycles=cycles, us=us(cycles),
            pct=100.0 * cycles / layer_sum,
            macs_per_cycle=(macs / cycles) if cycles and clock.unit != "us" else None,
        ))
    totals = [clock.ticks_to_units(t) for t in total_ticks]
    med = statistics.median(totals)
    return ProfileResult(
        board=board, unit=clock.unit, emulated=clock.emulated, cpu_hz=cpu_hz,
        runs=len(total_ticks), layers=layers, total_cycles=med, total_cycles_min=min(totals),
        total_cycles_max=max(totals), total_us=us(med), total_us_min=us(min(totals)),
        total_us_max=us(max(totals)),
    )


def energy_from_power(mw: float, total_us: float, source: str) -> Energy:
    """Energy per inference: mean power x inference time (mW x µs = nJ)."""
    return Energy(uj=mw * total_us / 1000.0, mw=mw, source=source)
