"""The real C firmware (runtime + stand-in model, host BSP) on a pty, driven by the host
DeviceLink: every message, the device's error answers, and its resync."""

from __future__ import annotations

import os
import struct
import time

import numpy as np
import pytest

from edgekit.device import protocol as P
from edgekit.device.link import DeviceLink
from edgekit.errors import DeviceError
from tests.device import standin
from tests.device.conftest import HostFirmware


def open_link(fw: HostFirmware, **kwargs) -> DeviceLink:
    link = DeviceLink.open(fw.path, timeout=kwargs.pop("timeout", 1.0), **kwargs)
    fw.release()
    return link


def raw_exchange(link: DeviceLink, data: bytes, wait: float = 1.0) -> list:
    """Writes raw bytes and collects the frames that come back within `wait` s."""
    link.port.write(data)
    events, deadline = [], time.monotonic() + wait
    while time.monotonic() < deadline:
        events += link.decoder.feed(link.port.read(256))
        if any(isinstance(e, P.Frame) and e.seq != 0 for e in events):
            break
    return [e for e in events if not (isinstance(e, P.Frame) and e.seq == 0)]


def test_hello_describes_the_model(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        hello = link.hello(expected_hash="cd" * 32)
    assert (hello.board, hello.model_hash, hello.build_id) == ("host", "cd" * 32, "test-build")
    assert hello.num_ops == standin.NUM_OPS
    assert hello.arena_bytes == 2 * standin.IN_BYTES + standin.OUT_BYTES
    assert [(t.bytes, t.scale, t.zero_point) for t in hello.inputs] == [
        (standin.IN_BYTES, *standin.IN_QUANT)]
    assert [(t.bytes, t.scale, t.zero_point) for t in hello.outputs] == [
        (standin.OUT_BYTES, *standin.OUT_QUANT)]
    assert hello.max_payload == 512 and not hello.has_power_sensor


def test_wrong_model_hash_is_a_clear_error(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link, pytest.raises(DeviceError, match="for another model"):
        link.hello(expected_hash="ef" * 32)


def test_inference_round_trip_is_exact(host_fw: HostFirmware) -> None:
    rng = np.random.default_rng(1)
    with open_link(host_fw) as link:
        link.hello()
        for _ in range(5):
            x = rng.integers(0, 256, standin.IN_BYTES, dtype=np.uint8).tobytes()
            outputs, result = link.run([x], time_ops=True)
            assert outputs == [standin.reference(x)]
            prof = link.profile()
            assert len(prof.op_ticks) == standin.NUM_OPS
            assert prof.total_ticks == result.total_ticks >= sum(prof.op_ticks)
        assert link.stats.retries == 0 and link.stats.bad_frames == 0


def test_power_without_sensor_is_none(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        assert link.power() is None


def test_profile_needs_a_timed_invoke(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        link.run([bytes(standin.IN_BYTES)], time_ops=False)
        with pytest.raises(DeviceError, match="no timed invoke"):
            link.profile()


def test_device_answers_bad_crc_with_error_frame(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        frame = bytearray(P.encode_frame(P.HELLO, 9, b""))
        frame[-1] ^= 0xFF
        events = raw_exchange(link, bytes(frame))
    assert events == [P.Frame(P.ERROR, 9, bytes([P.ERR_BAD_CRC, P.HELLO]))]


def test_device_rejects_unknown_type_and_bad_offset(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        with pytest.raises(DeviceError, match="unknown request type"):
            link.request(0x42)
        with pytest.raises(DeviceError, match="bad tensor index or offset"):
            link.request(P.GET_OUTPUT, P.encode_get_output(0, standin.OUT_BYTES - 2, 4))
        with pytest.raises(DeviceError, match="bad tensor index or offset"):
            link.request(P.SET_INPUT, P.encode_set_input(1, 0, b"x"))
        with pytest.raises(DeviceError, match="malformed payload"):
            link.request(P.INVOKE, b"")
        # Still serving after all that.
        assert link.hello().board == "host"


def test_device_refuses_oversize_length(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        events = raw_exchange(link, bytes([P.START]) + struct.pack("<HBB", 4000, P.HELLO, 5))
    assert events == [P.Frame(P.ERROR, 5, bytes([P.ERR_TOO_LONG, P.HELLO]))]


def test_device_skips_garbage_and_resyncs_after_a_stalled_frame(host_fw: HostFirmware) -> None:
    with open_link(host_fw) as link:
        link.hello()
        # Noise without start bytes is skipped at once.
        link.port.write(bytes(range(0x10, 0x90)))
        assert link.hello().board == "host"
        # Half a frame, then silence: the device drops it after its byte timeout.
        link.port.write(P.encode_frame(P.INVOKE, 3, b"\x00")[:4])
        time.sleep(0.4)
        x = bytes(range(200)) * 3
        assert link.run([x])[0] == [standin.reference(x)]
        assert link.stats.retries == 0


def test_host_recovers_when_a_request_is_swallowed(host_fw: HostFirmware) -> None:
    # A false start byte right before a request: the device takes the request's bytes
    # as the body of a long frame; the host times out, pauses, retries and succeeds.
    with open_link(host_fw, timeout=0.5) as link:
        link.hello()
        link.port.write(bytes([P.START, 0x20, 0x00]))
        x = os.urandom(standin.IN_BYTES)
        assert link.run([x])[0] == [standin.reference(x)]
        assert link.stats.retries >= 1


def test_profile_is_chunked_for_many_ops(tmp_path) -> None:
    exe = standin.build_host_firmware(tmp_path, num_ops=300)
    fw = HostFirmware(exe)
    try:
        with open_link(fw) as link:
            x = bytes(range(256)) + bytes(standin.IN_BYTES - 256)
            outputs, _ = link.run([x], time_ops=True)
            assert outputs == [standin.reference(x, num_ops=300)]
            prof = link.profile()
            assert len(prof.op_ticks) == 300
            assert link.stats.frames_sent >= 3 + 3  # at least 3 PROFILE chunks of 122 ops
    finally:
        fw.stop()


def test_port_vanishing_is_a_device_error(host_fw: HostFirmware) -> None:
    with open_link(host_fw, timeout=0.5, retries=1) as link:
        link.hello()
        host_fw.proc.kill()
        host_fw.proc.wait()
        t0 = time.monotonic()
        with pytest.raises(DeviceError) as err:
            link.run([bytes(standin.IN_BYTES)])
        assert time.monotonic() - t0 < 5
    assert "vanished" in err.value.message or "stopped answering" in err.value.message


def test_device_reset_mid_inference_is_survived(host_fw_exe) -> None:
    # The firmware restarts on the same port after the first input chunk went in: its
    # seq-0 HELLO tells the host, which greets it again and redoes the whole inference.
    fw = HostFirmware(host_fw_exe, keep_master=True)
    try:
        with open_link(fw) as link:
            link.hello()
            x = os.urandom(standin.IN_BYTES)
            link.request(P.SET_INPUT, P.encode_set_input(0, 0, x[:100]))
            fw.restart()
            time.sleep(0.2)  # its boot HELLO is on the line before our next request
            outputs, _ = link.run([x])
            assert outputs == [standin.reference(x)]
            assert link.stats.resets == 1
    finally:
        fw.stop()
