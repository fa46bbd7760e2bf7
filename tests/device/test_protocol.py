"""Framing and CRC: the host codec alone (the firmware's side is in test_firmware_host)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from edgekit.device import protocol as P


def test_crc16_ccitt_false_check_value() -> None:
    # The catalogued check value of CRC-16/CCITT-FALSE over "123456789".
    assert P.crc16(b"123456789") == 0x29B1
    assert P.crc16_fast(b"123456789") == 0x29B1


@given(st.binary(max_size=300))
@settings(max_examples=50, deadline=None)
def test_table_crc_matches_bitwise(data: bytes) -> None:
    assert P.crc16_fast(data) == P.crc16(data)


frames = st.lists(
    st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=200)),
    min_size=1, max_size=8,
)


@given(frames, st.lists(st.binary(max_size=20), min_size=9, max_size=9), st.integers(1, 50))
@settings(max_examples=60, deadline=None)
def test_decoder_finds_every_frame_among_garbage(frames, noise, chunk) -> None:
    # Garbage without a start byte between frames, fed in arbitrary pieces.
    noise = [bytes(b for b in n if b != P.START) for n in noise]
    stream = noise[0] + b"".join(P.encode_frame(t, s, p) + noise[i + 1]
                                 for i, (t, s, p) in enumerate(frames))
    dec = P.FrameDecoder(max_payload=256)
    got = []
    for i in range(0, len(stream), chunk):
        got += dec.feed(stream[i : i + chunk])
    assert got == [P.Frame(t, s, p) for t, s, p in frames]
    assert dec.skipped == sum(len(n) for n in noise[: len(frames) + 1])


@given(st.integers(0, 255), st.binary(min_size=1, max_size=100), st.data())
@settings(max_examples=60, deadline=None)
def test_corrupt_frame_is_reported_and_next_frame_survives(seq, payload, data) -> None:
    bad = bytearray(P.encode_frame(P.INVOKE, seq, payload))
    pos = data.draw(st.integers(5, len(bad) - 1))  # a payload or CRC byte
    bad[pos] ^= data.draw(st.integers(1, 255))
    good = P.encode_frame(P.HELLO, 7, b"ok")
    events = P.FrameDecoder(max_payload=256).feed(bytes(bad) + good)
    assert isinstance(events[0], P.BadFrame)
    assert events[-1] == P.Frame(P.HELLO, 7, b"ok")


def test_false_start_with_huge_length_is_skipped() -> None:
    good = P.encode_frame(P.POWER, 3, b"")
    events = P.FrameDecoder(max_payload=64).feed(bytes([P.START, 0xFF, 0xFF]) + good)
    assert events == [P.Frame(P.POWER, 3, b"")]


def test_hello_round_trips() -> None:
    clock = P.ClockInfo(25_000_000, 40, 1, True)
    hello = P.Hello(P.VERSION, P.FLAG_EMULATED, 512, 1234, 9, clock,
                    (P.TensorInfo(10, 0.5, -128),), (P.TensorInfo(12, 0.25, 3),),
                    "qemu-cortex-m4", "ab" * 32, "b1")
    assert P.parse_hello(P.encode_hello(hello)) == hello
    random.seed(0)
    truncated = P.encode_hello(hello)[:-5]
    try:
        P.parse_hello(truncated)
    except P.ProtocolError as exc:
        assert "truncated" in str(exc)
    else:
        raise AssertionError("a truncated HELLO parsed")
