"""The edgekit device protocol: frames, CRC and message payloads (host side).

Frame (all fields little-endian)::

    0xA5 | len u16 | type u8 | seq u8 | payload[len] | crc u16

`crc` is CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)
over len, type, seq and payload. The host numbers requests 1..255; a response has the
request's type with bit 7 set and the request's seq. seq 0 belongs to the device: at
boot the firmware announces itself with an unsolicited HELLO response (seq 0), so a
host that sees one in the middle of a transaction knows the device was reset.

Messages (request → response; payload layouts in firmware/runtime/ek_protocol.h, which
is the other half of this file):

- HELLO → protocol version, flags (emulated counts, power sensor, per-op timing), max
  payload, arena bytes, number of ops, CPU Hz and units-per-tick (instructions when
  emulated, else cycles), input/output sizes and quantization, board, model hash
  (hex SHA-256), build id.
- SET_INPUT (tensor, offset, bytes) → echo; chunked to the device's max payload.
- INVOKE (flags: time every op) → status, total ticks.
- GET_OUTPUT (tensor, offset, length) → (tensor, offset, bytes), chunked.
- PROFILE (first op) → per-op ticks of the last timed invoke, with the clock info.
- POWER → status (ok / no sensor / sensor error), sensor kind, bus µV, current µA, µW.
- RESET_STATE → state bytes (u32): clears what persists between invokes (the model's
  variables, its run-once initialisers), so the next invoke starts as after boot.
- ERROR (response only) → code (bad CRC, unknown type, bad offset, bad length, too
  long) and the offending request type.

The device skips garbage before a start byte and drops a frame that stalls; the host
(edgekit.device.link) does the same with FrameDecoder, retries on errors and timeouts.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

START = 0xA5
VERSION = 1
HEADER_BYTES = 5  # start, len (2), type, seq
OVERHEAD = HEADER_BYTES + 2  # + crc
MAX_LENGTH = 0xFFFF

HELLO = 0x01
SET_INPUT = 0x02
INVOKE = 0x03
GET_OUTPUT = 0x04
PROFILE = 0x05
POWER = 0x06
RESET_STATE = 0x07
RESPONSE = 0x80
ERROR = 0xFF

MESSAGE_NAMES = {
    HELLO: "HELLO",
    SET_INPUT: "SET_INPUT",
    INVOKE: "INVOKE",
    GET_OUTPUT: "GET_OUTPUT",
    PROFILE: "PROFILE",
    POWER: "POWER",
    RESET_STATE: "RESET_STATE",
    ERROR: "ERROR",
}

ERR_BAD_CRC = 1
ERR_UNKNOWN_TYPE = 2
ERR_BAD_OFFSET = 3
ERR_BAD_LENGTH = 4
ERR_TOO_LONG = 5
ERROR_NAMES = {
    ERR_BAD_CRC: "bad CRC",
    ERR_UNKNOWN_TYPE: "unknown request type",
    ERR_BAD_OFFSET: "bad tensor index or offset",
    ERR_BAD_LENGTH: "malformed payload",
    ERR_TOO_LONG: "frame longer than the device's buffer",
}

FLAG_EMULATED = 0x01
FLAG_POWER = 0x02
FLAG_OP_TIMING = 0x04
FLAG_UNIT_US = 0x08
INVOKE_TIME_OPS = 0x01

POWER_OK = 0
POWER_NO_SENSOR = 1
POWER_SENSOR_ERROR = 2
SENSOR_NAMES = {0: "none", 1: "INA219", 2: "INA226"}


class ProtocolError(Exception):
    """A payload that does not parse as the message it claims to be (a firmware bug or
    a protocol version mismatch; the link turns it into a DeviceError)."""


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE of data (check value of b"123456789" is 0x29B1)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def _crc_table() -> list[int]:
    return [crc16(bytes([i]), 0) for i in range(256)]


_TABLE = _crc_table()


def crc16_fast(data: bytes, crc: int = 0xFFFF) -> int:
    """Table-driven crc16 (same result, for whole frames)."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    if len(payload) > MAX_LENGTH:
        raise ValueError(f"payload of {len(payload)} bytes does not fit a frame")
    body = struct.pack("<HBB", len(payload), msg_type, seq) + payload
    return bytes([START]) + body + struct.pack("<H", crc16_fast(body))


@dataclass(frozen=True)
class Frame:
    type: int
    seq: int
    payload: bytes


@dataclass(frozen=True)
class BadFrame:
    """A complete frame whose CRC did not match (type and seq may be garbage)."""

    type: int
    seq: int


class FrameDecoder:
    """Incremental decoder: feed bytes, get Frames (and BadFrames for CRC failures).

    Bytes before a start byte are counted in `skipped` and dropped. A header whose
    length exceeds `max_payload` is treated as a false start: the search resumes at the
    next byte. After a bad CRC the search also resumes right after the false start, so
    a real frame hidden inside a corrupt one is still found.
    """

    def __init__(self, max_payload: int = MAX_LENGTH) -> None:
        self.max_payload = max_payload
        self._buf = bytearray()
        self.skipped = 0

    def reset(self) -> None:
        self._buf.clear()

    @property
    def pending(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame | BadFrame]:
        self._buf += data
        out: list[Frame | BadFrame] = []
        buf = self._buf
        while True:
            start = buf.find(START)
            if start < 0:
                self.skipped += len(buf)
                buf.clear()
                break
            if start:
                self.skipped += start
                del buf[:start]
            if len(buf) < HEADER_BYTES:
                break
            length, msg_type, seq = struct.unpack_from("<HBB", buf, 1)
            if length > self.max_payload:
                self.skipped += 1
                del buf[:1]
                continue
            total = OVERHEAD + length
            if len(buf) < total:
                break
            body = bytes(buf[1 : HEADER_BYTES + length])
            (crc,) = struct.unpack_from("<H", buf, HEADER_BYTES + length)
            if crc16_fast(body) == crc:
                out.append(Frame(msg_type, seq, body[4:]))
                del buf[:total]
            else:
                out.append(BadFrame(msg_type, seq))
                self.skipped += 1
                del buf[:1]
        return out


# ---- message payloads ----


@dataclass(frozen=True)
class TensorInfo:
    bytes: int
    scale: float
    zero_point: int


@dataclass(frozen=True)
class ClockInfo:
    """How to read ticks: one tick is `units_per_tick` of `unit` — executed instructions
    (emulated boards, QEMU -icount), cycles (real boards) or microseconds (host)."""

    cpu_hz: int
    units_per_tick_num: int
    units_per_tick_den: int
    emulated: bool
    unit_us: bool = False

    @property
    def units_per_tick(self) -> float:
        return self.units_per_tick_num / max(self.units_per_tick_den, 1)

    @property
    def unit(self) -> str:
        return "us" if self.unit_us else "instructions" if self.emulated else "cycles"

    def ticks_to_units(self, ticks: float) -> float:
        return ticks * self.units_per_tick

    def ticks_to_us(self, ticks: float, cpu_hz: int | None = None) -> float:
        """Microseconds: at `cpu_hz` (default the device's clock; on an emulated board
        one instruction per cycle), or directly when the ticks are microseconds."""
        if self.unit_us:
            return self.ticks_to_units(ticks)
        hz = cpu_hz or self.cpu_hz
        return self.ticks_to_units(ticks) * 1e6 / hz if hz else 0.0


@dataclass(frozen=True)
class Hello:
    version: int
    flags: int
    max_payload: int
    arena_bytes: int
    num_ops: int
    clock: ClockInfo
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    board: str
    model_hash: str
    build_id: str

    @property
    def has_power_sensor(self) -> bool:
        return bool(self.flags & FLAG_POWER)


@dataclass(frozen=True)
class InvokeResult:
    status: int
    total_ticks: int


@dataclass(frozen=True)
class ProfileChunk:
    valid: bool
    clock: ClockInfo
    total_ticks: int
    num_ops: int
    first: int
    ticks: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PowerReading:
    status: int
    sensor: str
    bus_mv: float
    current_ma: float
    power_uw: float


class _Reader:
    """Bounds-checked little-endian reader over a payload."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise ProtocolError(f"{self.what} response is truncated ({len(self.data)} bytes)")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def string(self) -> str:
        n = self.one("<B")
        raw = self.take(f"<{n}s")[0]
        return raw.decode("utf-8", errors="replace")

    def rest(self) -> bytes:
        out = self.data[self.pos :]
        self.pos = len(self.data)
        return out


def _clock(flags: int, r: _Reader) -> ClockInfo:
    cpu_hz, num, den = r.take("<III")
    return ClockInfo(cpu_hz, num, den, bool(flags & FLAG_EMULATED), bool(flags & FLAG_UNIT_US))


def parse_hello(payload: bytes) -> Hello:
    r = _Reader(payload, "HELLO")
    version, flags, max_payload, arena, num_ops = r.take("<BBHIH")
    if version != VERSION:
        raise ProtocolError(f"device speaks protocol version {version}, edgekit speaks {VERSION}")
    clock = _clock(flags, r)
    n_in, n_out = r.take("<BB")
    tensors = [TensorInfo(*r.take("<Ifi")) for _ in range(n_in + n_out)]
    board, model_hash, build_id = r.string(), r.string(), r.string()
    return Hello(
        version, flags, max_payload, arena, num_ops, clock,
        tuple(tensors[:n_in]), tuple(tensors[n_in:]), board, model_hash, build_id,
    )


def encode_hello(hello: Hello) -> bytes:
    """The device's HELLO payload (used by fake peers in tests and by parse tests)."""
    c = hello.clock
    out = struct.pack(
        "<BBHIHIIIBB", hello.version, hello.flags, hello.max_payload, hello.arena_bytes,
        hello.num_ops, c.cpu_hz, c.units_per_tick_num, c.units_per_tick_den,
        len(hello.inputs), len(hello.outputs),
    )
    for t in hello.inputs + hello.outputs:
        out += struct.pack("<Ifi", t.bytes, t.scale, t.zero_point)
    for s in (hello.board, hello.model_hash, hello.build_id):
        raw = s.encode()
        out += struct.pack("<B", len(raw)) + raw
    return out


def encode_set_input(tensor: int, offset: int, data: bytes) -> bytes:
    return struct.pack("<BI", tensor, offset) + data


def encode_invoke(time_ops: bool) -> bytes:
    return struct.pack("<B", INVOKE_TIME_OPS if time_ops else 0)


def parse_invoke(payload: bytes) -> InvokeResult:
    status, ticks = _Reader(payload, "INVOKE").take("<iI")
    return InvokeResult(status, ticks)


def encode_get_output(tensor: int, offset: int, length: int) -> bytes:
    return struct.pack("<BIH", tensor, offset, length)


def parse_get_output(payload: bytes) -> tuple[int, int, bytes]:
    r = _Reader(payload, "GET_OUTPUT")
    tensor, offset = r.take("<BI")
    return tensor, offset, r.rest()


def parse_set_input(payload: bytes) -> tuple[int, int, int]:
    return _Reader(payload, "SET_INPUT").take("<BIH")


def encode_profile(first: int) -> bytes:
    return struct.pack("<H", first)


def parse_profile(payload: bytes) -> ProfileChunk:
    r = _Reader(payload, "PROFILE")
    valid, flags = r.take("<BB")
    clock = _clock(flags, r)
    total, num_ops, first, count = r.take("<IHHH")
    ticks = r.take(f"<{count}I") if count else ()
    return ProfileChunk(bool(valid), clock, total, num_ops, first, tuple(ticks))


def parse_power(payload: bytes) -> PowerReading:
    status, sensor, bus_uv, current_ua, power_uw = _Reader(payload, "POWER").take("<BBIiI")
    return PowerReading(
        status, SENSOR_NAMES.get(sensor, f"sensor {sensor}"),
        bus_uv / 1000.0, current_ua / 1000.0, float(power_uw),
    )


def parse_reset_state(payload: bytes) -> int:
    """RESET_STATE's response: the size of the state region the device cleared."""
    return int(_Reader(payload, "RESET_STATE").one("<I"))


def parse_error(payload: bytes) -> tuple[int, int]:
    return _Reader(payload, "ERROR").take("<BB")


def describe_error(payload: bytes) -> str:
    try:
        code, request = parse_error(payload)
    except ProtocolError:
        return "device error (unparseable)"
    what = ERROR_NAMES.get(code, f"error code {code}")
    return f"{what} (request {MESSAGE_NAMES.get(request, hex(request))})"
