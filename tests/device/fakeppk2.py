"""A fake Nordic PPK2 on a TCP socket: answers the metadata request with calibration
lines, records the commands it gets, and streams 4-byte samples at the PPK2's
100 kHz between AVERAGE_START and AVERAGE_STOP (paced in 1 ms chunks)."""

from __future__ import annotations

import socket
import struct
import threading
import time

# Arguments after each opcode (the PPK2 protocol has no framing).
ARG_BYTES = {0x19: 0, 0x06: 0, 0x07: 0, 0x20: 0, 0x11: 1, 0x0D: 2, 0x0C: 1}


class FakePPK2:
    def __init__(self, metadata: str, samples: list[tuple[int, int]], silent: bool = False) -> None:
        """samples: (adc code, range) pairs streamed round-robin."""
        self.metadata = metadata
        self.words = b"".join(struct.pack("<I", (adc & 0x3FFF) | (rng << 14) | (7 << 18))
                              for adc, rng in samples)
        self.silent = silent
        self.commands: list[tuple[int, ...]] = []
        self.sent_samples = 0
        self._streaming = threading.Event()
        self._closed = False
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(1)
        self.url = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self._conn: socket.socket | None = None
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        for s in (self._conn, self._server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _stream(self) -> None:
        per_ms = 100  # 100 kHz
        pos = 0
        while self._streaming.is_set() and not self._closed:
            chunk = bytearray()
            for _ in range(per_ms):
                chunk += self.words[pos : pos + 4]
                pos = (pos + 4) % len(self.words)
            try:
                self._conn.sendall(chunk)
            except OSError:
                return
            self.sent_samples += per_ms
            time.sleep(0.001)

    def _serve(self) -> None:
        try:
            self._conn, _ = self._server.accept()
        except OSError:
            return
        buf = b""
        while not self._closed:
            try:
                data = self._conn.recv(64)
            except OSError:
                return
            if not data:
                return
            buf += data
            while buf and len(buf) > ARG_BYTES.get(buf[0], 0):
                n = 1 + ARG_BYTES.get(buf[0], 0)
                cmd, buf = tuple(buf[:n]), buf[n:]
                self.commands.append(cmd)
                if self.silent:
                    continue
                if cmd[0] == 0x19:
                    self._conn.sendall(self.metadata.encode())
                elif cmd[0] == 0x06:
                    self._streaming.set()
                    threading.Thread(target=self._stream, daemon=True).start()
                elif cmd[0] == 0x07:
                    self._streaming.clear()
