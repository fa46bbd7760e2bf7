"""`edgekit -v`: the command lines edgekit runs (compiler, PlatformIO, QEMU) and their output.

A leaf module: anything that starts a tool calls `log_command`; the CLI decides whether
the "edgekit" logger prints it (-v) or not.
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence

_log = logging.getLogger("edgekit.tools")


def log_command(cmd: Sequence[object], output: str | bytes | None = None) -> None:
    """Log one command line, and its output when there was some."""
    if not _log.isEnabledFor(logging.DEBUG):
        return
    _log.debug("$ %s", shlex.join(str(part) for part in cmd))
    if output:
        text = output.decode(errors="replace") if isinstance(output, bytes) else output
        for line in text.rstrip().splitlines():
            _log.debug("  %s", line)
