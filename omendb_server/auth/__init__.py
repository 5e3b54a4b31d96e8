"""Authentication: SCRAM-SHA-256 exchanges (scramp) against stored verifiers."""

from omendb_server.auth.scram import ScramExchange, make_verifier

__all__ = ["ScramExchange", "make_verifier"]
