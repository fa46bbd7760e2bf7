"""The `edgekit` command line: argument parsing, exit statuses, error printing.

Each sub-command lives in edgekit/commands/<name>.py with two functions:
`add_arguments(parser)` and `run(args) -> int`. Command modules import heavy
libraries (TensorFlow) inside `run`, so `edgekit --help`, `inspect`, `boards`,
`flash` and `profile` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from edgekit import __version__
from edgekit.errors import EdgekitError

# (command, module, one-line help) in the order `edgekit --help` shows them.
COMMANDS: list[tuple[str, str, str]] = [
    ("inspect", "inspect", "show a model's ops, shapes, quantization, MACs and memory"),
    ("boards", "boards", "list the boards edgekit can build for"),
    ("plan", "plan", "show the static memory plan of a model (ASCII chart, PNG)"),
    ("build", "build", "generate, compile and size a firmware project for a board"),
    ("verify", "verify", "run the generated C on the host and compare with TFLite"),
    ("flash", "flash", "flash a built project to a board or start it in QEMU"),
    ("profile", "profile", "per-layer latency and energy measured on the device"),
    ("validate", "validate", "device outputs against TFLite's reference kernels"),
    ("quantize", "quantize", "full-integer int8 quantization of a float model"),
    ("optimize", "optimize", "pruning, clustering and QAT (TF Model Optimization)"),
    ("mlperf", "mlperf", "score an --mlperf build as MLPerf Tiny's runner does (accuracy, performance)"),
]


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, as every user error does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="edgekit", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"edgekit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, module_name, help_text in COMMANDS:
        module = importlib.import_module(f"edgekit.commands.{module_name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_module=module)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except EdgekitError as exc:
        print(f"edgekit {args.command}: error: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"edgekit {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `edgekit inspect m.tflite | head`: quietly stop writing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
