"""What several commands share: consoles that do not cut tables, progress on stderr,
checked build folders and output files, and old option names kept for one release."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edgekit.errors import BuildError, UsageError

PIPED_WIDTH = 240  # wide enough that no op name or shape list is cut when piped

_quiet = False  # set by the CLI from -q/--quiet


def set_quiet(quiet: bool) -> None:
    global _quiet
    _quiet = quiet


def console(stderr: bool = False) -> Any:
    """A rich Console; piped output gets a wide one so tables keep full names."""
    from rich.console import Console

    out = Console(stderr=stderr)
    return out if out.is_terminal else Console(stderr=stderr, width=PIPED_WIDTH)


class _NoProgress:
    def add_task(self, *_: Any, **__: Any) -> int:
        return 0

    def update(self, *_: Any, **__: Any) -> None:
        pass


@contextmanager
def progress(label: str, show: bool = True) -> Iterator[Any]:
    """A transient progress bar on stderr; nothing at all (not even an empty line) when
    stderr is not a terminal, with -q, or when `show` is false (e.g. --json)."""
    from rich.console import Console

    err = Console(stderr=True)
    if _quiet or not show or not err.is_terminal:
        yield _NoProgress()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(label), TextColumn("{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        yield bar


def build_dir(value: str) -> Path:
    """A build folder argument: a user error (exit 2), not a traceback, when it is a file."""
    path = Path(value)
    if path.is_file():
        hint = (f"; build it first: `edgekit build {value} --board B -o DIR`"
                if path.suffix.lower() == ".tflite" else "")
        raise BuildError(f"{value} is a file, not a build folder{hint}")
    return path


def output_file(value: str | Path) -> Path:
    """An output file: its folder is created, as `quantize -o` does; a folder given as the
    file is a one-line error."""
    path = Path(value)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the folder of {path}: {exc.strerror or exc}") from None
    return path


class _Renamed(argparse.Action):
    """An old option name, still accepted for one release with a note on stderr."""

    def __init__(self, option_strings: list[str], dest: str, new: str = "", **kwargs: Any) -> None:
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"edgekit: note: {option_string} is now {self.new}; the old name goes in the next release",
              file=sys.stderr)
        setattr(namespace, self.dest, True if self.nargs == 0 else values)


def renamed(parser: Any, old: str, new: str, dest: str, takes_value: bool = True) -> None:
    """Accept `old` as a hidden alias of `new` (same dest)."""
    parser.add_argument(old, dest=dest, action=_Renamed, new=new, nargs=None if takes_value else 0,
                        help=argparse.SUPPRESS, default=argparse.SUPPRESS)


def add_json_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--json (stdout, nothing else) and --json-file F (a file; '-' is stdout)."""
    parser.add_argument("--json", action="store_true",
                        help=f"print {what} as one JSON object on stdout, nothing else")
    parser.add_argument("--json-file", metavar="F",
                        help=f"also write {what} as JSON to F ('-': stdout, like --json)")


def json_to_stdout(args: argparse.Namespace) -> bool:
    return bool(args.json or args.json_file == "-")


def write_json_file(args: argparse.Namespace, data: Any) -> None:
    import json

    if args.json_file and args.json_file != "-":
        output_file(args.json_file).write_text(json.dumps(data, indent=2) + "\n")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--calib, --rounding and --planner: how a model becomes C (build, export)."""
    parser.add_argument("--calib", metavar="DATA", help="calibration data to quantize a float model")
    parser.add_argument("--rounding", choices=["tflite", "tflm"], default="tflite",
                        help="match TF's reference kernels (default) or TFLite Micro bit for bit")
    parser.add_argument("--planner", default="best", help="memory planner (default: the smallest plan found)")
