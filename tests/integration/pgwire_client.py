"""A tiny PostgreSQL v3 frontend for protocol tests: raw messages over a real socket.

Drivers hide the exact message sequence; these tests need to see it (which messages the
server sends, in which order, and when). ``PGWire`` does the startup and SCRAM-SHA-256
exchange (via scramp) and then lets a test queue arbitrary frontend messages, send them
in one write, and read backend messages one by one as ``Msg(type, payload)``.
Protocol reference: https://www.postgresql.org/docs/15/protocol-message-formats.html
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

PROTOCOL_VERSION = 196608  # 3.0
SSL_REQUEST_CODE = 80877103

# Error/notice field codes.
FIELD_NAMES = {
    "S": "severity",
    "V": "severity_nonlocalized",
    "C": "sqlstate",
    "M": "message",
    "D": "detail",
    "H": "hint",
    "P": "position",
}


class ConnectionClosed(Exception):
    """The server closed the connection (EOF) while a message was expected."""


@dataclass
class Msg:
    type: str
    payload: bytes

    # -- decoders ---------------------------------------------------------------------
    def fields(self) -> dict[str, str]:
        """ErrorResponse / NoticeResponse fields keyed by their one-letter code."""
        out: dict[str, str] = {}
        for part in self.payload.split(b"\0"):
            if part:
                out[chr(part[0])] = part[1:].decode()
        return out

    @property
    def sqlstate(self) -> str:
        return self.fields().get("C", "")

    def tag(self) -> str:
        """CommandComplete tag."""
        return self.payload.rstrip(b"\0").decode()

    def param_oids(self) -> list[int]:
        """ParameterDescription."""
        (n,) = struct.unpack_from("!h", self.payload)
        return list(struct.unpack_from(f"!{n}I", self.payload, 2))

    def columns(self) -> list[dict]:
        """RowDescription: name, table oid, attnum, type oid, typlen, typmod, format."""
        (n,) = struct.unpack_from("!h", self.payload)
        pos, cols = 2, []
        for _ in range(n):
            end = self.payload.index(b"\0", pos)
            name = self.payload[pos:end].decode()
            pos = end + 1
            table, attnum, oid, typlen, typmod, fmt = struct.unpack_from("!IhIhih", self.payload, pos)
            pos += 18
            cols.append(
                dict(name=name, table=table, attnum=attnum, oid=oid, typlen=typlen, typmod=typmod, format=fmt)
            )
        return cols

    def row(self) -> list[bytes | None]:
        """DataRow values as raw bytes (None for NULL)."""
        (n,) = struct.unpack_from("!h", self.payload)
        pos, values = 2, []
        for _ in range(n):
            (length,) = struct.unpack_from("!i", self.payload, pos)
            pos += 4
            if length < 0:
                values.append(None)
            else:
                values.append(self.payload[pos : pos + length])
                pos += length
        return values

    def text_row(self) -> list[str | None]:
        return [None if v is None else v.decode() for v in self.row()]

    def status(self) -> str:
        """ReadyForQuery transaction status: I (idle), T (in block), E (failed block)."""
        return chr(self.payload[0])


def cstr(s: str) -> bytes:
    return s.encode() + b"\0"


def frame(msg_type: bytes, payload: bytes) -> bytes:
    return msg_type + struct.pack("!i", len(payload) + 4) + payload


# -- frontend message builders -------------------------------------------------------------
def startup_message(params: dict[str, str]) -> bytes:
    body = struct.pack("!i", PROTOCOL_VERSION) + b"".join(cstr(k) + cstr(v) for k, v in params.items()) + b"\0"
    return struct.pack("!i", len(body) + 4) + body


def query(sql: str) -> bytes:
    return frame(b"Q", cstr(sql))


def parse(name: str, sql: str, oids: list[int] | tuple[int, ...] = ()) -> bytes:
    return frame(b"P", cstr(name) + cstr(sql) + struct.pack("!h", len(oids)) + b"".join(struct.pack("!I", o) for o in oids))


def bind(
    portal: str,
    statement: str,
    params: list[bytes | str | None] | tuple = (),
    param_formats: list[int] | tuple[int, ...] = (),
    result_formats: list[int] | tuple[int, ...] = (),
) -> bytes:
    out = [cstr(portal), cstr(statement), struct.pack("!h", len(param_formats))]
    out += [struct.pack("!h", f) for f in param_formats]
    out.append(struct.pack("!h", len(params)))
    for p in params:
        if p is None:
            out.append(struct.pack("!i", -1))
        else:
            data = p.encode() if isinstance(p, str) else p
            out.append(struct.pack("!i", len(data)) + data)
    out.append(struct.pack("!h", len(result_formats)))
    out += [struct.pack("!h", f) for f in result_formats]
    return frame(b"B", b"".join(out))


def describe(kind: str, name: str) -> bytes:
    assert kind in ("S", "P")
    return frame(b"D", kind.encode() + cstr(name))


def execute(portal: str = "", max_rows: int = 0) -> bytes:
    return frame(b"E", cstr(portal) + struct.pack("!i", max_rows))


def close(kind: str, name: str) -> bytes:
    assert kind in ("S", "P")
    return frame(b"C", kind.encode() + cstr(name))


def sync() -> bytes:
    return frame(b"S", b"")


def flush() -> bytes:
    return frame(b"H", b"")


def terminate() -> bytes:
    return frame(b"X", b"")


class PGWire:
    """One raw protocol connection."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self._buf = bytearray()
        self.parameters: dict[str, str] = {}
        self.backend_key: tuple[int, int] | None = None

    # -- raw I/O ------------------------------------------------------------------------
    def send(self, *messages: bytes) -> None:
        """Send the given encoded messages in one write."""
        self.sock.sendall(b"".join(messages))

    def _fill(self, n: int) -> None:
        while len(self._buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionClosed(f"server closed the connection (buffered: {bytes(self._buf)!r})")
            self._buf += chunk

    def read_byte(self) -> bytes:
        self._fill(1)
        b = bytes(self._buf[:1])
        del self._buf[:1]
        return b

    def read(self) -> Msg:
        """The next backend message."""
        self._fill(5)
        msg_type = chr(self._buf[0])
        (length,) = struct.unpack_from("!i", self._buf, 1)
        if length < 4 or length > 1 << 30:
            raise AssertionError(f"bad backend message length {length} for type {msg_type!r}")
        self._fill(1 + length)
        payload = bytes(self._buf[5 : 1 + length])
        del self._buf[: 1 + length]
        return Msg(msg_type, payload)

    def read_until(self, msg_type: str = "Z") -> list[Msg]:
        """Messages up to and including the first of ``msg_type`` (NoticeResponses dropped)."""
        out = []
        while True:
            m = self.read()
            if m.type == "N":
                continue
            out.append(m)
            if m.type == msg_type:
                return out

    def read_types(self, msg_type: str = "Z") -> str:
        """Like read_until, but just the message type letters, e.g. "12DCZ"."""
        return "".join(m.type for m in self.read_until(msg_type))

    def nothing_pending(self, wait: float = 0.5) -> bool:
        """True if the server sends nothing within ``wait`` seconds (connection still open)."""
        if self._buf:
            return False
        self.sock.settimeout(wait)
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, TimeoutError):
            return True
        finally:
            self.sock.settimeout(self.timeout)
        if not chunk:
            raise ConnectionClosed("server closed the connection")
        self._buf += chunk
        return False

    def wait_closed(self, timeout: float = 10.0) -> list[Msg]:
        """Read until EOF; returns what the server sent first. Fails if not closed in time."""
        self.sock.settimeout(timeout)
        msgs: list[Msg] = []
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self._buf += chunk
        except ConnectionResetError:
            pass
        except (socket.timeout, TimeoutError):
            raise AssertionError(f"server did not close the connection within {timeout}s") from None
        while len(self._buf) >= 5:
            (length,) = struct.unpack_from("!i", self._buf, 1)
            if len(self._buf) < 1 + length:
                break
            msgs.append(Msg(chr(self._buf[0]), bytes(self._buf[5 : 1 + length])))
            del self._buf[: 1 + length]
        return msgs

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self) -> "PGWire":
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.send(terminate())
        except OSError:
            pass
        self.close()

    # -- startup ------------------------------------------------------------------------
    def ssl_request(self) -> bytes:
        """Send SSLRequest; returns the server's one-byte answer (b'N' or b'S')."""
        self.send(struct.pack("!ii", 8, SSL_REQUEST_CODE))
        return self.read_byte()

    def startup(self, user: str, password: str, database: str, **params: str) -> Msg | None:
        """Startup + SCRAM-SHA-256. Returns None when ready, or the ErrorResponse received."""
        import scramp

        self.send(startup_message({"user": user, "database": database, **params}))
        scram: scramp.ScramClient | None = None
        while True:
            m = self.read()
            if m.type == "E":
                return m
            if m.type == "R":
                (code,) = struct.unpack_from("!i", m.payload)
                if code == 0:  # AuthenticationOk
                    continue
                if code == 10:  # AuthenticationSASL: list of mechanisms
                    mechanisms = [x.decode() for x in m.payload[4:].split(b"\0") if x]
                    assert "SCRAM-SHA-256" in mechanisms, mechanisms
                    scram = scramp.ScramClient(["SCRAM-SHA-256"], user, password)
                    first = scram.get_client_first().encode()
                    self.send(frame(b"p", cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first))
                elif code == 11:  # SASLContinue
                    assert scram is not None
                    scram.set_server_first(m.payload[4:].decode())
                    self.send(frame(b"p", scram.get_client_final().encode()))
                elif code == 12:  # SASLFinal
                    assert scram is not None
                    scram.set_server_final(m.payload[4:].decode())
                else:
                    raise AssertionError(f"unexpected authentication request {code}")
            elif m.type == "S":
                name, value = m.payload.split(b"\0")[:2]
                self.parameters[name.decode()] = value.decode()
            elif m.type == "K":
                self.backend_key = struct.unpack("!ii", m.payload)
            elif m.type == "Z":
                return None
            elif m.type == "N":
                continue
            else:
                raise AssertionError(f"unexpected message during startup: {m}")

    # -- conveniences -------------------------------------------------------------------
    def simple(self, sql: str) -> list[Msg]:
        """Simple Query; returns everything up to ReadyForQuery."""
        self.send(query(sql))
        return self.read_until("Z")


def connect(target, **params: str) -> PGWire:
    """An authenticated raw connection to a conftest Target."""
    c = PGWire(target.host, target.port)
    err = c.startup(target.user, target.password, target.dbname, **params)
    if err is not None:
        c.close()
        raise AssertionError(f"startup failed: {err.fields()}")
    return c
