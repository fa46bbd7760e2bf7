"""Run firmware on an emulated board in QEMU, with its UART on a local TCP socket.

QEMU listens on 127.0.0.1 (`server=on,wait=on`): the guest CPU starts only when the host
connects, so no byte is lost. The host side opens the pyserial URL
`socket://127.0.0.1:PORT`. Time runs with `-icount shift=0,align=off,sleep=off` (one
virtual ns per instruction), so the board timers count executed instructions.

QEMU runs in its own process group; stopping kills the group. A long-lived instance for
`edgekit flash` is described by a small JSON state file that later commands read.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgekit.errors import BoardError, BuildError, DeviceError, ToolError
from edgekit.tool_log import log_command

ICOUNT = "shift=0,align=off,sleep=off"
_READY_MARK = "waiting for connection"
_STDERR_TAIL = 8


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

    def command(self, elf: Path, serial: str) -> list[str]:
        """The full QEMU command line for `elf` with UART0 on chardev `serial`."""
        return [*self.base_command(), "-kernel", str(elf), "-serial", serial]


def qemu_machine(board: Any) -> QemuMachine:
    """The QemuMachine of an emulated board (its TOML's [qemu] table)."""
    qemu = getattr(board, "qemu", None)
    if qemu is None:
        raise BoardError(f"board {board.name!r} is not an emulated board (it has no [qemu] table)")
    return QemuMachine(binary=qemu.binary, machine=qemu.machine, extra_args=tuple(qemu.args))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (QEMU's bind is retried)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def open_serial(url: str, timeout_s: float = 10.0, baudrate: int = 115200) -> Any:
    """pyserial port for `url` that keeps the bytes that arrive while it opens.

    pyserial's socket:// open() ends with reset_input_buffer(), which throws away what the
    peer already sent -- and a guest that QEMU starts on connect, or the host firmware,
    may send its first bytes within that window. Opening without that reset loses nothing.
    """
    import serial  # pyserial; only needed by callers that talk to a device

    port = serial.serial_for_url(url, baudrate=baudrate, timeout=timeout_s, do_not_open=True)
    port.reset_input_buffer = lambda: None  # shadows the method during open() only
    try:
        port.open()
    finally:
        del port.reset_input_buffer
    return port


def _tcp_serial(port: int) -> str:
    # nodelay: QEMU writes the UART byte by byte; with Nagle + delayed ACK every request/
    # response round trip would cost ~45 ms.
    return f"tcp:127.0.0.1:{port},server=on,wait=on,nodelay=on"


def _require_binary(binary: str) -> str:
    path = shutil.which(binary)
    if path is None:
        raise ToolError(
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


class QemuProcess:
    """One QEMU instance with the UART on a TCP server port.

    with QemuProcess(machine, elf) as q:
        port = serial.serial_for_url(q.url, timeout=5)   # the guest starts now
        ...
        status = q.wait(timeout=10)                      # guest's exit status
    """

    def __init__(
        self,
        machine: QemuMachine,
        elf: Path | str,
        *,
        start_timeout_s: float = 10.0,
        port_attempts: int = 5,
    ) -> None:
        self.machine = machine
        self.elf = Path(elf)
        self.start_timeout_s = start_timeout_s
        self.port_attempts = port_attempts
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: deque[str] = deque(maxlen=200)
        self._ready = threading.Event()
        self._reader: threading.Thread | None = None

    @classmethod
    def for_board(cls, board: Any, elf: Path | str, **kwargs: Any) -> QemuProcess:
        return cls(qemu_machine(board), elf, **kwargs)

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
        if not self.elf.is_file():
            raise BuildError(f"firmware not found: {self.elf}")
        _require_binary(self.machine.binary)
        for _ in range(self.port_attempts):
            port = free_port()
            if self._launch(port):
                self.port = port
                return self
            if not any("in use" in line for line in self._stderr):
                break  # a real failure, not a port race with another process
        self._raise_dead("QEMU did not start")
        raise AssertionError("unreachable")

    def _launch(self, port: int) -> bool:
        self._stderr.clear()
        self._ready.clear()
        cmd = self.machine.command(self.elf, _tcp_serial(port))
        log_command(cmd)
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, killed as a whole
        )
        self._reader = threading.Thread(target=self._drain, args=(self._proc,), daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._ready.wait(0.02):
                return True
            if self._proc.poll() is not None:
                self._reader.join(1.0)
                return False
        _kill_group(self._proc)
        raise DeviceError(
            f"QEMU did not open its serial port within {self.start_timeout_s:.0f} s"
            f"{self._tail_text()}"
        )

    def _drain(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stderr is not None
        for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self._stderr.append(line)
            if _READY_MARK in line:
                self._ready.set()

    def _tail_text(self) -> str:
        tail = [line for line in self._stderr if _READY_MARK not in line][-_STDERR_TAIL:]
        return (": " + " | ".join(tail)) if tail else ""

    def _raise_dead(self, what: str) -> None:
        status = None if self._proc is None else self._proc.poll()
        raise DeviceError(f"{what} (exit status {status}){self._tail_text()}")

    def connect(self, timeout_s: float = 10.0) -> Any:
        """Open the guest's UART with pyserial (the guest CPU starts now).

        `timeout_s` becomes the port's read timeout. A QEMU that died is a DeviceError.
        """
        import serial  # pyserial; only needed by callers that talk to the guest

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
        """Raise DeviceError (with QEMU's exit status and stderr tail) if QEMU has died."""
        if self._proc is None or self._proc.poll() is not None:
            self._raise_dead("QEMU exited")

    def wait(self, timeout_s: float) -> int:
        """Wait for the guest to end QEMU; its exit status (the firmware's exit code)."""
        if self._proc is None:
            raise DeviceError("QEMU is not running")
        try:
            status = self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise DeviceError(f"QEMU still running after {timeout_s:.0f} s") from None
        if self._reader is not None:
            self._reader.join(1.0)
        return status

    def stderr_tail(self) -> list[str]:
        return list(self._stderr)

    def stop(self) -> None:
        """Kill QEMU's whole process group (idempotent)."""
        if self._proc is not None and self._proc.poll() is None:
            _kill_group(self._proc)
        if self._proc is not None and self._proc.stderr is not None:
            if self._reader is not None:
                self._reader.join(1.0)
            self._proc.stderr.close()


# --- QEMU left running in the background (`edgekit flash`) -------------------------

STATE_FILE = ".edgekit-qemu.json"


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
    if not elf.is_file():
        raise BuildError(f"firmware not found: {elf}")
    _require_binary(machine.binary)
    log = project_dir / ".edgekit-qemu.log"
    for _ in range(5):
        port = free_port()
        with open(log, "wb") as log_file:
            log_command(machine.command(elf, _tcp_serial(port)))
            proc = subprocess.Popen(
                machine.command(elf, _tcp_serial(port)),
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + start_timeout_s
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            if _READY_MARK in text:
                state = {
                    "pid": proc.pid, "port": port, "url": f"socket://127.0.0.1:{port}",
                    "elf": str(elf), "board": board, "log": str(log),
                }  # fmt: skip
                state_path(project_dir).write_text(json.dumps(state, indent=2) + "\n")
                return state
            if proc.poll() is not None:
                break
            time.sleep(0.02)
        else:
            _kill_group(proc)
            raise DeviceError(f"QEMU did not open its serial port within {start_timeout_s:.0f} s")
        text = log.read_text(errors="replace")
        if "in use" not in text:
            tail = " | ".join(text.strip().splitlines()[-_STDERR_TAIL:])
            raise DeviceError(f"QEMU exited (exit status {proc.returncode}): {tail}")
    raise DeviceError("QEMU could not bind a free TCP port")


def read_background(project_dir: Path | str) -> dict[str, Any] | None:
    """The state of the project's background QEMU if it is still running, else None."""
    path = state_path(project_dir)
    try:
        state = json.loads(path.read_text())
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


def flash_project(project_dir: Path | str, elf: Path | str | None = None) -> dict[str, Any]:
    """`edgekit flash` on an emulated board: start the project's firmware in QEMU in the
    background (building it first with the direct toolchain when no ELF is given) and
    return the state that later commands read with `read_background(project_dir)`."""
    from edgekit.boards import load_board
    from edgekit.device.toolchain import compile_firmware, read_description

    project_dir = Path(project_dir)
    desc = read_description(project_dir)
    board = load_board(desc["board"])
    if board.qemu is None:
        raise BoardError(f"board {board.name!r} is not emulated: flash it with PlatformIO")
    image = Path(elf) if elf is not None else compile_firmware(project_dir, board)
    return start_background(qemu_machine(board), image, project_dir, board=board.name)
