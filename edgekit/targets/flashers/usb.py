"""USB devices by VID:PID, read from Linux sysfs (/sys/bus/usb/devices).

Debug probes and boot loaders are often not serial ports (HalfKay is HID, PICOBOOT is a
vendor interface), so this reads the USB tree itself. Elsewhere it falls back to the
serial ports pyserial sees. EDGEKIT_USB_SYSFS points it at another tree (tests, or a
container with the host's /sys mounted elsewhere).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from edgekit.errors import DeviceError

SYSFS_ENV = "EDGEKIT_USB_SYSFS"
SYSFS_DEFAULT = Path("/sys/bus/usb/devices")


@dataclass(frozen=True)
class UsbDevice:
    vid: int
    pid: int
    product: str = ""
    serial: str = ""
    bus: int | None = None
    address: int | None = None
    tty: str | None = None  # /dev/ttyACM0 when one of its interfaces is a serial port

    @property
    def ids(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}"

    def describe(self) -> str:
        extra = ", ".join(x for x in (self.product, f"serial {self.serial}" if self.serial else "",
                                      self.tty or "") if x)
        return f"{self.ids}{' (' + extra + ')' if extra else ''}"


def parse_ids(pairs: Sequence[str]) -> set[tuple[int, int]]:
    return {(int(v, 16), int(p, 16)) for v, p in (pair.split(":") for pair in pairs)}


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace").strip()
    except OSError:
        return ""


def _tty_of(device_dir: Path) -> str | None:
    for tty in sorted(device_dir.glob("*:*/tty/*")) + sorted(device_dir.glob("*:*/tty*")):
        if tty.name.startswith("tty") and tty.name != "tty":
            return f"/dev/{tty.name}"
    return None


def _from_sysfs(root: Path) -> list[UsbDevice]:
    devices = []
    for entry in sorted(root.iterdir()):
        vid, pid = _read(entry / "idVendor"), _read(entry / "idProduct")
        if not vid or not pid:
            continue  # an interface or a hub port, not a device
        try:
            bus, address = _read(entry / "busnum"), _read(entry / "devnum")
            devices.append(UsbDevice(
                int(vid, 16), int(pid, 16), _read(entry / "product"), _read(entry / "serial"),
                int(bus) if bus else None, int(address) if address else None, _tty_of(entry)))
        except ValueError:
            continue
    return devices


def _from_serial_ports() -> list[UsbDevice]:
    from serial.tools import list_ports

    return [UsbDevice(p.vid, p.pid, p.product or p.description or "", p.serial_number or "",
                      tty=p.device)
            for p in list_ports.comports() if p.vid is not None and p.pid is not None]


def list_usb_devices(root: Path | str | None = None) -> list[UsbDevice]:
    """Every USB device this machine sees (sysfs), or its USB serial ports elsewhere."""
    base = Path(root or os.environ.get(SYSFS_ENV) or SYSFS_DEFAULT)
    if base.is_dir():
        return _from_sysfs(base)
    return _from_serial_ports()


def find_one(wanted: Sequence[str], what: str, devices: Sequence[UsbDevice] | None = None,
             hint: str = "") -> UsbDevice:
    """The one device whose VID:PID is in `wanted`; none or several → DeviceError that
    lists what was seen."""
    ids = parse_ids(wanted)
    seen = list_usb_devices() if devices is None else list(devices)
    matches = [d for d in seen if (d.vid, d.pid) in ids]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        listing = "; ".join(d.describe() for d in seen) or "none"
        raise DeviceError(f"no {what} found (USB id {', '.join(wanted)}); USB devices seen: "
                          f"{listing}{'. ' + hint if hint else ''}")
    raise DeviceError(f"{len(matches)} devices look like the {what} (USB id "
                      f"{', '.join(wanted)}): {'; '.join(d.describe() for d in matches)}. "
                      "Unplug all but one")
