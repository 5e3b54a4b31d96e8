"""SCRAM-SHA-256 (RFC 5802/7677) for the server side.

Verifiers are made with scramp (``make_verifier``), but the exchange itself is
implemented here: scramp's server rejects the empty user name (``n=,``) that
libpq always sends — PostgreSQL takes the user from the startup packet — so
every libpq-based client (psql, psycopg, pgbench) would fail with it.

Unknown roles get a *mock* exchange with a deterministic fake salt, so a client
cannot tell "no such user" from "wrong password": both fail at the last step
with the same 28P01 message, as PostgreSQL does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from typing import Any

from scramp import ScramMechanism

from omendb_server import errors

MECHANISM = "SCRAM-SHA-256"
ITERATIONS = 4096
_mech = ScramMechanism(MECHANISM)
_MOCK_SECRET = os.urandom(32)


def make_verifier(password: str) -> tuple[bytes, bytes, bytes, int]:
    """(salt, stored_key, server_key, iterations): all that is ever stored for a password."""
    return _mech.make_auth_info(password, iteration_count=ITERATIONS)


def auth_failed(user: str) -> errors.DBError:
    return errors.InvalidPassword(f'password authentication failed for user "{user}"')


def _malformed(what: str) -> errors.DBError:
    return errors.ProtocolViolation(f"malformed SCRAM message ({what})")


def _attrs(message: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise _malformed("invalid attribute")
        out.setdefault(part[0], part[2:])
    return out


class ScramExchange:
    def __init__(self, user: str, record: dict[str, Any] | None) -> None:
        self.user = user
        self.known = record is not None
        if record is not None:
            self.salt = base64.b64decode(record["salt"])
            self.stored_key = base64.b64decode(record["stored_key"])
            self.server_key = base64.b64decode(record["server_key"])
            self.iterations = int(record["iterations"])
        else:
            self.salt = hmac.new(_MOCK_SECRET, user.encode(), hashlib.sha256).digest()[:16]
            self.stored_key = os.urandom(32)
            self.server_key = os.urandom(32)
            self.iterations = ITERATIONS
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._gs2 = ""

    def first(self, client_first: bytes) -> bytes:
        try:
            text = client_first.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("not UTF-8") from None
        parts = text.split(",", 2)
        if len(parts) != 3 or parts[0] not in ("n", "y"):
            if parts and parts[0].startswith("p"):
                raise errors.ProtocolViolation(
                    "channel binding is not supported without TLS", "08P01")
            raise _malformed("bad GS2 header")
        self._gs2 = parts[0] + "," + parts[1] + ","
        self._client_first_bare = parts[2]
        attrs = _attrs(self._client_first_bare)
        cnonce = attrs.get("r")
        if not cnonce:
            raise _malformed("missing nonce")
        self._nonce = cnonce + base64.b64encode(secrets.token_bytes(18)).decode()
        self._server_first = (
            f"r={self._nonce},s={base64.b64encode(self.salt).decode()},i={self.iterations}"
        )
        return self._server_first.encode()

    def final(self, client_final: bytes) -> bytes:
        try:
            text = client_final.decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("not UTF-8") from None
        idx = text.rfind(",p=")
        if idx < 0:
            raise _malformed("missing proof")
        without_proof = text[:idx]
        attrs = _attrs(text)
        if attrs.get("r") != self._nonce:
            raise _malformed("nonce mismatch")
        try:
            if base64.b64decode(attrs.get("c", "")) != self._gs2.encode():
                raise _malformed("channel binding mismatch")
            proof = base64.b64decode(attrs["p"], validate=True)
        except (ValueError, KeyError):
            raise _malformed("bad base64") from None
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        client_signature = hmac.new(self.stored_key, auth_message, hashlib.sha256).digest()
        if len(proof) != len(client_signature):
            raise auth_failed(self.user)
        client_key = bytes(a ^ b for a, b in zip(proof, client_signature))
        ok = hmac.compare_digest(hashlib.sha256(client_key).digest(), self.stored_key)
        if not ok or not self.known:
            raise auth_failed(self.user)
        server_signature = hmac.new(self.server_key, auth_message, hashlib.sha256).digest()
        return b"v=" + base64.b64encode(server_signature)
