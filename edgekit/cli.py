"""The `edgekit` command line: argument parsing, exit statuses, error printing.

Each sub-command lives in edgekit/commands/<name>.py with two functions:
`add_arguments(parser)` and `run(args) -> int`. Command modules import heavy
libraries (TensorFlow) inside `run`, so `edgekit --help`, `inspect`, `boards`,
`flash` and `profile` start fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from edgekit import __version__
from edgekit.errors import EdgekitError, InternalError

# (command, module, one-line help) in the order `edgekit --help` shows them.
COMMANDS: list[tuple[str, str, str]] = [
    ("inspect", "inspect", "show a model's ops, shapes, quantization, MACs and memory"),
    ("boards", "boards", "list the boards edgekit can build for"),
    ("plan", "plan", "show the static memory plan of a model (ASCII chart, PNG)"),
    ("build", "build", "generate, compile and size a firmware project for a board"),
    ("verify", "verify", "run the generated C on the host and compare with TFLite"),
    ("export", "export", "the model(s) as a C library for your own firmware (c, cmake, arduino, ...)"),
    ("flash", "flash", "flash a built project to a board or start it in QEMU"),
    ("profile", "profile", "per-layer latency and energy measured on the device"),
    ("validate", "validate", "device outputs against the build's oracle (TFLite or TFLite Micro)"),
    ("run", "run", "build, flash, validate and profile in one go, with one summary"),
    ("ports", "ports", "list serial ports with their USB ids and the boards they match"),
    ("monitor", "monitor", "the raw serial console of a board"),
    ("quantize", "quantize", "full-integer int8 quantization of a float model"),
    ("optimize", "optimize", "pruning, clustering and QAT (TF Model Optimization)"),
    ("mlperf", "mlperf", "score an --mlperf build as MLPerf Tiny's runner does (accuracy, performance)"),
]

OVERVIEW = """\
edgekit takes a trained TensorFlow model to a measured int8 model on a microcontroller.

The loop: quantize a float model to int8 (or start from an int8 .tflite), build it for a
board, check the generated C on the host (verify), flash it (QEMU for emulated boards),
then validate the device's outputs byte for byte and profile every layer.
"""

EXAMPLE = """\
example (an emulated Cortex-M4, no hardware needed):
  edgekit build kws_ds_cnn_int8.tflite --board qemu-cortex-m4 -o build/kws
  edgekit flash build/kws
  edgekit validate build/kws --samples 20
  edgekit profile build/kws --runs 5 --png build/kws/profile.png
  edgekit flash build/kws --stop
or all of it at once:  edgekit run kws_ds_cnn_int8.tflite --board qemu-cortex-m4

exit status: 0 ok, 1 a check failed (mismatch, does not fit), 2 a user error (bad model,
data, board, option, no device), 3 an internal error (a bug in edgekit: please report it).
`edgekit COMMAND --help` shows a command's options.
"""

class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, as every user error does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_output_options(parser: argparse.ArgumentParser, default: object) -> None:
    # On the top parser and on every sub-parser, so `edgekit -v build ...` and
    # `edgekit build ... -v` both work; SUPPRESS keeps a sub-parser from resetting it.
    parser.add_argument("-v", "--verbose", action="store_true", default=default,
                        help="show the compiler, PlatformIO and QEMU command lines and their output")
    parser.add_argument("-q", "--quiet", action="store_true", default=default,
                        help="print nothing but errors and --json output")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="edgekit", description=OVERVIEW, epilog=EXAMPLE,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"edgekit {__version__}")
    _add_output_options(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                title="commands")
    sub.required = True
    for name, module_name, help_text in COMMANDS:
        module = importlib.import_module(f"edgekit.commands.{module_name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        _add_output_options(command_parser, argparse.SUPPRESS)
        command_parser.set_defaults(_module=module)
    return parser


def _setup_output(verbose: bool, quiet: bool) -> None:
    from edgekit.commands._common import set_quiet

    logger = logging.getLogger("edgekit")
    logger.handlers.clear()
    logger.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("edgekit: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    set_quiet(quiet and not verbose)


def _crash_log(command: str, argv: Sequence[str]) -> Path:
    """Write the current exception's traceback where the user can attach it to a report."""
    folder = Path(os.environ.get("EDGEKIT_LOG_DIR") or Path(tempfile.gettempdir()) / "edgekit")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    path.write_text(f"edgekit {__version__} {command}\nargv: {list(argv)}\n"
                    f"python {sys.version.split()[0]} on {sys.platform}\n\n{traceback.format_exc()}")
    return path


def _internal_error(command: str, argv: Sequence[str], what: str) -> int:
    try:
        where = f"; the traceback is in {_crash_log(command, argv)}"
    except OSError as exc:
        where = f"; could not write the traceback ({exc})"
    print(f"edgekit {command}: internal error (a bug in edgekit, not your mistake): {what}{where}. "
          "Please report it to the edgekit developers with that file.", file=sys.stderr)
    return InternalError.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_output(args.verbose, args.quiet)
    stdout = sys.stdout
    try:
        if args.quiet and not args.verbose and not getattr(args, "json", False):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - closed below
        return int(args._module.run(args) or 0)
    except InternalError as exc:
        return _internal_error(args.command, argv, exc.message)
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
    except Exception as exc:  # noqa: BLE001 - anything else is edgekit's bug: one line, traceback to a file
        first = str(exc).splitlines()[0] if str(exc) else ""
        return _internal_error(args.command, argv, f"{type(exc).__name__}{': ' + first if first else ''}")
    finally:
        if sys.stdout is not stdout:
            sys.stdout.close()
            sys.stdout = stdout


if __name__ == "__main__":
    sys.exit(main())
