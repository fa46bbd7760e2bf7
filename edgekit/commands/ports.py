"""`edgekit ports [--json]`: serial ports, their USB ids, and the boards each one matches."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help='print {"ports": [...]} on stdout, nothing else')


def port_rows(ports: list | None = None) -> list[dict]:
    """One dict per serial port: device, vid:pid, description, matching board names."""
    from serial.tools import list_ports

    from edgekit.boards import list_boards

    by_id: dict[tuple[int, int], list[str]] = {}
    for board in list_boards():
        for usb_id in (board.serial.usb_ids if board.serial is not None else ()):
            by_id.setdefault(usb_id, []).append(board.name)
    rows = []
    for port in sorted(list_ports.comports() if ports is None else ports, key=lambda p: p.device):
        usb = f"{port.vid:04X}:{port.pid:04X}" if port.vid is not None else None
        rows.append({"device": port.device, "usb_id": usb,
                     "description": port.description if port.description not in ("", "n/a") else None,
                     "boards": by_id.get((port.vid, port.pid), []) if usb else []})
    return rows


def run(args: argparse.Namespace) -> int:
    rows = port_rows()
    if args.json:
        print(json.dumps({"ports": rows}))
        return 0
    if not rows:
        print("no serial ports found (a board on USB shows up here; emulated boards need none)")
        return 0
    for row in rows:
        boards = ", ".join(row["boards"]) or "no known board"
        print(f"{row['device']}  {row['usb_id'] or 'no USB id'}  {row['description'] or ''}  → {boards}")
    return 0
