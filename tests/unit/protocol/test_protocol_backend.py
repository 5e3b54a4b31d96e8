"""Backend message encoders: exact bytes of known messages."""

from __future__ import annotations

import struct

import pytest

from omendb_server import errors
from omendb_server.protocol import backend as be
from omendb_server.protocol.backend import FieldDescription


def test_constant_messages() -> None:
    assert be.PARSE_COMPLETE == b"1\x00\x00\x00\x04"
    assert be.BIND_COMPLETE == b"2\x00\x00\x00\x04"
    assert be.CLOSE_COMPLETE == b"3\x00\x00\x00\x04"
    assert be.NO_DATA == b"n\x00\x00\x00\x04"
    assert be.EMPTY_QUERY_RESPONSE == b"I\x00\x00\x00\x04"
    assert be.PORTAL_SUSPENDED == b"s\x00\x00\x00\x04"
    assert be.AUTH_OK == b"R\x00\x00\x00\x08\x00\x00\x00\x00"
    assert be.SSL_REFUSED == b"N"
    assert be.READY_IDLE == b"Z\x00\x00\x00\x05I"
    assert be.READY_IN_TX == b"Z\x00\x00\x00\x05T"
    assert be.READY_FAILED == b"Z\x00\x00\x00\x05E"
    assert be.ready_for_query(b"T") is be.READY_IN_TX
    assert be.copy_done() == b"c\x00\x00\x00\x04"


def test_authentication() -> None:
    assert be.authentication_cleartext() == b"R\x00\x00\x00\x08\x00\x00\x00\x03"
    assert be.authentication_sasl(["SCRAM-SHA-256"]) == b"R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00"
    assert be.authentication_sasl_continue(b"r=x") == b"R\x00\x00\x00\x0b\x00\x00\x00\x0br=x"
    assert be.authentication_sasl_final(b"v=y") == b"R\x00\x00\x00\x0b\x00\x00\x00\x0cv=y"


def test_session_messages() -> None:
    assert be.parameter_status("client_encoding", "UTF8") == b"S\x00\x00\x00\x19client_encoding\x00UTF8\x00"
    assert be.backend_key_data(1234, -1) == b"K\x00\x00\x00\x0c\x00\x00\x04\xd2\xff\xff\xff\xff"
    assert be.command_complete("SELECT 1") == b"C\x00\x00\x00\x0dSELECT 1\x00"
    assert be.parameter_description([23, 25]) == b"t\x00\x00\x00\x0e\x00\x02\x00\x00\x00\x17\x00\x00\x00\x19"
    assert be.notification_response(7, "ch", "hi") == b"A\x00\x00\x00\x0e\x00\x00\x00\x07ch\x00hi\x00"


def test_row_description() -> None:
    fields = [FieldDescription("a", 0, 0, 23, 4, -1, 0), FieldDescription("bé", 16384, 2, 25, -1, -1, 1)]
    body = struct.pack("!h", 2)
    body += b"a\x00" + struct.pack("!IhIhih", 0, 0, 23, 4, -1, 0)
    body += "bé".encode() + b"\x00" + struct.pack("!IhIhih", 16384, 2, 25, -1, -1, 1)
    assert be.row_description(fields) == b"T" + struct.pack("!i", len(body) + 4) + body
    assert be.row_description([]) == b"T\x00\x00\x00\x06\x00\x00"


def test_data_row() -> None:
    assert be.data_row([b"1", None, b""]) == (
        b"D\x00\x00\x00\x13\x00\x03" + b"\x00\x00\x00\x011" + b"\xff\xff\xff\xff" + b"\x00\x00\x00\x00"
    )
    big = b"x" * 1000
    row = be.data_row([big])
    assert row == b"D" + struct.pack("!ih", 4 + 2 + 4 + 1000, 1) + struct.pack("!i", 1000) + big
    assert be.data_row([]) == b"D\x00\x00\x00\x06\x00\x00"


def test_error_response_fields() -> None:
    err = errors.UniqueViolation(
        'duplicate key value violates unique constraint "t_pkey"',
        detail="Key (id)=(1) already exists.", constraint="t_pkey", table="t",
    )
    msg = be.error_response(err)
    assert msg[:1] == b"E"
    assert struct.unpack("!i", msg[1:5])[0] == len(msg) - 1
    body = msg[5:]
    assert body == (
        b"SERROR\x00VERROR\x00C23505\x00"
        b'Mduplicate key value violates unique constraint "t_pkey"\x00'
        b"DKey (id)=(1) already exists.\x00tt\x00nt_pkey\x00\x00"
    )


def test_error_response_position_hint_and_fatal() -> None:
    err = errors.SyntaxError('syntax error at or near "x"', position=8, hint="h")
    assert b"H" + b"h\x00" + b"P8\x00" in be.error_response(err)
    fatal = be.error_response(errors.ProtocolViolation("invalid message length"))
    assert fatal.startswith(b"E") and b"SFATAL\x00VFATAL\x00C08P01\x00" in fatal


def test_notice_response() -> None:
    class Notice:
        message = "there is no transaction in progress"
        sqlstate = "25P01"
        severity = "WARNING"

    assert be.notice_response(Notice()) == be.message(
        b"N", b"SWARNING\x00VWARNING\x00C25P01\x00Mthere is no transaction in progress\x00\x00"
    )
    plain = be.notice_response(errors.DBError("hello", "01000"))
    assert b"SWARNING\x00" in plain and b"C01000\x00" in plain


@pytest.mark.parametrize("fn,type_byte", [(be.copy_in_response, b"G"), (be.copy_out_response, b"H")])
def test_copy_responses(fn, type_byte: bytes) -> None:  # type: ignore[no-untyped-def]
    assert fn(0, [0, 0]) == type_byte + b"\x00\x00\x00\x0b\x00\x00\x02\x00\x00\x00\x00"
    assert be.copy_data(b"abc") == b"d\x00\x00\x00\x07abc"
