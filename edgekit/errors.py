"""Whose fault an error is: the user's, a check's, or edgekit's own.

An EdgekitError is the user's mistake or the world's (bad model, bad data, unknown
board, no device, a missing tool): the CLI prints its one-line message and exits with
`exit_code` (2). CheckFailed is a check that ran and failed (exit 1). InternalError is
edgekit catching its own bug (a pass that breaks the graph, a plan the checker rejects,
generated C that does not compile): exit 3, with the traceback in a log file. Any other
exception that escapes is a bug too and is reported the same way.
"""

from __future__ import annotations


class EdgekitError(Exception):
    """A user-facing error: one clear line, exit status 2. Raise a subclass."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CheckFailed(EdgekitError):
    """A check that ran and failed (mismatch, model does not fit): exit status 1."""

    exit_code = 1


class UsageError(EdgekitError):
    """A command-line option or path that cannot work (bad value, wrong kind of file)."""


class DataError(EdgekitError):
    """Input, calibration or evaluation data that is missing, unreadable or the wrong shape."""


class ModelError(EdgekitError):
    """The model file is corrupt, not TFLite, or uses something edgekit does not support."""


class UnsupportedOpError(ModelError):
    def __init__(self, op_name: str, index: int, detail: str = "") -> None:
        extra = f": {detail}" if detail else ""
        super().__init__(f"unsupported op {op_name} at index {index}{extra}")
        self.op_name = op_name
        self.index = index


class BoardError(EdgekitError):
    """Unknown board or a board that cannot do what was asked."""


class BuildError(EdgekitError):
    """A build folder that is missing, not an edgekit build, or corrupt."""


class DeviceError(EdgekitError):
    """No device on the port, a device that stops answering, the wrong firmware."""


class ToolError(EdgekitError):
    """An outside tool (compiler, PlatformIO, QEMU, TensorFlow) missing or failing on this machine."""


class InternalError(EdgekitError):
    """edgekit found its own bug: exit 3, never dressed up as the user's mistake."""

    exit_code = 3
