"""The host side of the MLPerf Tiny DUT protocol over any pyserial URL.

A command is ASCII ended by '%'; the reply is lines ("\\r\\n") up to one that reads
"m-ready". Every read has a deadline: a DUT that stops answering is a DeviceError.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import serial

from edgekit.device.link import open_serial
from edgekit.device.port_owner import PortOwner
from edgekit.errors import DeviceError

READY = "m-ready"
CMD_MAX = 80  # characters of one command, the terminator not counted
CHUNK_DIRECT = 31  # bytes a "db" line when the host talks to the DUT directly
CHUNK_INTERFACE = 26  # ... and through the EEMBC interface board

_RESULTS = re.compile(r"^m-results-\[([^\]]*)\]$")
_LAP = re.compile(r"^m-lap-us-(\d+)$")


@dataclass(frozen=True)
class Inference:
    """What one `infer N W` answered."""

    results: tuple[float, ...]
    iterations: int
    warmups: int
    elapsed_us: int  # between the two m-lap-us timestamps (performance mode)
    lines: tuple[str, ...]


class Dut(PortOwner):
    def __init__(self, port: serial.SerialBase, url: str, *, timeout_s: float = 10.0) -> None:
        self.port = port
        self.url = url
        self.timeout_s = timeout_s
        self._pending = b""

    @classmethod
    def open(cls, url: str, *, baudrate: int = 115200, timeout_s: float = 10.0) -> Dut:
        try:
            port = open_serial(url, timeout_s=0.05, baudrate=baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open serial port {url}: {exc}") from None
        return cls(port, url, timeout_s=timeout_s)

    # ---- lines ----

    def _read_line(self, deadline: float) -> str:
        while b"\n" not in self._pending:
            if time.monotonic() > deadline:
                raise DeviceError(f"the DUT on {self.url} stopped answering "
                                  f"(no line within {self.timeout_s:.0f} s)")
            try:
                self._pending += self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError) as exc:
                raise DeviceError(f"serial port {self.url} vanished: {exc}") from None
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode("ascii", "replace").strip("\r\0 ")

    def read_reply(self, timeout_s: float | None = None) -> list[str]:
        """Lines up to and without the closing m-ready."""
        deadline = time.monotonic() + (timeout_s if timeout_s is not None else self.timeout_s)
        lines: list[str] = []
        while True:
            line = self._read_line(deadline)
            if line == READY:
                return lines
            if line:
                lines.append(line)

    def command(self, text: str, timeout_s: float | None = None) -> list[str]:
        if len(text) > CMD_MAX or "%" in text:
            raise ValueError(f"not a DUT command (over {CMD_MAX} characters or with '%'): {text[:20]!r}")
        return self.send_raw((text + "%").encode("ascii"), timeout_s)

    def send_raw(self, data: bytes, timeout_s: float | None = None) -> list[str]:
        """Send bytes as they are (tests use it for over-long commands and garbage)."""
        try:
            self.port.write(data)
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(f"serial port {self.url} vanished: {exc}") from None
        reply = self.read_reply(timeout_s)
        while reply and all(_is_boot_line(line) for line in reply):
            reply = self.read_reply(timeout_s)  # the DUT (re)booted: that reply was not ours
        return reply

    # ---- the protocol ----

    def name(self) -> str:
        for line in self.command("name"):
            match = re.match(r"^m-name-dut-\[([^\]]+)\]$", line)
            if match:
                return match.group(1)
        raise DeviceError(f"the device on {self.url} did not answer `name` as an MLPerf Tiny DUT")

    def model(self) -> str:
        for line in self.command("profile"):
            match = re.match(r"^m-model-\[([^\]]+)\]$", line)
            if match:
                return match.group(1)
        raise DeviceError(f"the device on {self.url} did not name its model (`profile`)")

    def load(self, data: bytes, chunk: int = CHUNK_DIRECT) -> None:
        """`db load N` and the data as hex lines; DeviceError unless the DUT says load-done."""
        reply = self.command(f"db load {len(data)}")
        _check(reply, f"m-[Expecting {len(data)} bytes]", "db load")
        last: list[str] = []
        for start in range(0, len(data), chunk):
            last = self.command("db " + data[start:start + chunk].hex())
            errors = [line for line in last if line.startswith("e-")]
            if errors:
                raise DeviceError(f"the DUT refused input data: {errors[0]}")
        _check(last, "m-load-done", "db")

    def infer(self, iterations: int, warmups: int, timeout_s: float | None = None) -> Inference:
        lines = self.command(f"infer {iterations} {warmups}", timeout_s)
        errors = [line for line in lines if line.startswith("e-")]
        if errors:
            raise DeviceError(f"the DUT refused `infer`: {errors[0]}")
        laps = [int(m.group(1)) for m in map(_LAP.match, lines) if m]
        results = [m.group(1) for m in map(_RESULTS.match, lines) if m]
        if not results:
            raise DeviceError(f"the DUT's `infer` reply has no m-results line: {lines[-3:]}")
        values = tuple(float(v) for v in results[-1].split(",") if v.strip())
        elapsed = laps[1] - laps[0] if len(laps) >= 2 else 0
        return Inference(values, iterations, warmups, elapsed, tuple(lines))


def _is_boot_line(line: str) -> bool:
    return line == "m-init-done" or line.startswith("m-timestamp-mode-")


def _check(reply: list[str], expected: str, what: str) -> None:
    if expected not in reply:
        raise DeviceError(f"the DUT answered `{what}` with {reply!r}, not {expected!r}")
