"""The real firmware (runtime + stand-in model) on QEMU, over QEMU's TCP serial port."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from edgekit.device import protocol as P
from edgekit.device.session import connect, read_build
from tests.device import standin

pytestmark = pytest.mark.qemu
BOARDS = {"qemu-cortex-m4": ("arm-none-eabi-gcc", 40.0), "qemu-riscv32": ("riscv64-unknown-elf-gcc", 1.0)}


@pytest.fixture(scope="module", params=sorted(BOARDS))
def qemu_build(request, tmp_path_factory):
    cc, _ = BOARDS[request.param]
    if shutil.which(cc) is None:
        pytest.fail(f"{cc} is missing: run `make toolchain`")
    return standin.write_build(tmp_path_factory.mktemp(request.param), request.param)


def test_round_trip_and_profile(qemu_build) -> None:
    build = read_build(qemu_build)
    rng = np.random.default_rng(7)
    with connect(build, timeout=5.0) as link:
        hello = link.hello_info
        assert hello.board == build.board.name
        assert hello.clock.emulated and hello.clock.unit == "instructions"
        assert hello.clock.units_per_tick == BOARDS[build.board.name][1]
        assert hello.model_hash == build.model_hash
        totals, per_op = [], []
        for _ in range(3):
            x = rng.integers(0, 256, standin.IN_BYTES, dtype=np.uint8).tobytes()
            outputs, result = link.run([x], time_ops=True)
            assert outputs == [standin.reference(x)]
            prof = link.profile()
            assert len(prof.op_ticks) == standin.NUM_OPS and all(t > 0 for t in prof.op_ticks)
            assert sum(prof.op_ticks) <= result.total_ticks
            totals.append(result.total_ticks)
            per_op.append(prof.op_ticks)
        assert link.power() is None  # no sensor on an emulated board
        assert link.stats.retries == 0 and link.stats.bad_frames == 0
    # -icount: the same work is the same instruction count. The stand-in's loops do not
    # depend on the data, so every run counts the same, up to one tick of timer phase.
    assert max(totals) - min(totals) <= 1
    for k in range(standin.NUM_OPS):
        assert max(r[k] for r in per_op) - min(r[k] for r in per_op) <= 1


def test_unknown_request_answered_on_qemu(qemu_build) -> None:
    build = read_build(qemu_build)
    with connect(build, timeout=5.0) as link:
        frame = bytearray(P.encode_frame(P.HELLO, 77, b""))
        frame[-2] ^= 0x01
        link.port.write(b"\x00\x11garbage" + bytes(frame))
        x = os.urandom(standin.IN_BYTES)
        assert link.run([x])[0] == [standin.reference(x)]


@pytest.mark.slow
def test_soak_1000_invokes(tmp_path) -> None:
    # Small tensors so the soak measures framing, not QEMU's ~5 kB/s host-to-guest UART.
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    build = read_build(standin.write_build(tmp_path, "qemu-cortex-m4", in_bytes=64, out_bytes=96))
    rng = np.random.default_rng(1000)
    with connect(build, timeout=5.0) as link:
        for i in range(1000):
            x = rng.integers(0, 256, 64, dtype=np.uint8).tobytes()
            outputs, _ = link.run([x], time_ops=(i % 10 == 0))
            assert outputs == [standin.reference(x, out_bytes=96)], f"invoke {i}"
        # Nothing lost, nothing corrupted, nothing re-sent.
        assert (link.stats.retries, link.stats.bad_frames, link.stats.resets) == (0, 0, 0)
        assert link.stats.frames_received == link.stats.frames_sent + 1  # + the boot HELLO


def test_stalled_frame_resyncs_on_qemu(qemu_build) -> None:
    # Half a frame, then nothing: the firmware's byte timeout (200 ms of virtual time)
    # drops it; the host's next request may be swallowed first, then is retried.
    build = read_build(qemu_build)
    with connect(build, timeout=1.0) as link:
        link.port.write(P.encode_frame(P.SET_INPUT, 9, bytes(300))[:40])
        x = os.urandom(standin.IN_BYTES)
        assert link.run([x])[0] == [standin.reference(x)]
        assert link.stats.retries <= 2


def test_qemu_dying_mid_session_is_a_clear_error(tmp_path) -> None:
    import signal
    import time

    from edgekit.device.flash import flash_build, stop
    from edgekit.errors import DeviceError

    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc is missing: run `make toolchain`")
    build_dir = standin.write_build(tmp_path, "qemu-cortex-m4")
    flashed = flash_build(build_dir)
    try:
        with connect(read_build(build_dir), timeout=0.5) as link:
            x = os.urandom(standin.IN_BYTES)
            assert link.run([x])[0] == [standin.reference(x)]
            os.killpg(flashed.pid, signal.SIGKILL)  # the QEMU this test started
            t0 = time.monotonic()
            with pytest.raises(DeviceError, match="vanished|stopped answering") as err:
                link.run([x])
            assert time.monotonic() - t0 < 10
            assert "\n" not in err.value.message
    finally:
        stop(build_dir)
