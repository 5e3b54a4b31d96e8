"""Frontend message decoding: well-formed messages, malformed payloads and a fuzz loop."""

from __future__ import annotations

import random
import struct

import pytest

from omendb_server import errors
from omendb_server.protocol import frontend as fe


def cstr(s: str) -> bytes:
    return s.encode() + b"\x00"


def bind_payload(
    portal: str = "", stmt: str = "s1", formats: tuple[int, ...] = (1,), params: tuple[bytes | None, ...] = (b"\x00\x00\x00\x05", None),
    results: tuple[int, ...] = (0,),
) -> bytes:
    out = cstr(portal) + cstr(stmt) + struct.pack(f"!h{len(formats)}h", len(formats), *formats)
    out += struct.pack("!h", len(params))
    for p in params:
        out += struct.pack("!i", -1) if p is None else struct.pack("!i", len(p)) + p
    return out + struct.pack(f"!h{len(results)}h", len(results), *results)


VALID = {
    b"Q": cstr("select 1"),
    b"P": cstr("s1") + cstr("select $1") + struct.pack("!hI", 1, 23),
    b"B": bind_payload(),
    b"D": b"S" + cstr("s1"),
    b"E": cstr("") + struct.pack("!i", 0),
    b"C": b"P" + cstr("p1"),
    b"S": b"",
    b"H": b"",
    b"c": b"",
    b"f": cstr("oops"),
}


def test_decode_valid_messages() -> None:
    assert fe.decode_message(b"Q", VALID[b"Q"]) == fe.Query("select 1")
    assert fe.decode_message(b"P", VALID[b"P"]) == fe.Parse("s1", "select $1", (23,))
    assert fe.decode_message(b"B", VALID[b"B"]) == fe.Bind("", "s1", (1,), (b"\x00\x00\x00\x05", None), (0,))
    assert fe.decode_message(b"D", VALID[b"D"]) == fe.Describe("S", "s1")
    assert fe.decode_message(b"E", VALID[b"E"]) == fe.Execute("", 0)
    assert fe.decode_message(b"C", VALID[b"C"]) == fe.Close("P", "p1")
    assert fe.decode_message(b"S", b"") == fe.Sync()
    assert fe.decode_message(b"H", b"") == fe.Flush()
    assert fe.decode_message(b"X", b"") == fe.Terminate()
    assert fe.decode_message(b"d", b"1\t2\n") == fe.CopyData(b"1\t2\n")
    assert fe.decode_message(b"c", b"") == fe.CopyDone()
    assert fe.decode_message(b"f", VALID[b"f"]) == fe.CopyFail("oops")
    assert fe.decode_message(b"p", b"secret\x00") == fe.PasswordData(b"secret\x00")


def test_bind_format_rules() -> None:
    b = fe.decode_message(b"B", bind_payload(formats=(), params=(b"1", b"2")))
    assert isinstance(b, fe.Bind) and b.param_format(1) == 0
    b = fe.decode_message(b"B", bind_payload(formats=(1,), params=(b"1", b"2")))
    assert isinstance(b, fe.Bind) and b.param_format(1) == 1
    b = fe.decode_message(b"B", bind_payload(formats=(0, 1), params=(b"1", b"2")))
    assert isinstance(b, fe.Bind) and (b.param_format(0), b.param_format(1)) == (0, 1)
    with pytest.raises(errors.ProtocolViolation):
        fe.decode_message(b"B", bind_payload(formats=(0, 1), params=(b"1", b"2", b"3")))
    with pytest.raises(errors.ProtocolViolation) as info:
        fe.decode_message(b"B", bind_payload(formats=(2,), params=(b"1",)))
    assert info.value.message == "unsupported format code: 2"
    with pytest.raises(errors.ProtocolViolation):
        fe.decode_message(b"B", bind_payload(results=(7,)))


def test_unknown_type_byte() -> None:
    with pytest.raises(errors.ProtocolViolation) as info:
        fe.decode_message(b"z", b"")
    assert info.value.message == "invalid frontend message type 122"


def test_invalid_utf8_in_query_is_22021() -> None:
    with pytest.raises(errors.CharacterNotInRepertoire) as info:
        fe.decode_message(b"Q", b"select '\xff'\x00")
    assert info.value.sqlstate == "22021"
    assert info.value.message == 'invalid byte sequence for encoding "UTF8": 0xff'
    with pytest.raises(errors.CharacterNotInRepertoire):
        fe.decode_message(b"P", b"\x00select '\xc3\x28'\x00\x00\x00")


@pytest.mark.parametrize(
    "type_byte,payload",
    [
        (b"Q", b"select 1"),  # no terminator
        (b"Q", b"select 1\x00junk"),
        (b"P", cstr("s") + cstr("q") + struct.pack("!h", 5) + b"\x00\x00"),
        (b"P", cstr("s") + cstr("q") + struct.pack("!h", -1)),
        (b"B", cstr("") + cstr("") + struct.pack("!h", 0) + struct.pack("!h", 1) + struct.pack("!i", 100) + b"ab"),
        (b"B", cstr("") + cstr("") + struct.pack("!hh", 0, 1) + struct.pack("!i", -2)),
        (b"B", cstr("") + cstr("") + struct.pack("!hh", 0, -3)),
        (b"D", b"X" + cstr("s")),
        (b"D", b""),
        (b"C", b"S"),
        (b"E", cstr("") + b"\x00\x00"),
        (b"S", b"x"),
        (b"f", b"no terminator"),
    ],
)
def test_malformed_payloads(type_byte: bytes, payload: bytes) -> None:
    with pytest.raises(errors.DBError):
        fe.decode_message(type_byte, payload)


def test_every_decoder_rejects_truncation() -> None:
    for type_byte, payload in VALID.items():
        for cut in range(len(payload)):
            truncated = payload[:cut]
            try:
                fe.decode_message(type_byte, truncated)
            except errors.DBError:
                continue
            # A prefix may itself be well-formed only for messages with trailing optional data.
            assert type_byte in (b"S", b"H", b"c")


def test_fuzz_frontend_decoders() -> None:
    rng = random.Random(20240601)
    types = list(VALID) + [b"d", b"p", b"X", b"F", b"?"]
    for i in range(2000):
        t = rng.choice(types)
        if i % 2 and t in VALID and VALID[t]:
            base = bytearray(VALID[t])
            for _ in range(rng.randrange(1, 4)):
                base[rng.randrange(len(base))] = rng.getrandbits(8)
            payload = bytes(base)
        else:
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 30)))
        try:
            fe.decode_message(t, payload)
        except errors.DBError:
            pass
        try:
            fe.decode_startup(payload)
        except errors.DBError:
            pass
        for parse in (fe.parse_sasl_initial_response, fe.parse_password):
            try:
                parse(payload)
            except errors.DBError:
                pass


def test_decode_startup() -> None:
    payload = struct.pack("!i", 196608) + cstr("user") + cstr("alice") + cstr("database") + cstr("db") + b"\x00"
    assert fe.decode_startup(payload) == fe.StartupMessage(196608, {"user": "alice", "database": "db"})
    assert fe.decode_startup(struct.pack("!i", 80877103)) == fe.SSLRequest()
    assert fe.decode_startup(struct.pack("!i", 80877104)) == fe.GSSENCRequest()
    assert fe.decode_startup(struct.pack("!iii", 80877102, 42, -7)) == fe.CancelRequest(42, -7)
    minor = fe.decode_startup(struct.pack("!i", 196610) + b"\x00")
    assert isinstance(minor, fe.StartupMessage) and minor.protocol == 196610


def test_decode_startup_errors() -> None:
    with pytest.raises(errors.FeatureNotSupported) as info:
        fe.decode_startup(struct.pack("!i", 2 << 16) + b"\x00")
    assert info.value.sqlstate == "0A000"
    assert info.value.message == "unsupported frontend protocol 2.0: server supports 3.0 to 3.0"
    for bad in (
        struct.pack("!i", 196608) + cstr("user"),  # key without value
        struct.pack("!i", 196608) + cstr("user") + cstr("x"),  # no final terminator
        struct.pack("!i", 80877103) + b"extra",
        struct.pack("!ii", 80877102, 1),
        b"\x00\x03",
    ):
        with pytest.raises(errors.DBError):
            fe.decode_startup(bad)


def test_sasl_payloads() -> None:
    raw = cstr("SCRAM-SHA-256") + struct.pack("!i", 5) + b"n,,xy"
    assert fe.parse_sasl_initial_response(raw) == ("SCRAM-SHA-256", b"n,,xy")
    assert fe.parse_sasl_initial_response(cstr("SCRAM-SHA-256") + struct.pack("!i", -1)) == ("SCRAM-SHA-256", b"")
    with pytest.raises(errors.ProtocolViolation):
        fe.parse_sasl_initial_response(cstr("SCRAM-SHA-256") + struct.pack("!i", 10) + b"short")
    assert fe.parse_sasl_response(b"c=biws,r=abc") == b"c=biws,r=abc"
    assert fe.parse_password(b"pw\x00") == "pw"
