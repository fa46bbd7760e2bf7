"""`edgekit boards [NAME] [--json]`: the board catalog as a table, or as one JSON object.

With NAME, only that board (an unknown name is a one-line error, exit 2, naming the
close matches).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Literal

from edgekit.boards import Board, list_boards, load_board


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME", help="show only this board")
    parser.add_argument("--json", action="store_true",
                        help='print {"boards": [...]} with every field on stdout, nothing else')


def run(args: argparse.Namespace) -> int:
    boards = [load_board(args.name)] if args.name else list_boards()
    if args.json:
        json.dump({"boards": [board.to_dict() for board in boards]}, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_table(boards)
    return 0


def _size(n: int) -> str:
    """1048576 -> '1 MiB', 131072 -> '128 KiB' (exact when it can be, else one decimal)."""
    for unit, scale in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            value = n / scale
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"


def _print_table(boards: list[Board]) -> None:
    from rich.console import Console  # rich only when a table is printed
    from rich.table import Table

    table = Table(title=f"edgekit boards ({len(boards)})")
    columns: tuple[tuple[str, Literal["left", "right"]], ...] = (("name", "left"), ("arch", "left"), ("MHz", "right"),
                            ("flash", "right"), ("RAM", "right"), ("usable RAM", "right"),
                            ("kernels", "left"), ("emulated", "left"))
    for header, justify in columns:
        table.add_column(header, justify=justify, no_wrap=True)
    for board in boards:
        table.add_row(
            board.name,
            board.arch,
            "-" if board.cpu_mhz is None else str(board.cpu_mhz),
            _size(board.flash_bytes),
            _size(board.ram_bytes),
            _size(board.usable_ram_bytes),
            board.kernel_variant,
            f"yes ({board.qemu.machine})" if board.qemu else "host cc" if board.is_host
            else "--emulate" if board.emulation else "no",
        )
    console = Console()
    if not console.is_terminal:  # piped: do not squeeze the table into 80 columns
        console = Console(width=120)
    console.print(table)
