"""`edgekit monitor PORT|DIR [--baud N] [--timeout S]`: the raw serial console.

Prints what the board sends until --timeout seconds pass with nothing received, or
Ctrl-C. A build folder stands for its board's port (the QEMU `edgekit flash` left
running, or the port found by USB id). Note that edgekit's firmware speaks a binary
protocol: this is for boards' boot messages and your own firmware's prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgekit.errors import DeviceError, UsageError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="PORT|DIR",
                        help="serial port or pyserial URL, or a build folder")
    parser.add_argument("--baud", type=int, help="baud rate (default: the board's, else 115200)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S",
                        help="stop after S seconds without data (default 10; 0 = only Ctrl-C)")


def _port_of(target: str) -> tuple[str, int | None]:
    path = Path(target)
    if not path.is_dir():
        return target, None
    from edgekit.device.session import read_build

    build = read_build(path)
    baud = build.board.serial.baud if build.board.serial is not None else None
    if build.board.kind == "emulated":
        from edgekit.targets.qemu_process import read_background

        state = read_background(path)
        if state is None:
            raise DeviceError(f"no QEMU is running for {path}: start it with `edgekit flash {path}`")
        return str(state["url"]), baud
    from edgekit.device.ports import find_port

    return find_port(build.board), baud


def run(args: argparse.Namespace) -> int:
    import time

    import serial

    if args.timeout < 0:
        raise UsageError("--timeout must not be negative")
    url, board_baud = _port_of(args.target)
    baud = args.baud or board_baud or 115200
    try:
        port = serial.serial_for_url(url, baudrate=baud, timeout=0.2)
    except (serial.SerialException, ValueError, OSError) as exc:
        raise DeviceError(f"cannot open {url}: {exc}") from None
    print(f"edgekit monitor: {url} at {baud} baud; Ctrl-C to stop"
          + (f", or {args.timeout:g} s of silence" if args.timeout else ""), file=sys.stderr)
    last = time.monotonic()
    out = sys.stdout.buffer
    try:
        while not args.timeout or time.monotonic() - last < args.timeout:
            data = port.read(4096)
            if data:
                out.write(data)
                out.flush()
                last = time.monotonic()
    except KeyboardInterrupt:
        pass
    except serial.SerialException as exc:
        raise DeviceError(f"{url}: {exc}") from None
    finally:
        port.close()
    return 0
