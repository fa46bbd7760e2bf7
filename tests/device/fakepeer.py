"""A fake device that speaks the edgekit protocol byte for byte, over a TCP socket.

It behaves like firmware/runtime/ek_protocol.c running the stand-in model (same
frames, same seq-0 boot HELLO, same ERROR codes), paced like a 115200-baud UART when
asked, and misbehaves on cue: `faults` maps the index of a received request (0-based,
counting every well-formed request) to one fault:

    "garbage"   noise bytes (with false start bytes) before the response
    "corrupt"   one byte of the response flipped (host sees a bad CRC)
    "drop"      a byte missing from the response
    "truncate"  only half the response, then nothing
    "crc_error" answer ERROR bad-CRC, as if the request was damaged on the line
    "reset"     no answer; the device reboots: state lost, seq-0 HELLO sent
    "silent"    no answer to this request
    "dead"      no answer to this or any later request
    "close"     the connection closes (the port vanishes)
"""

from __future__ import annotations

import socket
import struct
import threading
import time

from edgekit.device import protocol as P
from tests.device import standin

BYTE_TIME_115200 = 10 / 115200  # 8N1: ten bits per byte


class FakeDevice:
    def __init__(self, *, faults: dict[int, str] | None = None, model_hash: str = "ab" * 32,
                 baud_pacing: bool = False, max_payload: int = 256, num_ops: int = 3,
                 power: tuple[int, int, int] | None = None, in_bytes: int = standin.IN_BYTES,
                 out_bytes: int = standin.OUT_BYTES, emulated: bool = True,
                 board: str = "fake-board", build_id: str = "fake-build") -> None:
        self.faults = dict(faults or {})
        self.model_hash = model_hash
        self.build_id = build_id
        self.pacing = baud_pacing
        self.max_payload = max_payload
        self.num_ops = num_ops
        self.power = power  # (bus µV, current µA, power µW) or None: no sensor
        self.in_bytes, self.out_bytes, self.emulated = in_bytes, out_bytes, emulated
        self.board, self.build_id = board, build_id
        self.requests = 0
        self.invokes = 0
        self._dead = False
        self._dead_forever = False
        self._reset_state()
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.bind(("127.0.0.1", 0))  # a free port: xdist workers never collide
        self._server.listen(1)
        self.url = f"socket://127.0.0.1:{self._server.getsockname()[1]}"
        self._conn: socket.socket | None = None
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _reset_state(self) -> None:
        self.input = bytearray(self.in_bytes)
        self.output = bytearray(self.out_bytes)
        self.op_ticks: list[int] = []
        self.total_ticks = 0

    def close(self) -> None:
        self._dead = True
        for s in (self._conn, self._server):
            if s is not None:
                try:
                    s.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in recv/accept
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass
        self._thread.join(timeout=5)

    # ---- the device ----

    def hello_payload(self) -> bytes:
        clock = P.ClockInfo(cpu_hz=64_000_000, units_per_tick_num=40, units_per_tick_den=1,
                            emulated=self.emulated)
        flags = self._flags() | P.FLAG_OP_TIMING | (P.FLAG_POWER if self.power else 0)
        return P.encode_hello(P.Hello(
            P.VERSION, flags, self.max_payload, 4096, self.num_ops, clock,
            (P.TensorInfo(self.in_bytes, *standin.IN_QUANT),),
            (P.TensorInfo(self.out_bytes, *standin.OUT_QUANT),),
            self.board, self.model_hash, self.build_id,
        ))

    def _flags(self) -> int:
        return P.FLAG_EMULATED if self.emulated else 0

    def _send(self, data: bytes) -> None:
        assert self._conn is not None
        if not self.pacing:
            self._conn.sendall(data)
            return
        for i in range(0, len(data), 16):  # a UART's pace, 16 bytes at a time
            self._conn.sendall(data[i : i + 16])
            time.sleep(BYTE_TIME_115200 * len(data[i : i + 16]))

    def _serve(self) -> None:
        try:
            self._conn, _ = self._server.accept()
        except OSError:
            return
        self._send(P.encode_frame(P.HELLO | P.RESPONSE, 0, self.hello_payload()))
        decoder = P.FrameDecoder(max_payload=self.max_payload)
        while not self._dead:
            try:
                data = self._conn.recv(4096)
            except OSError:
                return
            if not data:
                return
            for ev in decoder.feed(data):
                if isinstance(ev, P.BadFrame):
                    self._send(P.encode_frame(P.ERROR, ev.seq, bytes([P.ERR_BAD_CRC, ev.type])))
                    continue
                if not self._handle(ev):
                    return

    def _handle(self, req: P.Frame) -> bool:
        index = self.requests
        self.requests += 1
        fault = "dead" if self._dead_forever else self.faults.get(index)
        if fault == "dead":
            self._dead_forever = True
            return True
        if fault == "silent":
            return True
        if fault == "close":
            self._conn.close()
            return False
        if fault == "reset":
            self._reset_state()
            self._send(P.encode_frame(P.HELLO | P.RESPONSE, 0, self.hello_payload()))
            return True
        if fault == "crc_error":
            self._send(P.encode_frame(P.ERROR, req.seq, bytes([P.ERR_BAD_CRC, req.type])))
            return True
        frame = self._answer(req)
        if fault == "garbage":
            frame = bytes([0x00, 0xA5, 0x13, 0xA5, 0xFF, 0xFF, 0x42]) + frame
        elif fault == "corrupt":
            frame = frame[:6] + bytes([frame[6] ^ 0x5A]) + frame[7:]
        elif fault == "drop":
            frame = frame[:6] + frame[7:]
        elif fault == "truncate":
            frame = frame[: len(frame) // 2]
        self._send(frame)
        return True

    def _answer(self, req: P.Frame) -> bytes:
        rsp = req.type | P.RESPONSE
        p = req.payload

        def error(code: int) -> bytes:
            return P.encode_frame(P.ERROR, req.seq, bytes([code, req.type]))

        if req.type == P.HELLO:
            return P.encode_frame(rsp, req.seq, self.hello_payload())
        if req.type == P.SET_INPUT:
            tensor, offset = struct.unpack_from("<BI", p)
            data = p[5:]
            if tensor != 0 or offset + len(data) > len(self.input):
                return error(P.ERR_BAD_OFFSET)
            self.input[offset : offset + len(data)] = data
            return P.encode_frame(rsp, req.seq, struct.pack("<BIH", tensor, offset, len(data)))
        if req.type == P.INVOKE:
            self.invokes += 1
            self.output[:] = standin.reference(bytes(self.input), self.num_ops, self.out_bytes)
            time_ops = bool(p[0] & P.INVOKE_TIME_OPS)
            self.op_ticks = [100 + 10 * k for k in range(self.num_ops)] if time_ops else []
            self.total_ticks = sum(self.op_ticks) + 7
            return P.encode_frame(rsp, req.seq, struct.pack("<iI", 0, self.total_ticks))
        if req.type == P.GET_OUTPUT:
            tensor, offset, length = struct.unpack_from("<BIH", p)
            if tensor != 0 or offset + length > len(self.output):
                return error(P.ERR_BAD_OFFSET)
            length = min(length, self.max_payload - 5)
            body = struct.pack("<BI", tensor, offset) + bytes(self.output[offset : offset + length])
            return P.encode_frame(rsp, req.seq, body)
        if req.type == P.PROFILE:
            (first,) = struct.unpack_from("<H", p)
            count = min(len(self.op_ticks) - first, (self.max_payload - 24) // 4)
            valid = bool(self.op_ticks)
            body = struct.pack("<BBIIIIHHH", int(valid), self._flags(), 64_000_000, 40, 1,
                               self.total_ticks, self.num_ops, first, max(count, 0) if valid else 0)
            body += struct.pack(f"<{max(count, 0)}I", *self.op_ticks[first : first + count]) if valid else b""
            return P.encode_frame(rsp, req.seq, body)
        if req.type == P.POWER:
            if self.power is None:
                return P.encode_frame(rsp, req.seq, struct.pack("<BBIiI", P.POWER_NO_SENSOR, 0, 0, 0, 0))
            bus, cur, pw = self.power
            return P.encode_frame(rsp, req.seq, struct.pack("<BBIiI", P.POWER_OK, 1, bus, cur, pw))
        return error(P.ERR_UNKNOWN_TYPE)
