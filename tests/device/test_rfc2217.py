"""A board on another machine: the real firmware on a pty, served by an RFC 2217 server
(pyserial's PortManager, as a lab's board farm would run), reached by
`rfc2217://127.0.0.1:PORT` from DeviceLink and from the CLI."""

from __future__ import annotations

import os
import socket
import threading

import serial
import serial.rfc2217

from edgekit.device.link import DeviceLink
from tests.device import standin
from tests.device.conftest import HostFirmware


class _PtyPort(serial.Serial):
    """A pty has no modem lines: report them idle instead of failing the ioctl."""

    cts = dsr = ri = cd = property(lambda self: False)

    def _update_rts_state(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass


class _Conn:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def write(self, data: bytes) -> None:
        self.sock.sendall(data)


def serve_rfc2217(device_path: str) -> tuple[str, threading.Event]:
    """Serves one client; returns its URL and an event that stops the server."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    stop = threading.Event()

    def run() -> None:
        conn, _ = server.accept()
        server.close()
        port = _PtyPort(device_path, timeout=0.02)
        manager = serial.rfc2217.PortManager(port, _Conn(conn))

        def to_network() -> None:
            while not stop.is_set():
                try:
                    data = port.read(port.in_waiting or 1)
                    if data:
                        conn.sendall(b"".join(manager.escape(data)))
                except (OSError, TypeError, serial.SerialException):
                    return  # the port was closed under us at the end

        threading.Thread(target=to_network, daemon=True).start()
        conn.settimeout(0.05)
        while not stop.is_set():
            try:
                data = conn.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            port.write(b"".join(manager.filter(data)))
        stop.set()
        port.close()
        conn.close()

    threading.Thread(target=run, daemon=True).start()
    return f"rfc2217://127.0.0.1:{server.getsockname()[1]}?ign_set_control", stop


def test_inference_through_rfc2217(host_fw: HostFirmware) -> None:
    url, stop = serve_rfc2217(host_fw.path)
    try:
        with DeviceLink.open(url, timeout=2.0) as link:
            host_fw.release()
            assert link.hello(expected_hash="cd" * 32).board == "host"
            for _ in range(3):
                x = os.urandom(standin.IN_BYTES)
                outputs, _ = link.run([x], time_ops=True)
                assert outputs == [standin.reference(x)]
            assert len(link.profile().op_ticks) == standin.NUM_OPS
            assert link.stats.retries == 0
    finally:
        stop.set()
