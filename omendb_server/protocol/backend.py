"""Encoding of backend (server → client) messages as complete byte strings.

Why precompiled Structs and module constants: these functions run once or more per
result row and per protocol round trip; fixed messages (ParseComplete,
ReadyForQuery…) are built once at import, and DataRow is assembled with a single
``b''.join`` so a pipelined batch can be written with one send.
"""

from __future__ import annotations

from functools import lru_cache
import struct
from typing import Any, NamedTuple, Sequence

from omendb_server import errors

_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")
_HEADER = struct.Struct("!ci")
_HEADER_COUNT = struct.Struct("!cih")
_FIELD = struct.Struct("!IhIhih")
_NULL_FIELD = _I32.pack(-1)
_LEN_CACHE = [_I32.pack(n) for n in range(256)]


def message(type_byte: bytes, payload: bytes = b"") -> bytes:
    """Frame ``payload`` as one backend message: type byte, Int32 length (self-inclusive), payload."""
    return _HEADER.pack(type_byte, len(payload) + 4) + payload


def _cstr(s: str) -> bytes:
    return s.encode("utf-8") + b"\x00"


# --- constant messages ---------------------------------------------------------------------
PARSE_COMPLETE = message(b"1")
BIND_COMPLETE = message(b"2")
CLOSE_COMPLETE = message(b"3")
NO_DATA = message(b"n")
EMPTY_QUERY_RESPONSE = message(b"I")
PORTAL_SUSPENDED = message(b"s")
COPY_DONE = message(b"c")
AUTH_OK = message(b"R", _I32.pack(0))
AUTH_CLEARTEXT = message(b"R", _I32.pack(3))
SSL_REFUSED = b"N"  # single-byte answers to SSLRequest/GSSENCRequest, not framed
SSL_ACCEPTED = b"S"
GSSENC_REFUSED = b"N"
READY_IDLE = message(b"Z", b"I")
READY_IN_TX = message(b"Z", b"T")
READY_FAILED = message(b"Z", b"E")
_READY = {b"I": READY_IDLE, b"T": READY_IN_TX, b"E": READY_FAILED, "I": READY_IDLE, "T": READY_IN_TX, "E": READY_FAILED}


class FieldDescription(NamedTuple):
    """One column of a RowDescription."""

    name: str
    table_oid: int
    column_attnum: int
    type_oid: int
    type_size: int
    type_modifier: int
    format_code: int


# --- authentication --------------------------------------------------------------------------
def authentication_cleartext() -> bytes:
    return AUTH_CLEARTEXT


def authentication_md5(salt: bytes) -> bytes:
    return message(b"R", _I32.pack(5) + salt)


def authentication_sasl(mechanisms: Sequence[str]) -> bytes:
    return message(b"R", _I32.pack(10) + b"".join(_cstr(m) for m in mechanisms) + b"\x00")


def authentication_sasl_continue(data: bytes) -> bytes:
    return message(b"R", _I32.pack(11) + data)


def authentication_sasl_final(data: bytes) -> bytes:
    return message(b"R", _I32.pack(12) + data)


# --- session setup ---------------------------------------------------------------------------
def parameter_status(name: str, value: str) -> bytes:
    return message(b"S", _cstr(name) + _cstr(value))


def backend_key_data(pid: int, secret: int) -> bytes:
    return message(b"K", struct.pack("!ii", pid, secret))


def negotiate_protocol_version(newest_minor: int, unrecognized: Sequence[str] = ()) -> bytes:
    return message(b"v", struct.pack("!ii", newest_minor, len(unrecognized)) + b"".join(_cstr(o) for o in unrecognized))


def ready_for_query(status: bytes | str) -> bytes:
    """ReadyForQuery for transaction status b'I' (idle), b'T' (in block) or b'E' (failed block); str accepted too."""
    return _READY[status]


# --- query results ---------------------------------------------------------------------------
def row_description(fields: Sequence[FieldDescription]) -> bytes:
    parts = [b""]
    pack = _FIELD.pack
    for f in fields:
        parts.append(_cstr(f.name))
        parts.append(pack(f.table_oid, f.column_attnum, f.type_oid, f.type_size, f.type_modifier, f.format_code))
    body_len = sum(len(p) for p in parts) + 6
    parts[0] = _HEADER_COUNT.pack(b"T", body_len, len(fields))
    return b"".join(parts)


def data_row(values: Sequence[bytes | None]) -> bytes:
    """DataRow: per-column Int32 length (-1 for NULL) then the bytes; called once per row."""
    parts: list[bytes] = [b""]
    append = parts.append
    lens = _LEN_CACHE
    pack = _I32.pack
    total = 6
    for v in values:
        if v is None:
            append(_NULL_FIELD)
            total += 4
        else:
            n = len(v)
            append(lens[n] if n < 256 else pack(n))
            append(v)
            total += 4 + n
    parts[0] = _HEADER_COUNT.pack(b"D", total, len(values))
    return b"".join(parts)


@lru_cache(maxsize=512)
def command_complete(tag: str) -> bytes:
    return message(b"C", _cstr(tag))


_SELECT_TAGS = [message(b"C", _cstr(f"SELECT {n}")) for n in range(64)]


def select_complete(n: int) -> bytes:
    """CommandComplete ``SELECT n``: prebuilt for the small counts of point queries."""
    return _SELECT_TAGS[n] if n < 64 else message(b"C", _cstr(f"SELECT {n}"))


def parameter_description(oids: Sequence[int]) -> bytes:
    return message(b"t", _I16.pack(len(oids)) + struct.pack(f"!{len(oids)}I", *oids))


# --- errors and notices ----------------------------------------------------------------------
def _fields(severity: str, sqlstate: str, err: Any) -> bytes:
    parts = [b"S", _cstr(severity), b"V", _cstr(severity), b"C", _cstr(sqlstate), b"M", _cstr(str(getattr(err, "message", err)))]
    for code, attr in ((b"D", "detail"), (b"H", "hint"), (b"P", "position"), (b"t", "table"), (b"c", "column"), (b"n", "constraint")):
        value = getattr(err, attr, None)
        if value is not None:
            parts.append(code)
            parts.append(_cstr(str(value)))
    parts.append(b"\x00")
    return b"".join(parts)


def error_response(err: errors.DBError) -> bytes:
    """ErrorResponse carrying the error's severity, SQLSTATE and optional fields."""
    return message(b"E", _fields(err.severity, err.sqlstate, err))


def notice_response(notice: Any) -> bytes:
    """NoticeResponse from any object with ``message`` (plus optional severity/sqlstate/detail/hint…)."""
    severity = getattr(notice, "severity", None) or "NOTICE"
    if severity == "ERROR":  # a DBError reused as a notice keeps its code, not its severity
        severity = "WARNING"
    return message(b"N", _fields(severity, getattr(notice, "sqlstate", None) or "00000", notice))


def notification_response(pid: int, channel: str, payload: str) -> bytes:
    return message(b"A", _I32.pack(pid) + _cstr(channel) + _cstr(payload))


# --- COPY ------------------------------------------------------------------------------------
def _copy_response(type_byte: bytes, fmt: int, column_formats: Sequence[int]) -> bytes:
    return message(type_byte, struct.pack(f"!bh{len(column_formats)}h", fmt, len(column_formats), *column_formats))


def copy_in_response(fmt: int, column_formats: Sequence[int]) -> bytes:
    return _copy_response(b"G", fmt, column_formats)


def copy_out_response(fmt: int, column_formats: Sequence[int]) -> bytes:
    return _copy_response(b"H", fmt, column_formats)


def copy_both_response(fmt: int, column_formats: Sequence[int]) -> bytes:
    return _copy_response(b"W", fmt, column_formats)


def copy_data(data: bytes) -> bytes:
    return _HEADER.pack(b"d", len(data) + 4) + data


def copy_done() -> bytes:
    return COPY_DONE
