"""Fixtures for the device-loop tests: the real firmware built for the host on a pty,
and the Python fake device on a TCP socket."""

from __future__ import annotations

import os
import subprocess
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.device import standin
from tests.device.fakepeer import FakeDevice


class HostFirmware:
    """The C firmware (runtime + stand-in model + host BSP) attached to a pty: the
    process reads and writes the pty's master side, the host opens the slave's path
    (/dev/pts/N) with pyserial, as it would open a USB serial port."""

    def __init__(self, exe: Path, keep_master: bool = False) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo or line editing before pyserial opens it
        self.exe = exe
        self.path = os.ttyname(slave)
        self.proc = subprocess.Popen([str(exe)], stdin=master, stdout=master, close_fds=True)
        # keep_master: the port outlives the process, so restart() is a device reset.
        self._master = master if keep_master else None
        if not keep_master:
            os.close(master)
        self._slave = slave  # kept open until the host has the port

    def restart(self) -> None:
        """Power-cycle the device: a new firmware process on the same port."""
        assert self._master is not None, "HostFirmware(keep_master=True) can restart"
        self.proc.kill()
        self.proc.wait(timeout=5)
        self.proc = subprocess.Popen([str(self.exe)], stdin=self._master, stdout=self._master,
                                     close_fds=True)

    def release(self) -> None:
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None

    def stop(self) -> None:
        self.release()
        if self._master is not None:
            os.close(self._master)
            self._master = None
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=5)


@pytest.fixture(scope="session")
def host_fw_exe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return standin.build_host_firmware(tmp_path_factory.mktemp("fw_host"), model_hash="cd" * 32)


@pytest.fixture
def host_fw(host_fw_exe: Path) -> Iterator[HostFirmware]:
    fw = HostFirmware(host_fw_exe)
    yield fw
    fw.stop()


@pytest.fixture
def fake_device() -> Iterator[callable]:
    made: list[FakeDevice] = []

    def make(**kwargs) -> FakeDevice:
        dev = FakeDevice(**kwargs)
        made.append(dev)
        return dev

    yield make
    for dev in made:
        dev.close()
