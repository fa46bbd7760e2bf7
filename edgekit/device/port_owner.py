"""Closing an open pyserial port, shared by everything that holds one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import serial

if TYPE_CHECKING:
    from typing_extensions import Self


class PortOwner:
    """Holds `self.port` (a pyserial port) and closes it quietly, also as a context manager."""

    port: Any

    def close(self) -> None:
        try:
            self.port.close()
        except (serial.SerialException, OSError):
            pass  # a port that vanished is closed already

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
