"""DeviceLink: requests and responses with a device over any pyserial URL.

A port is anything `serial.serial_for_url` opens: /dev/ttyACM0, COM3,
socket://127.0.0.1:PORT (QEMU), rfc2217://host:port (a board on another machine).
Every read has a deadline; a request that gets no valid answer is re-sent (new seq)
a bounded number of times; garbage and corrupt frames are skipped; a device reset
(an unsolicited HELLO with seq 0) in the middle of an inference makes `run` start the
inference again. When nothing works the caller gets a DeviceError (exit 2) saying so.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import serial

from edgekit.device import protocol as P
from edgekit.device.port_owner import PortOwner
from edgekit.errors import DeviceError


def open_serial(url: str, timeout_s: float = 10.0, baudrate: int = 115200) -> serial.SerialBase:
    """pyserial port for `url` that keeps the bytes that arrive while it opens.

    pyserial's socket:// open() ends with reset_input_buffer(), which throws away what the
    peer already sent -- and a guest that QEMU starts on connect, or the host firmware,
    may send its first bytes within that window. Opening without that reset loses nothing.
    """
    port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s, do_not_open=True)
    port.reset_input_buffer = lambda: None  # shadows the method during open() only
    try:
        port.open()
    finally:
        del port.reset_input_buffer
    return port


class DeviceReset(DeviceError):
    """The device announced itself (seq-0 HELLO) in the middle of a transaction."""


@dataclass
class LinkStats:
    frames_sent: int = 0
    frames_received: int = 0
    retries: int = 0
    bad_frames: int = 0
    stale_frames: int = 0
    resets: int = 0
    skipped_bytes: int = 0


@dataclass(frozen=True)
class Profile:
    """Per-op ticks of the last timed invoke, with how to turn ticks into time."""

    clock: P.ClockInfo
    total_ticks: int
    op_ticks: tuple[int, ...]


# Errors worth re-sending a request for: the frame was damaged on the way.
_TRANSIENT = (P.ERR_BAD_CRC, P.ERR_TOO_LONG)


class DeviceLink(PortOwner):
    def __init__(
        self,
        port: serial.SerialBase,
        name: str,
        *,
        timeout: float = 1.0,
        invoke_timeout: float = 60.0,
        retries: int = 4,
        resync_pause: float = 0.25,
    ) -> None:
        self.port = port
        self.name = name
        self.timeout = timeout
        self.invoke_timeout = invoke_timeout
        self.retries = retries
        # Longer than the firmware's inter-byte timeout, so a frame it was still
        # assembling from our lost bytes is dropped before we send again.
        self.resync_pause = resync_pause
        self.decoder = P.FrameDecoder()
        self.stats = LinkStats()
        self.hello_info: P.Hello | None = None
        self._seq = 0
        self._invoke_wall: float | None = None  # longest clean INVOKE round trip, s

    # ---- opening and closing ----

    @classmethod
    def open(cls, url: str, *, baudrate: int = 115200, **kwargs) -> DeviceLink:
        try:
            # Keep what the device already sent (its boot HELLO): see open_serial.
            port = open_serial(url, timeout_s=0.05, baudrate=baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open serial port {url}: {_reason(exc)}") from None
        try:
            port.write_timeout = 5  # a stuck USB port must not block a write forever
        except NotImplementedError:
            pass  # rfc2217:// has no write timeout (its socket has its own)
        return cls(port, url, **kwargs)

    # ---- raw transport ----

    def _next_seq(self) -> int:
        self._seq = self._seq % 255 + 1  # 1..255; 0 is the device's own
        return self._seq

    def _write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(f"serial port {self.name} vanished: {_reason(exc)}") from None

    def _read_some(self) -> bytes:
        try:
            waiting = self.port.in_waiting
            return self.port.read(max(1, min(waiting, 65536)))
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(
                f"serial port {self.name} vanished (device disconnected or emulator "
                f"stopped): {_reason(exc)}"
            ) from None

    def _drain(self) -> None:
        """Forget whatever arrived but was not consumed (before a retry)."""
        self.decoder.reset()
        try:
            self.port.reset_input_buffer()
        except (serial.SerialException, OSError):
            pass

    # ---- one request ----

    def request(self, msg_type: int, payload: bytes = b"", timeout: float | None = None) -> bytes:
        """Sends a request and returns its response payload, retrying on damage/silence."""
        name = P.MESSAGE_NAMES.get(msg_type, hex(msg_type))
        wait = self.timeout if timeout is None else timeout
        last_problem = "no answer"
        for attempt in range(self.retries + 1):
            if attempt:
                self.stats.retries += 1
                time.sleep(self.resync_pause)
                self._drain()
            seq = self._next_seq()
            self._write(P.encode_frame(msg_type, seq, payload))
            self.stats.frames_sent += 1
            outcome = self._await(msg_type, seq, wait)
            if isinstance(outcome, bytes):
                return outcome
            last_problem = outcome
        raise DeviceError(
            f"device on {self.name} stopped answering ({name}: {last_problem} after "
            f"{self.retries + 1} attempts); check the port, or re-flash and retry"
        )

    def _await(self, msg_type: int, seq: int, wait: float) -> bytes | str:
        """The response payload, or a short reason to retry."""
        deadline = time.monotonic() + wait
        want = msg_type | P.RESPONSE
        while time.monotonic() < deadline:
            data = self._read_some()
            if not data:
                continue
            before = self.decoder.skipped
            events = self.decoder.feed(data)
            self.stats.skipped_bytes += self.decoder.skipped - before
            for ev in events:
                if isinstance(ev, P.BadFrame):
                    self.stats.bad_frames += 1
                    if ev.seq == seq and ev.type in (want, P.ERROR):
                        return "corrupt response"
                    continue
                self.stats.frames_received += 1
                if ev.seq == 0 and ev.type == P.HELLO | P.RESPONSE:
                    # Before our first HELLO it is just the boot announcement.
                    if msg_type != P.HELLO and self.hello_info is not None:
                        self.stats.resets += 1
                        self.decoder.reset()
                        raise DeviceReset(
                            f"device on {self.name} reset during {P.MESSAGE_NAMES[msg_type]}"
                        )
                    continue
                if ev.seq != seq:
                    self.stats.stale_frames += 1
                    continue
                if ev.type == P.ERROR:
                    code = P.parse_error(ev.payload)[0] if len(ev.payload) >= 2 else 0
                    if code in _TRANSIENT:
                        return P.describe_error(ev.payload)
                    raise DeviceError(
                        f"device on {self.name} rejected {P.MESSAGE_NAMES.get(msg_type)}: "
                        f"{P.describe_error(ev.payload)}"
                    )
                if ev.type == want:
                    return ev.payload
                self.stats.stale_frames += 1
        return "timed out"

    def _parse(self, parser, payload: bytes):
        try:
            return parser(payload)
        except P.ProtocolError as exc:
            raise DeviceError(f"device on {self.name} sent a malformed answer: {exc}") from None

    # ---- messages ----

    def hello(self, expected_hash: str | None = None, expected_build_id: str | None = None) -> P.Hello:
        """Greets the device; with expected_hash, insists it runs that model, and with
        expected_build_id, that very build (same rounding, planner, options, sources)."""
        info = self._parse(P.parse_hello, self.request(P.HELLO))
        self.hello_info = info
        self.decoder.max_payload = max(info.max_payload, 16)
        if expected_hash and info.model_hash.lower() != expected_hash.lower():
            raise DeviceError(
                f"firmware on the board is for another model (device runs model "
                f"{info.model_hash[:12]}, the build is {expected_hash[:12]}); flash this "
                f"build with `edgekit flash`"
            )
        if expected_build_id and info.build_id != expected_build_id:
            raise DeviceError(
                f"firmware on the board is another build of this model (device runs build "
                f"{info.build_id or '?'}, this build is {expected_build_id}: other rounding, planner, "
                f"options or edgekit version); flash this build with `edgekit flash`"
            )
        return info

    def info(self) -> P.Hello:
        """The device's HELLO (greeting it first when that has not happened yet)."""
        return self._info()

    def _info(self) -> P.Hello:
        return self.hello_info if self.hello_info is not None else self.hello()

    def set_input(self, index: int, data: bytes) -> None:
        info = self._info()
        if index >= len(info.inputs) or len(data) != info.inputs[index].bytes:
            want = info.inputs[index].bytes if index < len(info.inputs) else "no such input"
            raise DeviceError(f"input {index} has {len(data)} bytes; the device expects {want}")
        chunk = info.max_payload - 5
        for offset in range(0, len(data), chunk):
            part = data[offset : offset + chunk]
            echo = self._parse(P.parse_set_input, self.request(
                P.SET_INPUT, P.encode_set_input(index, offset, part)))
            if echo != (index, offset, len(part)):
                raise DeviceError(f"device on {self.name} acknowledged the wrong input chunk")

    def invoke(self, time_ops: bool = False) -> P.InvokeResult:
        # Until one invoke was seen, wait up to invoke_timeout; after that, a few times
        # the longest seen, so a lost answer costs seconds, not a minute.
        wait = self.invoke_timeout
        if self._invoke_wall is not None:
            wait = min(wait, self.timeout + 4 * self._invoke_wall)
        t0, retries = time.monotonic(), self.stats.retries
        result = self._parse(P.parse_invoke, self.request(
            P.INVOKE, P.encode_invoke(time_ops), timeout=wait))
        if self.stats.retries == retries:  # a clean round trip: a fair measure
            self._invoke_wall = max(self._invoke_wall or 0.0, time.monotonic() - t0)
        if result.status != 0:
            raise DeviceError(f"the model failed on the device (status {result.status})")
        return result

    def get_output(self, index: int) -> bytes:
        info = self._info()
        if index >= len(info.outputs):
            raise DeviceError(f"the device's model has no output {index}")
        size = info.outputs[index].bytes
        out = bytearray()
        while len(out) < size:
            length = min(size - len(out), info.max_payload - 5)
            tensor, offset, data = self._parse(P.parse_get_output, self.request(
                P.GET_OUTPUT, P.encode_get_output(index, len(out), length)))
            if tensor != index or offset != len(out) or not data or len(data) > length:
                raise DeviceError(f"device on {self.name} sent the wrong output chunk")
            out += data
        return bytes(out)

    def profile(self) -> Profile:
        ticks: list[int] = []
        chunk = None
        while chunk is None or len(ticks) < chunk.num_ops:
            chunk = self._parse(P.parse_profile, self.request(P.PROFILE, P.encode_profile(len(ticks))))
            if not chunk.valid:
                raise DeviceError("the device has no timed invoke to report (invoke with timing first)")
            if chunk.first != len(ticks) or (not chunk.ticks and chunk.num_ops > len(ticks)):
                raise DeviceError(f"device on {self.name} sent the wrong profile chunk")
            ticks.extend(chunk.ticks)
        return Profile(chunk.clock, chunk.total_ticks, tuple(ticks))

    def reset_state(self) -> int:
        """Clear the model's persistent state (variables); the bytes the device cleared."""
        return self._parse(P.parse_reset_state, self.request(P.RESET_STATE))

    def power(self) -> P.PowerReading | None:
        """One sensor reading, or None when the firmware has no power sensor."""
        reading = self._parse(P.parse_power, self.request(P.POWER))
        if reading.status == P.POWER_NO_SENSOR:
            return None
        if reading.status != P.POWER_OK:
            raise DeviceError(f"the board's {reading.sensor} power sensor did not answer on I2C")
        return reading

    def run(
        self, inputs: Sequence[bytes], time_ops: bool = False, reset_retries: int = 2
    ) -> tuple[list[bytes], P.InvokeResult]:
        """One inference: inputs in, invoke, outputs back. Starts over after a reset."""
        for attempt in range(reset_retries + 1):
            try:
                for i, data in enumerate(inputs):
                    self.set_input(i, data)
                result = self.invoke(time_ops)
                outputs = [self.get_output(i) for i in range(len(self._info().outputs))]
                return outputs, result
            except DeviceReset:
                if attempt == reset_retries:
                    raise DeviceError(
                        f"device on {self.name} keeps resetting ({reset_retries + 1} resets "
                        f"during one inference); check its power supply and firmware"
                    ) from None
                expected = self.hello_info.model_hash if self.hello_info else None
                self.hello(expected)
        raise AssertionError("unreachable")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
