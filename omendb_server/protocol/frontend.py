"""Decoding of frontend (client → server) messages into frozen dataclasses.

Why every read goes through ``_Reader``: payloads come from untrusted peers, so
each field read checks the remaining length and any structural damage surfaces as
a ProtocolViolation (08P01) — never as IndexError/struct.error escaping to the
connection loop. Bad UTF-8 in strings is a data error (22021), as in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
import struct
from typing import Union

from omendb_server import errors
from omendb_server.datatypes import decode_utf8

PROTOCOL_3_0 = 196608
CANCEL_REQUEST_CODE = 80877102
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104

_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_U32 = struct.Struct("!I")


def _short() -> errors.ProtocolViolation:
    return errors.ProtocolViolation("insufficient data left in message")


class _Reader:
    """Bounds-checked cursor over one message payload."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def cstring(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise errors.ProtocolViolation("invalid string in message")
        raw = self.data[self.pos : end]
        self.pos = end + 1
        return decode_utf8(raw) if raw else ""

    def int16(self) -> int:
        if self.pos + 2 > len(self.data):
            raise _short()
        (v,) = _I16.unpack_from(self.data, self.pos)
        self.pos += 2
        return v

    def int32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise _short()
        (v,) = _I32.unpack_from(self.data, self.pos)
        self.pos += 4
        return v

    def uint32s(self, count: int) -> tuple[int, ...]:
        if count < 0 or self.pos + 4 * count > len(self.data):
            raise _short()
        values = struct.unpack_from(f"!{count}I", self.data, self.pos)
        self.pos += 4 * count
        return values

    def int16s(self, count: int) -> tuple[int, ...]:
        if count < 0 or self.pos + 2 * count > len(self.data):
            raise _short()
        values = struct.unpack_from(f"!{count}h", self.data, self.pos)
        self.pos += 2 * count
        return values

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise _short()
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def byte(self) -> str:
        if self.pos >= len(self.data):
            raise _short()
        b = self.data[self.pos]
        self.pos += 1
        return chr(b)

    def end(self) -> None:
        if self.pos != len(self.data):
            raise errors.ProtocolViolation("invalid message format")


# --- startup-phase packets ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StartupMessage:
    protocol: int
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class SSLRequest:
    pass


@dataclass(frozen=True, slots=True)
class GSSENCRequest:
    pass


@dataclass(frozen=True, slots=True)
class CancelRequest:
    pid: int
    secret: int


StartupPacket = Union[StartupMessage, SSLRequest, GSSENCRequest, CancelRequest]


def _startup_string(r: _Reader) -> str:
    end = r.data.find(b"\x00", r.pos)
    if end < 0:
        raise errors.ProtocolViolation("invalid startup packet layout: expected terminator as last byte")
    raw = r.data[r.pos : end]
    r.pos = end + 1
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise errors.ProtocolViolation("invalid startup packet layout: invalid UTF-8 in parameter") from None


def decode_startup(payload: bytes) -> StartupPacket:
    """Decode a startup-phase packet (its payload after the length word)."""
    r = _Reader(payload)
    code = r.int32() & 0xFFFFFFFF
    if code == SSL_REQUEST_CODE:
        r.end()
        return SSLRequest()
    if code == GSSENC_REQUEST_CODE:
        r.end()
        return GSSENCRequest()
    if code == CANCEL_REQUEST_CODE:
        pid, secret = r.int32(), r.int32()
        r.end()
        return CancelRequest(pid, secret)
    major, minor = code >> 16, code & 0xFFFF
    if major != 3:
        raise errors.FeatureNotSupported(
            f"unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0", "0A000", severity="FATAL"
        )
    params: dict[str, str] = {}
    while True:
        key = _startup_string(r)
        if not key:
            break
        params[key] = _startup_string(r)
    if r.pos != len(payload):
        raise errors.ProtocolViolation("invalid startup packet layout: expected terminator as last byte")
    return StartupMessage(code, params)


# --- normal-phase messages ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Query:
    sql: str


@dataclass(frozen=True, slots=True)
class Parse:
    name: str
    query: str
    param_oids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Bind:
    portal: str
    statement: str
    param_formats: tuple[int, ...]
    params: tuple[bytes | None, ...]
    result_formats: tuple[int, ...]

    def param_format(self, index: int) -> int:
        """Format code of parameter ``index`` under the 0/1/n count rule."""
        formats = self.param_formats
        if not formats:
            return 0
        return formats[0] if len(formats) == 1 else formats[index]


@dataclass(frozen=True, slots=True)
class Describe:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Execute:
    portal: str
    max_rows: int


@dataclass(frozen=True, slots=True)
class Sync:
    pass


@dataclass(frozen=True, slots=True)
class Flush:
    pass


@dataclass(frozen=True, slots=True)
class Close:
    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class Terminate:
    pass


@dataclass(frozen=True, slots=True)
class CopyData:
    data: bytes


@dataclass(frozen=True, slots=True)
class CopyDone:
    pass


@dataclass(frozen=True, slots=True)
class CopyFail:
    message: str


@dataclass(frozen=True, slots=True)
class PasswordData:
    """A 'p' message; PasswordMessage, SASLInitialResponse or SASLResponse depending on auth state."""

    raw: bytes


FrontendMessage = Union[
    Query, Parse, Bind, Describe, Execute, Sync, Flush, Close, Terminate, CopyData, CopyDone, CopyFail, PasswordData
]

SYNC = Sync()
FLUSH = Flush()
TERMINATE = Terminate()
COPY_DONE = CopyDone()


def _check_formats(codes: tuple[int, ...]) -> tuple[int, ...]:
    for code in codes:
        if code not in (0, 1):
            raise errors.ProtocolViolation(f"unsupported format code: {code}")
    return codes


def _query(r: _Reader) -> Query:
    sql = r.cstring()
    r.end()
    return Query(sql)


def _parse(r: _Reader) -> Parse:
    name, query = r.cstring(), r.cstring()
    oids = r.uint32s(r.int16())
    r.end()
    return Parse(name, query, oids)


_H = struct.Struct("!h")
_HI = struct.Struct("!i")


def _bind_fast(data: bytes) -> Bind:
    """Bind without the generic reader: it runs once per executed statement.

    Any structural damage falls through to the checked decoder below, which
    raises the precise ProtocolViolation.
    """
    try:
        e1 = data.index(0)
        e2 = data.index(0, e1 + 1)
        pos = e2 + 1
        (nfmt,) = _H.unpack_from(data, pos)
        pos += 2
        formats = struct.unpack_from(f"!{nfmt}h", data, pos) if nfmt else ()
        pos += 2 * nfmt
        (nparams,) = _H.unpack_from(data, pos)
        pos += 2
        if nfmt not in (0, 1, nparams) or nparams < 0:
            return _bind(_Reader(data))
        params: list[bytes | None] = []
        unpack = _HI.unpack_from
        for _ in range(nparams):
            (n,) = unpack(data, pos)
            pos += 4
            if n == -1:
                params.append(None)
            else:
                if n < 0 or pos + n > len(data):
                    return _bind(_Reader(data))
                params.append(data[pos:pos + n])
                pos += n
        (nres,) = _H.unpack_from(data, pos)
        pos += 2
        results = struct.unpack_from(f"!{nres}h", data, pos) if nres > 0 else ()
        pos += 2 * max(nres, 0)
        if pos != len(data) or nres < 0:
            return _bind(_Reader(data))
        for code in formats:
            if code not in (0, 1):
                return _bind(_Reader(data))
        for code in results:
            if code not in (0, 1):
                return _bind(_Reader(data))
        portal = data[:e1].decode("utf-8") if e1 else ""
        statement = data[e1 + 1:e2].decode("utf-8") if e2 > e1 + 1 else ""
        return Bind(portal, statement, formats, tuple(params), results)
    except (struct.error, ValueError):
        return _bind(_Reader(data))


def _bind(r: _Reader) -> Bind:
    portal, statement = r.cstring(), r.cstring()
    formats = _check_formats(r.int16s(r.int16()))
    nparams = r.int16()
    if nparams < 0:
        raise _short()
    if len(formats) not in (0, 1, nparams):
        raise errors.ProtocolViolation(
            f"bind message has {len(formats)} parameter formats but {nparams} parameters"
        )
    params: list[bytes | None] = []
    for _ in range(nparams):
        length = r.int32()
        params.append(None if length == -1 else r.take(length))
    results = _check_formats(r.int16s(r.int16()))
    r.end()
    return Bind(portal, statement, formats, tuple(params), results)


def _kind_and_name(r: _Reader, what: str) -> tuple[str, str]:
    kind = r.byte()
    if kind not in ("S", "P"):
        raise errors.ProtocolViolation(f"invalid {what} message subtype {ord(kind)}")
    name = r.cstring()
    r.end()
    return kind, name


def _describe(r: _Reader) -> Describe:
    return Describe(*_kind_and_name(r, "DESCRIBE"))


def _close(r: _Reader) -> Close:
    return Close(*_kind_and_name(r, "CLOSE"))


def _execute(r: _Reader) -> Execute:
    portal = r.cstring()
    max_rows = r.int32()
    r.end()
    return Execute(portal, max_rows)


def _empty(value: object):  # type: ignore[no-untyped-def]
    def decode(r: _Reader) -> object:
        r.end()
        return value

    return decode


def _copy_fail(r: _Reader) -> CopyFail:
    msg = r.cstring()
    r.end()
    return CopyFail(msg)


_DECODERS = {
    b"Q": _query,
    b"P": _parse,
    b"B": _bind,
    b"D": _describe,
    b"E": _execute,
    b"C": _close,
    b"S": _empty(SYNC),
    b"H": _empty(FLUSH),
    b"c": _empty(COPY_DONE),
    b"f": _copy_fail,
}


def decode_message(type_byte: bytes, payload: bytes) -> FrontendMessage:
    """Decode one normal-phase message; any malformation raises a DBError."""
    if type_byte == b"B":
        return _bind_fast(payload)
    decoder = _DECODERS.get(type_byte)
    if decoder is not None:
        return decoder(_Reader(payload))  # type: ignore[no-any-return]
    if type_byte == b"d":
        return CopyData(payload)
    if type_byte == b"p":
        return PasswordData(payload)
    if type_byte == b"X":
        return TERMINATE
    if type_byte == b"F":
        raise errors.FeatureNotSupported("fastpath function calls are not supported")
    code = type_byte[0] if type_byte else 0
    raise errors.ProtocolViolation(f"invalid frontend message type {code}")


# --- authentication payloads ('p' messages) -----------------------------------------------
def parse_password(raw: bytes) -> str:
    """A cleartext PasswordMessage: one NUL-terminated string."""
    r = _Reader(raw)
    password = r.cstring()
    r.end()
    return password


def parse_sasl_initial_response(raw: bytes) -> tuple[str, bytes]:
    """SASLInitialResponse → (mechanism, client-first-message); length -1 means no data (b'')."""
    r = _Reader(raw)
    mechanism = r.cstring()
    length = r.int32()
    data = b"" if length == -1 else r.take(length)
    r.end()
    return mechanism, data


def parse_sasl_response(raw: bytes) -> bytes:
    """SASLResponse: the whole payload is mechanism data."""
    return bytes(raw)
