"""Run MLCommons' benchmark runner against a DUT behind a pyserial URL.

The runner (mlcommons/tiny benchmark/runner/main.py) finds its devices by USB
VID:PID with pyserial's `list_ports.comports()` and opens them by path, so it cannot
reach a DUT on socket:// (QEMU) or rfc2217:// (a board on another machine). This
adapter bridges such a URL to a local pseudo-terminal, makes `comports()` list that
terminal with the VID:PID the runner's devices file expects for its DUT, and runs the
runner's main.py in this process:

    python -m edgekit.mlperf.runner_adapter --url socket://127.0.0.1:PORT \\
        --runner ~/tiny/benchmark/runner --usb 0483:374B -- \\
        -d devices_kws_ic_vww.yaml -m p -s ~/datasets

Everything after `--` goes to main.py unchanged. The runner also looks for USB-only
power meters with pyusb; without pyusb installed that scan finds nothing.
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
import tty
from pathlib import Path
from typing import Any

import serial

from edgekit.device.link import open_serial
from edgekit.errors import DeviceError, UsageError


class PtyBridge:
    """A pseudo-terminal whose other end is the DUT at `url`; copies bytes both ways."""

    def __init__(self, url: str, baudrate: int = 115200) -> None:
        try:
            self.port = open_serial(url, timeout_s=0.05, baudrate=baudrate)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise DeviceError(f"cannot open serial port {url}: {exc}") from None
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # bytes pass unchanged: no echo, no line editing
        self.path = os.ttyname(self.slave)
        self._running = True
        self._threads = [threading.Thread(target=self._to_dut, daemon=True),
                         threading.Thread(target=self._from_dut, daemon=True)]
        for thread in self._threads:
            thread.start()

    def _to_dut(self) -> None:
        while self._running:
            try:
                data = os.read(self.master, 4096)
            except OSError:
                return  # the terminal was closed
            if data:
                self.port.write(data)

    def _from_dut(self) -> None:
        while self._running:
            try:
                data = self.port.read(max(1, self.port.in_waiting))
            except (serial.SerialException, OSError):
                return
            if data:
                os.write(self.master, data)

    def close(self) -> None:
        self._running = False
        self.port.close()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> PtyBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fake_port(path: str, vid: int, pid: int) -> Any:
    """A pyserial ListPortInfo for `path` that says it is the USB device vid:pid."""
    from serial.tools.list_ports_common import ListPortInfo

    info = ListPortInfo(path, skip_link_detection=True)
    info.vid, info.pid = vid, pid
    info.description = f"edgekit bridge to a DUT ({vid:04X}:{pid:04X})"
    return info


def _parse_usb(text: str) -> tuple[int, int]:
    try:
        vid, pid = (int(part, 16) for part in text.split(":"))
    except ValueError:
        raise UsageError(f"--usb wants VID:PID in hex (e.g. 0483:374B), not {text!r}") from None
    return vid, pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m edgekit.mlperf.runner_adapter",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the DUT: socket://host:port, rfc2217://...")
    parser.add_argument("--runner", required=True, type=Path, help="mlcommons/tiny's benchmark/runner folder")
    parser.add_argument("--usb", default="0483:374B",
                        help="VID:PID the runner's devices file gives its DUT (default: NUCLEO-L4R5ZI's)")
    parser.add_argument("--baud", type=int, default=115200)
    parser.add_argument("runner_args", nargs=argparse.REMAINDER, help="-- then main.py's arguments")
    args = parser.parse_args(argv)
    main_py = args.runner / "main.py"
    if not main_py.is_file():
        print(f"runner_adapter: error: {main_py} not found: point --runner at benchmark/runner",
              file=sys.stderr)
        return 2
    vid, pid = _parse_usb(args.usb)
    runner_args = args.runner_args[1:] if args.runner_args[:1] == ["--"] else args.runner_args
    from serial.tools import list_ports

    with PtyBridge(args.url, args.baud) as bridge:
        port = fake_port(bridge.path, vid, pid)
        list_ports.comports = lambda include_links=False: [port]  # what the runner scans
        sys.argv = [str(main_py), *runner_args]
        sys.path.insert(0, str(args.runner))
        os.chdir(args.runner)
        runpy.run_path(str(main_py), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
