"""`edgekit mlperf`: score an `--mlperf` build the way MLCommons' runner does.

Accuracy mode sends every file of the data set (every window, for ad01) with
`infer 1 0` and scores the answers (edgekit.mlperf.score). Performance mode runs
`windows` windows of `infer N W`, N chosen so that each lasts at least `min_window_s`
seconds of device time, and reports the median throughput. On an emulated board the
device's clock is QEMU's instruction count (-icount: one instruction a virtual
nanosecond), so time there means executed instructions at the board's clock, and the
result says it is emulated.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgekit.device.session import BuildInfo, device_url, read_build
from edgekit.errors import BoardError, DeviceError
from edgekit.mlperf import score
from edgekit.mlperf.benchmarks import OUT_MSE, Benchmark, benchmark
from edgekit.mlperf.dataset import Sample, read_dataset
from edgekit.mlperf.dut import Dut

# The runner's `infer N W` per benchmark in performance mode (tests_performance.yaml):
# the least we run, even when fewer would fill a window.
RUNNER_ITERATIONS = {"kws01": (70, 10), "vww01": (20, 5), "ic01": (20, 5), "ad01": (1500, 10)}


@dataclass
class MlperfResult:
    model_id: str
    board: str
    mode: str
    emulated: bool
    samples: int = 0
    top1: float | None = None  # percent (ad01: the runner's precision/recall figure)
    auc: float | None = None
    scores: list[list[float]] = field(default_factory=list)  # per sample, as the DUT sent them
    labels: list[int] = field(default_factory=list)
    windows: list[dict[str, Any]] = field(default_factory=list)  # performance mode
    median_throughput: float | None = None  # inferences per second of device time
    instructions_per_inference: float | None = None  # emulated boards

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _mlperf_build(build: BuildInfo) -> Benchmark:
    model_id = build.report.get("mlperf")
    if not model_id:
        raise BoardError(f"{build.dir} was not built for MLPerf Tiny: rebuild with "
                         "`edgekit build MODEL --board B --mlperf kws01|vww01|ic01|ad01`")
    return benchmark(str(model_id))


@contextmanager
def open_dut(build: BuildInfo, port: str | None, timeout_s: float) -> Iterator[Dut]:
    """The build's DUT, greeted: its boot lines read (when it just started) and its model checked."""
    bench = _mlperf_build(build)
    with device_url(build, port) as url, Dut.open(url, baudrate=bench.baud, timeout_s=timeout_s) as dut:
        model = dut.model()
        if model != bench.model_id:
            raise DeviceError(f"the DUT on {url} runs {model}, not {bench.model_id} (this build)")
        yield dut


def run_accuracy(build_dir: str | Path, data: str | Path, *, port: str | None = None,
                 timeout_s: float = 30.0, on_sample: Callable[[int, int], None] | None = None
                 ) -> MlperfResult:
    build = read_build(build_dir)
    bench = _mlperf_build(build)
    samples = read_dataset(data, bench.model_id, bench.input_bytes)
    result = MlperfResult(bench.model_id, build.board.name, "accuracy", build.board.emulated)
    with open_dut(build, port, timeout_s) as dut:
        for k, sample in enumerate(samples):
            result.scores.append(_score_sample(dut, sample, bench))
            result.labels.append(sample.label)
            if on_sample is not None:
                on_sample(k + 1, len(samples))
    result.samples = len(samples)
    scores, labels = np.array(result.scores, dtype=np.float64), np.array(result.labels)
    if bench.output_kind == OUT_MSE:
        result.top1 = score.anomaly_accuracy(scores[:, 0], labels)
    else:
        result.top1 = score.top1(scores, labels)
    result.auc = score.auc(scores, labels) if len(set(result.labels)) > 1 else None
    return result


def _score_sample(dut: Dut, sample: Sample, bench: Benchmark) -> list[float]:
    """One file's scores: normalised for classifiers, the mean over windows for ad01."""
    per_window = []
    for window in sample.windows:
        dut.load(window)
        per_window.append(dut.infer(1, 0).results)
    if bench.output_kind == OUT_MSE:
        return [float(np.mean([w[0] for w in per_window]))]
    return score.normalize(per_window[0])


def run_performance(build_dir: str | Path, data: str | Path, *, port: str | None = None,
                    windows: int = 5, min_window_s: float = 10.0, timeout_s: float = 30.0,
                    on_window: Callable[[int, int], None] | None = None) -> MlperfResult:
    build = read_build(build_dir)
    bench = _mlperf_build(build)
    samples = read_dataset(data, bench.model_id, bench.input_bytes)
    board = build.board
    result = MlperfResult(bench.model_id, board.name, "performance", board.emulated)
    least, warmups = RUNNER_ITERATIONS[bench.model_id]
    with open_dut(build, port, timeout_s) as dut:
        dut.load(samples[0].windows[0])
        started = time.monotonic()
        probe = dut.infer(1, 0)  # how long one inference takes, on the device and here
        wall_per_inference = time.monotonic() - started
        per_inference_s = max(_device_seconds(probe.elapsed_us, board), 1e-9)
        iterations = max(least, math.ceil(min_window_s / per_inference_s))
        wait = 10.0 + 3 * wall_per_inference * (iterations + warmups)
        for k in range(windows):
            dut.load(samples[k % len(samples)].windows[0])  # the runner: one file a window
            answer = dut.infer(iterations, warmups, timeout_s=wait)
            seconds = _device_seconds(answer.elapsed_us, board)
            result.windows.append(dict(file=samples[k % len(samples)].file.name, iterations=iterations,
                                       warmups=warmups, elapsed_us=answer.elapsed_us,
                                       device_seconds=seconds,
                                       throughput=iterations / seconds if seconds else 0.0))
            if on_window is not None:
                on_window(k + 1, windows)
    result.median_throughput = score.median_throughput([w["throughput"] for w in result.windows])
    if board.emulated:
        # virtual microseconds are thousands of instructions under -icount shift=0
        result.instructions_per_inference = float(np.median(
            [w["elapsed_us"] * 1000 / w["iterations"] for w in result.windows]))
    return result


def _device_seconds(elapsed_us: int, board: Any) -> float:
    """Seconds on the device: real time on a board; on QEMU, the executed instructions
    (a virtual nanosecond each) at the board's clock."""
    if board.emulated:
        return elapsed_us * 1000 / board.cpu_hz
    return elapsed_us / 1e6
