"""Serial link speed to the emulated boards: round-trip latency, frames/s, bulk
throughput each way, and one real model's inference over the link.

Every number is measured with edgekit's DeviceLink against the real firmware (runtime
+ a stand-in model, and the KWS model built by `edgekit build`) running in QEMU 7.2
(-icount shift=0) with its UART on a 127.0.0.1 TCP socket (TCP_NODELAY), on this machine.
Wall-clock numbers depend on the host's load; the instruction counts do not.

Run: .venv/bin/python benchmarks/device_link.py [--boards qemu-cortex-m4 qemu-riscv32]
Writes benchmarks/results/device_link.md and device_link.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from edgekit import api
from edgekit.device import protocol as P
from edgekit.device.session import connect, read_build
from tests.device import standin

KWS = ROOT.parent / "shared" / "models" / "kws_ds_cnn_int8.tflite"


def timed(fn, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure_board(board: str, work: Path, n: int) -> dict:
    build = read_build(standin.write_build(work / f"standin-{board}", board))
    row: dict = {"board": board}
    with connect(build, timeout=5.0) as link:
        data = os.urandom(507)
        rtt = timed(lambda: link.request(P.POWER), n)
        row["rtt_ms_median"] = 1000 * statistics.median(rtt)
        row["frames_per_s"] = 2 / statistics.median(rtt)  # request + response
        up = timed(lambda: link.request(P.SET_INPUT, P.encode_set_input(0, 0, data)), n // 4)
        row["host_to_device_bytes_per_s"] = len(data) / statistics.median(up)
        down = timed(lambda: link.request(P.GET_OUTPUT, P.encode_get_output(0, 0, 507)), n // 4)
        row["device_to_host_bytes_per_s"] = 507 / statistics.median(down)
        assert link.stats.retries == 0, link.stats
    soak = read_build(standin.write_build(work / f"soak-{board}", board, in_bytes=64,
                                          out_bytes=96))
    rng = np.random.default_rng(1)
    with connect(soak, timeout=5.0) as link:
        t0, wrong = time.perf_counter(), 0
        for i in range(1000):
            x = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
            outputs, _ = link.run([x], time_ops=(i % 10 == 0))
            wrong += outputs != [standin.reference(x, out_bytes=96)]
        row["soak_1000_s"] = time.perf_counter() - t0
        row["soak_wrong_outputs"] = wrong
        row["soak_retries_bad_frames_resets"] = [link.stats.retries, link.stats.bad_frames,
                                                 link.stats.resets]
    kws_dir = work / f"kws-{board}"
    api.build(KWS, board, kws_dir)
    kws = read_build(kws_dir)
    with connect(kws, timeout=5.0) as link:
        x = os.urandom(link.hello_info.inputs[0].bytes)
        runs = timed(lambda: link.run([x], time_ops=True), 5)
        prof = link.profile()
    row["kws_inference_wall_ms_median"] = 1000 * statistics.median(runs)
    row["kws_instructions"] = prof.clock.ticks_to_units(prof.total_ticks)
    row["kws_invoke_ticks"] = prof.total_ticks
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--boards", nargs="+", default=["qemu-cortex-m4", "qemu-riscv32"])
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure_board(b, Path(tmp), args.n) for b in args.boards]
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    meta = {"host": platform.node(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "rows": rows}
    (out / "device_link.json").write_text(json.dumps(meta, indent=2) + "\n")
    lines = ["# Serial link to the emulated boards", "",
             ("Measured by benchmarks/device_link.py: DeviceLink ↔ real firmware in QEMU 7.2 "
              "(-icount shift=0) over a 127.0.0.1 TCP serial socket with TCP_NODELAY. Wall "
              "times depend on host load; instruction counts are exact."), "",
             ("| board | round trip (ms, median) | frames/s | host→device B/s | device→host B/s "
              "| KWS inference over serial (ms) | KWS instructions |"),
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['board']} | {r['rtt_ms_median']:.2f} | {r['frames_per_s']:,.0f} | "
                     f"{r['host_to_device_bytes_per_s']:,.0f} | "
                     f"{r['device_to_host_bytes_per_s']:,.0f} | "
                     f"{r['kws_inference_wall_ms_median']:.0f} | {r['kws_instructions']:,.0f} |")
    lines += ["", ("Soak: 1,000 inferences (64-byte input, 96-byte output, every 10th timed per "
                   "op) through the stand-in model, each output checked against its NumPy mirror:"),
              ""]
    for r in rows:
        retries, bad, resets = r["soak_retries_bad_frames_resets"]
        lines.append(f"- {r['board']}: {r['soak_1000_s']:.1f} s, {r['soak_wrong_outputs']} wrong "
                     f"outputs, {retries} retries, {bad} corrupt frames, {resets} resets")
    (out / "device_link.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
