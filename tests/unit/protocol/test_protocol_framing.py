"""FrameDecoder: partial feeds, startup vs normal phase, and length-prefix limits."""

from __future__ import annotations

import struct

import pytest

from omendb_server import errors
from omendb_server.protocol.framing import FrameDecoder


def msg(type_byte: bytes, payload: bytes) -> bytes:
    return type_byte + struct.pack("!i", len(payload) + 4) + payload


def startup(payload: bytes) -> bytes:
    return struct.pack("!i", len(payload) + 4) + payload


STARTUP_PAYLOAD = struct.pack("!i", 196608) + b"user\x00alice\x00\x00"


def test_startup_then_messages_byte_at_a_time() -> None:
    stream = startup(STARTUP_PAYLOAD)
    d = FrameDecoder()
    frames = []
    for b in stream:
        d.feed(bytes([b]))
        f = d.next_frame()
        if f is not None:
            frames.append(f)
    assert frames == [(None, STARTUP_PAYLOAD)]
    d.expecting_startup = False
    stream = msg(b"Q", b"select 1\x00") + msg(b"S", b"") + msg(b"X", b"")
    out = []
    for b in stream:
        d.feed(bytes([b]))
        while (f := d.next_frame()) is not None:
            out.append(f)
    assert out == [(b"Q", b"select 1\x00"), (b"S", b""), (b"X", b"")]
    assert d.pending_bytes() == 0


def test_many_messages_in_one_feed() -> None:
    d = FrameDecoder()
    d.expecting_startup = False
    batch = b"".join(msg(b"B", bytes([i]) * i) for i in range(200))
    d.feed(batch + b"Q\x00\x00")
    got = []
    while (f := d.next_frame()) is not None:
        got.append(f)
    assert [len(p) for _, p in got] == list(range(200))
    assert d.pending_bytes() == 3


def test_large_buffer_compaction_keeps_order() -> None:
    d = FrameDecoder()
    d.expecting_startup = False
    payload = b"x" * 70_000
    d.feed(msg(b"d", payload) + msg(b"d", b"tail"))
    assert d.next_frame() == (b"d", payload)
    assert d.next_frame() == (b"d", b"tail")
    assert d.next_frame() is None


def test_oversized_length_rejected_before_buffering() -> None:
    d = FrameDecoder(max_message_bytes=1024)
    d.expecting_startup = False
    d.feed(b"Q" + struct.pack("!i", 1_000_000_000))
    with pytest.raises(errors.ProtocolViolation) as info:
        d.next_frame()
    assert info.value.message == "message too large"
    assert d.pending_bytes() == 5  # only what actually arrived


@pytest.mark.parametrize("length", [0, 3, -1, -(2**31)])
def test_invalid_message_length(length: int) -> None:
    d = FrameDecoder()
    d.expecting_startup = False
    d.feed(b"Q" + struct.pack("!i", length))
    with pytest.raises(errors.ProtocolViolation) as info:
        d.next_frame()
    assert info.value.message == "invalid message length"
    assert info.value.sqlstate == "08P01"


@pytest.mark.parametrize("length", [0, 4, 7, 10_001, 2**31 - 1, -5])
def test_invalid_startup_length(length: int) -> None:
    d = FrameDecoder(max_startup_bytes=10_000)
    d.feed(struct.pack("!i", length))
    with pytest.raises(errors.ProtocolViolation):
        d.next_frame()


def test_incomplete_returns_none() -> None:
    d = FrameDecoder()
    assert d.next_frame() is None
    d.feed(b"\x00\x00")
    assert d.next_frame() is None
    d.feed(b"\x00\x08\x04\xd2")
    assert d.next_frame() is None
    d.feed(b"\x16\x2f")
    assert d.next_frame() == (None, b"\x04\xd2\x16\x2f")
