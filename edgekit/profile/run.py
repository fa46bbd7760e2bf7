"""`edgekit profile`: run the build's model N times on its device and time every layer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.device.link import DeviceLink
from edgekit.device.session import BuildInfo, connect, read_build
from edgekit.errors import UsageError
from edgekit.profile.summary import Energy, ProfileResult, energy_from_power, summarize


def random_inputs(link: DeviceLink, seed: int) -> list[bytes]:
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, t.bytes, dtype=np.uint8).tobytes() for t in link.info().inputs]


def _energy(build: BuildInfo, result: ProfileResult, sensor_uw: list[float],
            ppk2_mw: float | None) -> Energy:
    if ppk2_mw is not None:
        return energy_from_power(ppk2_mw, result.total_us,
                                 "measured (Nordic PPK2, mean over the inference burst)")
    if sensor_uw:
        return energy_from_power(sum(sensor_uw) / len(sensor_uw) / 1000.0, result.total_us,
                                 "measured (the board's INA2xx sensor, POWER readings)")
    power = build.board.power
    if power is not None:
        return energy_from_power(power.active_mw, result.total_us,
                                 f"estimate (datasheet active power, {power.source})")
    if result.emulated:
        return Energy(None, None, "none (emulated board: no power model)")
    return Energy(None, None, f"none (board {build.board.name} has no [power] model)")


def profile_build(
    build_dir: str | Path | None = None, *, port: str | None = None, runs: int = 10,
    board: str | None = None, seed: int = 0, ppk2: str | None = None, ppk2_mv: int = 3300,
    on_run: Callable[[int], None] | None = None, **link_options: Any,
) -> ProfileResult:
    """Profile the build's model on its device; on_run(i) is called after each run."""
    if runs < 1:
        raise UsageError("--runs must be at least 1")
    build = read_build(build_dir, board)
    op_ticks, totals, sensor_uw = [], [], []
    ppk2_mw = None
    with connect(build, port, **link_options) as link:
        inputs = random_inputs(link, seed)
        for i in range(runs):
            _, result = link.run(inputs, time_ops=True)
            prof = link.profile()
            op_ticks.append(prof.op_ticks)
            totals.append(prof.total_ticks)
            if link.info().has_power_sensor:
                reading = link.power()
                if reading is not None:
                    sensor_uw.append(reading.power_uw)
            if on_run is not None:
                on_run(i)
        if ppk2:
            from edgekit.device.ppk2 import measure_power_mw

            ppk2_mw = measure_power_mw(ppk2, ppk2_mv, lambda: link.run(inputs), bursts=runs)
        clock = prof.clock
    cpu_hz = build.board.cpu_hz or clock.cpu_hz
    summary = summarize(build.board.name, clock, cpu_hz, build.ops, op_ticks, totals)
    summary.energy = _energy(build, summary, sensor_uw, ppk2_mw)
    return summary
