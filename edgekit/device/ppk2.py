"""Nordic Power Profiler Kit II: current measurement over its USB serial port.

The PPK2 speaks raw bytes, no framing: one opcode, then its arguments.
  0x19 GET_META_DATA        → ASCII "key: value" lines (calibration), ending with "END"
  0x11 SET_POWER_MODE m     m = 1 ampere meter, 2 source meter
  0x0D REGULATOR_SET hi lo  source (or expected) voltage in mV, big-endian
  0x0C DEVICE_RUNNING_SET b b = 1 powers the device under test, 0 cuts it
  0x06 AVERAGE_START / 0x07 AVERAGE_STOP   start/stop streaming samples
Streaming: 100,000 samples/s, each a little-endian u32: bits 0-13 ADC code, 14-16
measurement range (0-4), 18-23 a counter, 24-31 the digital inputs. A code becomes
amperes with the range's calibration from the metadata:
  x = (4·adc − O[r]) · (1.8 / 163840) / R[r]
  I = UG[r] · (x · (GS[r] · x + GI[r]) + S[r] · Vdd + I[r])
(Protocol facts from Nordic's nRF Connect Power Profiler and the ppk2-api project,
learned by reading them; this implementation is edgekit's own.)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import serial

from edgekit.device.port_owner import PortOwner
from edgekit.errors import DeviceError

GET_META_DATA = 0x19
SET_POWER_MODE = 0x11
REGULATOR_SET = 0x0D
DEVICE_RUNNING_SET = 0x0C
AVERAGE_START = 0x06
AVERAGE_STOP = 0x07
MODE_AMPERE = 1
MODE_SOURCE = 2
SAMPLE_RATE_HZ = 100_000
ADC_VOLTS_PER_CODE = 1.8 / 163840
MIN_MV, MAX_MV = 800, 5000

# Calibration before the device's own (the values the PPK2 firmware ships with).
_DEFAULT_R = (1031.64, 101.65, 10.15, 0.94, 0.043)


@dataclass(frozen=True)
class Calibration:
    r: tuple[float, ...] = _DEFAULT_R
    gs: tuple[float, ...] = (1.0,) * 5
    gi: tuple[float, ...] = (1.0,) * 5
    o: tuple[float, ...] = (0.0,) * 5
    s: tuple[float, ...] = (0.0,) * 5
    i: tuple[float, ...] = (0.0,) * 5
    ug: tuple[float, ...] = (1.0,) * 5


def parse_metadata(text: str) -> Calibration:
    """Calibration from the metadata lines ("R0: 1031.64", "GS2: 1", ...)."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        try:
            values[key.strip()] = float(value.strip())
        except ValueError:
            continue

    def row(name: str, default: tuple[float, ...]) -> tuple[float, ...]:
        out = []
        for k in range(5):
            v = values.get(f"{name}{k}")
            # Some units report R = 0 for a range: keep the default rather than divide by 0.
            out.append(default[k] if v is None or (name == "R" and v == 0) else v)
        return tuple(out)

    d = Calibration()
    return Calibration(r=row("R", d.r), gs=row("GS", d.gs), gi=row("GI", d.gi),
                       o=row("O", d.o), s=row("S", d.s), i=row("I", d.i), ug=row("UG", d.ug))


def decode_samples(raw: bytes, cal: Calibration, vdd_mv: float) -> np.ndarray:
    """Amperes, one per whole 4-byte sample of raw."""
    words = np.frombuffer(raw[: len(raw) // 4 * 4], dtype="<u4")
    adc = (words & 0x3FFF).astype(np.float64)
    rng = np.minimum((words >> 14) & 0x7, 4).astype(np.intp)

    def pick(row: tuple[float, ...]) -> np.ndarray:
        return np.asarray(row)[rng]

    x = (4.0 * adc - pick(cal.o)) * ADC_VOLTS_PER_CODE / pick(cal.r)
    return pick(cal.ug) * (x * (pick(cal.gs) * x + pick(cal.gi))
                           + pick(cal.s) * (vdd_mv / 1000.0) + pick(cal.i))


class PPK2(PortOwner):
    def __init__(self, url: str, timeout: float = 3.0) -> None:
        self.url = url
        self.timeout = timeout
        try:
            self.port = serial.serial_for_url(url, baudrate=9600, timeout=0.05)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open the PPK2 on {url}: {exc}") from None
        self.vdd_mv = 0

    def _write(self, *data: int) -> None:
        try:
            self.port.write(bytes(data))
            self.port.flush()
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(f"the PPK2 on {self.url} vanished: {exc}") from None

    def _read(self) -> bytes:
        try:
            return self.port.read(max(1, self.port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise DeviceError(f"the PPK2 on {self.url} vanished: {exc}") from None

    def calibration(self) -> Calibration:
        self.port.reset_input_buffer()
        self._write(GET_META_DATA)
        text, deadline = b"", time.monotonic() + self.timeout
        while b"END" not in text:
            if time.monotonic() > deadline:
                raise DeviceError(f"no PPK2 answered on {self.url} (no metadata within "
                                  f"{self.timeout:g} s)")
            text += self._read()
        return parse_metadata(text.decode("ascii", errors="replace"))

    def set_voltage(self, mv: int) -> None:
        if not MIN_MV <= mv <= MAX_MV:
            raise DeviceError(f"the PPK2 sources {MIN_MV}-{MAX_MV} mV, not {mv}")
        self._write(REGULATOR_SET, mv >> 8, mv & 0xFF)
        self.vdd_mv = mv

    def source_meter(self, mv: int) -> None:
        """Power the device under test from the PPK2 at mv and measure its current."""
        self._write(SET_POWER_MODE, MODE_SOURCE)
        self.set_voltage(mv)
        self._write(DEVICE_RUNNING_SET, 1)

    def measure(self, cal: Calibration, action: Callable[[], object]) -> tuple[float, int]:
        """Mean current (A) while `action` runs, and the number of samples it rests on."""
        chunks: list[bytes] = []
        failure: list[DeviceError] = []
        stop = threading.Event()

        def reader() -> None:
            try:
                while not stop.is_set():
                    chunks.append(self._read())
            except DeviceError as exc:  # handed to the caller below
                failure.append(exc)

        thread = threading.Thread(target=reader, daemon=True)
        self.port.reset_input_buffer()
        thread.start()
        self._write(AVERAGE_START)
        try:
            action()
        finally:
            self._write(AVERAGE_STOP)
            time.sleep(0.05)  # the samples already on their way
            stop.set()
            thread.join(timeout=2.0)
        if failure:
            raise failure[0]
        amps = decode_samples(b"".join(chunks), cal, self.vdd_mv)
        if len(amps) == 0:
            raise DeviceError(f"the PPK2 on {self.url} sent no samples")
        return float(np.mean(amps)), len(amps)


def measure_power_mw(url: str, mv: int, action: Callable[[], object], bursts: int = 10) -> float:
    """Mean power (mW) the device draws from the PPK2 (source meter at mv) while `action`
    runs `bursts` times."""
    with PPK2(url) as ppk:
        cal = ppk.calibration()
        ppk.source_meter(mv)
        amps, _ = ppk.measure(cal, lambda: [action() for _ in range(bursts)])
    return amps * mv  # A x mV = mW
