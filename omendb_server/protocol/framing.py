"""Splitting the client byte stream into protocol messages (sans-I/O).

Why limits are checked on the header: a length prefix is a claim by an untrusted
peer. The decoder rejects an impossible or oversized length as soon as the 4-byte
prefix arrives, so a client can never make the server reserve memory it has not
actually sent — and unauthenticated peers (startup phase) get a much smaller cap.
"""

from __future__ import annotations

import struct

from omendb_server import errors

_I32 = struct.Struct("!i")
_TYPE_BYTES = [bytes([i]) for i in range(256)]
_COMPACT_AFTER = 64 * 1024


class FrameDecoder:
    """Splits a byte stream into messages. Never allocates what a client merely claims:
    a length prefix is checked against limits before anything is buffered beyond what
    has arrived."""

    def __init__(self, max_message_bytes: int = 64 * 1024 * 1024, max_startup_bytes: int = 10_000) -> None:
        self.max_message_bytes = max_message_bytes
        self.max_startup_bytes = max_startup_bytes
        # Startup-phase packets (StartupMessage, SSLRequest, CancelRequest…) have no type byte.
        self.expecting_startup = True
        self._buf = bytearray()
        self._pos = 0

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        self._buf += data

    def pending_bytes(self) -> int:
        return len(self._buf) - self._pos

    def _consume(self, start: int, end: int) -> bytes:
        payload = bytes(self._buf[start:end])
        self._pos = end
        if end == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif end > _COMPACT_AFTER:
            del self._buf[:end]
            self._pos = 0
        return payload

    def next_frame(self) -> tuple[bytes | None, bytes] | None:
        """The next complete message as (type byte or None for startup packets, payload), or None."""
        buf, pos = self._buf, self._pos
        avail = len(buf) - pos
        if self.expecting_startup:
            if avail < 4:
                return None
            (length,) = _I32.unpack_from(buf, pos)
            if length < 8 or length > self.max_startup_bytes:
                raise errors.ProtocolViolation("invalid length of startup packet")
            if avail < length:
                return None
            return None, self._consume(pos + 4, pos + length)
        if avail < 5:
            return None
        (length,) = _I32.unpack_from(buf, pos + 1)
        if length < 4:
            raise errors.ProtocolViolation("invalid message length")
        if length > self.max_message_bytes:
            raise errors.ProtocolViolation("message too large")
        if avail < length + 1:
            return None
        return _TYPE_BYTES[buf[pos]], self._consume(pos + 5, pos + 1 + length)
