"""DeviceLink against a fake device that misbehaves on cue (tests/device/fakepeer.py):
it must recover with exact results, or fail with one clear DeviceError, in bounded time."""

from __future__ import annotations

import os
import time

import pytest

from edgekit.device.link import DeviceLink
from edgekit.errors import DeviceError
from tests.device import standin

HASH = "ab" * 32


def run_once(url: str, *, timeout: float = 0.4, retries: int = 3) -> tuple[DeviceLink, bytes, bytes]:
    link = DeviceLink.open(url, timeout=timeout, invoke_timeout=timeout, retries=retries,
                           resync_pause=0.05)
    link.hello(HASH)
    x = os.urandom(standin.IN_BYTES)
    outputs, _ = link.run([x], time_ops=True)
    return link, x, outputs[0]


# Request indices: 0 HELLO, 1-3 SET_INPUT (600 bytes in 251-byte chunks), 4 INVOKE,
# 5-7 GET_OUTPUT (700 bytes in 251-byte chunks).
@pytest.mark.parametrize("fault", ["garbage", "corrupt", "drop", "truncate", "crc_error", "silent"])
@pytest.mark.parametrize("at", [0, 2, 4, 6])
def test_recovers_from_one_fault(fake_device, fault: str, at: int) -> None:
    dev = fake_device(faults={at: fault})
    link, x, out = run_once(dev.url)
    with link:
        assert out == standin.reference(x)
        if fault != "garbage":
            assert link.stats.retries >= 1


def test_recovers_from_a_reset_mid_inference(fake_device) -> None:
    # The device reboots on the INVOKE: its input is gone; the host must notice (seq-0
    # HELLO), greet it again and redo the whole inference.
    dev = fake_device(faults={4: "reset"})
    link, x, out = run_once(dev.url)
    with link:
        assert out == standin.reference(x)
        assert link.stats.resets == 1
        assert dev.invokes == 1  # only the inference after the reset ran to the end


def test_too_many_resets_is_a_clear_error(fake_device) -> None:
    dev = fake_device(faults={2: "reset", 5: "reset", 8: "reset"})
    with pytest.raises(DeviceError, match="keeps resetting"):
        run_once(dev.url)


def test_paced_like_a_uart_with_faults(fake_device) -> None:
    dev = fake_device(faults={1: "corrupt", 6: "garbage"}, baud_pacing=True)
    t0 = time.monotonic()
    link, x, out = run_once(dev.url, timeout=1.0)
    with link:
        assert out == standin.reference(x)
    # ~1.4 kB of responses at 115200 baud is at least 0.12 s: the pacing is real.
    assert time.monotonic() - t0 > 0.1


def test_silent_device_fails_in_bounded_time(fake_device) -> None:
    dev = fake_device(faults={3: "dead"})
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match="stopped answering") as err:
        run_once(dev.url, timeout=0.3, retries=2)
    assert time.monotonic() - t0 < 3.0
    assert "\n" not in err.value.message


def test_port_vanishing_is_a_clear_error(fake_device) -> None:
    dev = fake_device(faults={4: "close"})
    with pytest.raises(DeviceError, match="vanished|stopped answering"):
        run_once(dev.url)


def test_wrong_model_is_refused(fake_device) -> None:
    dev = fake_device(model_hash="12" * 32)
    with pytest.raises(DeviceError, match="firmware on the board is for another model"):
        run_once(dev.url)


def test_nothing_listening_is_a_clear_error() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(DeviceError, match="cannot open serial port"):
        DeviceLink.open(f"socket://127.0.0.1:{port}")
    with pytest.raises(DeviceError, match="cannot open serial port"):
        DeviceLink.open("/dev/ttyEDGEKIT-does-not-exist")
