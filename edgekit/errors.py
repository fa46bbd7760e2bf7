"""User errors versus bugs.

An EdgekitError is the user's mistake or the world's (bad model, unknown board, no
device): the CLI prints its one-line message and exits with `exit_code` (2 by default).
Anything else that escapes is a bug in edgekit and keeps its traceback.
"""

from __future__ import annotations


class EdgekitError(Exception):
    """A user-facing error: one clear line, exit status 2."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class CheckFailed(EdgekitError):
    """A check that ran and failed (mismatch, model does not fit): exit status 1."""

    exit_code = 1


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


class DeviceError(EdgekitError):
    """No device on the port, a device that stops answering, the wrong firmware."""


class DataError(EdgekitError):
    """Input or calibration data that is missing, malformed or does not fit the model."""


class UsageError(EdgekitError):
    """Options that do not make sense together or out of their range."""
