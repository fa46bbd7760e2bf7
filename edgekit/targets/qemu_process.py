"""Run firmware in QEMU with its UART on a local TCP socket (a leaf: imports no target).

QEMU listens on 127.0.0.1 (`server=on,wait=on`): the guest CPU starts only when the host
connects, so no byte is lost. The host side opens the pyserial URL
`socket://127.0.0.1:PORT`. Time runs with `-icount shift=0,align=off,sleep=off` (one
virtual ns per instruction), so the board timers count executed instructions.

QEMU runs in its own process group with its stderr in a log file; stopping kills the
group. `launch` is the one start loop (free port, wait for the listening message, retry
on a port race) of both a QemuProcess and the background QEMU that `edgekit flash`
leaves running, which a small JSON state file describes to later commands.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import serial

from edgekit.device.link import open_serial
from edgekit.errors import DeviceError, EdgekitError

ICOUNT = "shift=0,align=off,sleep=off"
_READY_MARK = "waiting for connection"
_STDERR_TAIL = 8
PORT_ATTEMPTS = 5


@dataclass(frozen=True)
class QemuMachine:
    """How to start QEMU for one emulated board."""

    binary: str  # qemu-system-arm / qemu-system-riscv32
    machine: str  # -M value
    extra_args: tuple[str, ...] = ()  # the board's [qemu] args (icount, semihosting, bios)

    def base_command(self) -> list[str]:
        """QEMU with the board's arguments, -icount, no display or monitor; no image yet."""
        icount = () if "-icount" in self.extra_args else ("-icount", ICOUNT)
        return [self.binary, "-M", self.machine, *self.extra_args, *icount,
                "-display", "none", "-monitor", "none"]

    def command(self, elf: Path, serial_spec: str) -> list[str]:
        """The full QEMU command line for `elf` with UART0 on chardev `serial_spec`."""
        return [*self.base_command(), "-kernel", str(elf), "-serial", serial_spec]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (QEMU's bind is retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tcp_serial(port: int) -> str:
    # nodelay: QEMU writes the UART byte by byte; with Nagle + delayed ACK every request/
    # response round trip would cost ~45 ms.
    return f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"


def _require_binary(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise EdgekitError(
            f"{binary} not found: install QEMU (Debian: apt-get install qemu-system-arm "
            "qemu-system-misc)"
        )
    return path


def _kill_group(proc: subprocess.Popen[bytes], grace_s: float = 2.0) -> None:
    """SIGTERM the process group, then SIGKILL what is left; reap the leader."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue
    proc.wait(timeout=grace_s)


def _log_lines(log: Path) -> list[str]:
    try:
        return log.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _tail_text(log: Path) -> str:
    tail = [line for line in _log_lines(log) if line.strip() and _READY_MARK not in line]
    return (": " + " | ".join(tail[-_STDERR_TAIL:])) if tail else ""


def launch(machine: QemuMachine, elf: Path, log: Path, *, timeout_s: float = 10.0,
           attempts: int = PORT_ATTEMPTS) -> tuple[subprocess.Popen[bytes], int]:
    """Start QEMU for `elf` with UART0 on a free TCP port and its output in `log`.

    Returns (process, port) once the port listens (the guest waits for the client).
    A port another process took meanwhile is retried; any other failure is a DeviceError
    with QEMU's exit status and the tail of its messages.
    """
    if not elf.is_file():
        raise EdgekitError(f"firmware not found: {elf}")
    _require_binary(machine.binary)
    for _ in range(attempts):
        port = free_port()
        with open(log, "wb") as log_file:
            proc = subprocess.Popen(
                machine.command(elf, tcp_serial(port)),
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True,  # its own process group, killed as a whole
            )  # fmt: skip
        deadline = time.monotonic() + timeout_s
        while proc.poll() is None:
            if any(_READY_MARK in line for line in _log_lines(log)):
                return proc, port
            if time.monotonic() > deadline:
                _kill_group(proc)
                raise DeviceError(f"QEMU did not open its serial port within {timeout_s:.0f} s"
                                  f"{_tail_text(log)}")
            time.sleep(0.02)
        if not any("in use" in line for line in _log_lines(log)):
            break  # a real failure, not a port race with another process
    raise DeviceError(f"QEMU did not start (exit status {proc.returncode}){_tail_text(log)}")


class QemuProcess:
    """One QEMU instance with the UART on a TCP server port, stopped on exit.

    with QemuProcess(machine, elf) as q:
        port = q.connect(5)                 # pyserial port; the guest starts now
        ...
        status = q.wait(timeout_s=10)       # guest's exit status
    """

    def __init__(self, machine: QemuMachine, elf: Path | str, *,
                 start_timeout_s: float = 10.0) -> None:
        self.machine = machine
        self.elf = Path(elf)
        self.start_timeout_s = start_timeout_s
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: Path | None = None

    @property
    def url(self) -> str:
        """The pyserial URL of the guest's UART."""
        if self.port is None:
            raise DeviceError("QEMU is not running")
        return f"socket://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def __enter__(self) -> QemuProcess:  # noqa: PYI034 (Self needs Python 3.11)
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> QemuProcess:
        """Start QEMU and return once its serial port listens (the guest waits for us)."""
        fd, name = tempfile.mkstemp(prefix="edgekit-qemu-", suffix=".log")
        os.close(fd)
        self._log = Path(name)
        try:
            self._proc, self.port = launch(self.machine, self.elf, self._log,
                                           timeout_s=self.start_timeout_s)
        except BaseException:
            self._log.unlink(missing_ok=True)
            raise
        return self

    def connect(self, timeout_s: float = 10.0) -> serial.SerialBase:
        """Open the guest's UART with pyserial (the guest CPU starts now).

        `timeout_s` becomes the port's read timeout. A QEMU that died is a DeviceError.
        """
        self.check_alive()
        try:
            return open_serial(self.url, timeout_s)
        except serial.SerialException as exc:
            self.check_alive()
            raise DeviceError(f"cannot connect to QEMU's serial port {self.url}: {exc}") from None

    def poll(self) -> int | None:
        """QEMU's exit status, or None while it runs."""
        return None if self._proc is None else self._proc.poll()

    def check_alive(self) -> None:
        """Raise DeviceError (with QEMU's exit status and message tail) if QEMU has died."""
        if self._proc is None or self._proc.poll() is not None:
            status = None if self._proc is None else self._proc.returncode
            tail = "" if self._log is None else _tail_text(self._log)
            raise DeviceError(f"QEMU exited (exit status {status}){tail}")

    def wait(self, timeout_s: float) -> int:
        """Wait for the guest to end QEMU; its exit status (the firmware's exit code)."""
        if self._proc is None:
            raise DeviceError("QEMU is not running")
        try:
            return self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"QEMU still running after {timeout_s:.0f} s") from None

    def stderr_tail(self) -> list[str]:
        return [] if self._log is None else _log_lines(self._log)

    def stop(self) -> None:
        """Kill QEMU's whole process group (idempotent)."""
        if self._proc is not None and self._proc.poll() is None:
            _kill_group(self._proc)
        if self._log is not None:
            self._log.unlink(missing_ok=True)
            self._log = None


# --- QEMU left running in the background (`edgekit flash`) -------------------------

STATE_FILE = ".edgekit-qemu.json"
LOG_FILE = ".edgekit-qemu.log"


def state_path(project_dir: Path | str) -> Path:
    """Where `edgekit flash` records the background QEMU of a project."""
    return Path(project_dir) / STATE_FILE


def _is_qemu(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"qemu-system" in cmdline.split(b"\0", 1)[0]


def start_background(
    machine: QemuMachine, elf: Path | str, project_dir: Path | str, *, board: str = "",
    start_timeout_s: float = 10.0,
) -> dict[str, Any]:
    """Start QEMU detached (it outlives this process) and write the state file.

    Returns the state: {"pid", "port", "url", "elf", "board", "log"}. An instance that
    this project already has running is stopped first.
    """
    project_dir = Path(project_dir)
    stop_background(project_dir)
    elf = Path(elf).resolve()
    log = project_dir / LOG_FILE
    proc, port = launch(machine, elf, log, timeout_s=start_timeout_s)
    state = {
        "pid": proc.pid, "port": port, "url": f"socket://127.0.0.1:{port}",
        "elf": str(elf), "board": board, "log": str(log),
    }  # fmt: skip
    state_path(project_dir).write_text(json.dumps(state, indent=2) + "\n")
    return state


def read_background(project_dir: Path | str) -> dict[str, Any] | None:
    """The state of the project's background QEMU if it is still running, else None."""
    path = state_path(project_dir)
    try:
        state: dict[str, Any] = json.loads(path.read_text())
        pid = int(state["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if _is_qemu(pid) else None


def stop_background(project_dir: Path | str, grace_s: float = 2.0) -> bool:
    """Stop the project's background QEMU; True if one was running."""
    state = read_background(project_dir)
    state_path(project_dir).unlink(missing_ok=True)
    if state is None:
        return False
    pid = int(state["pid"])
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if not _is_qemu(pid) or _is_zombie(pid):
                return True
            time.sleep(0.02)
    return True


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"
