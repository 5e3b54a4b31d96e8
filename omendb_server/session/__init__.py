"""Sessions: per-connection settings, transaction blocks, prepared statements, portals."""

from omendb_server.session.session import IDLE, FAILED, IN_TXN, Portal, PreparedStatement, Session

__all__ = ["FAILED", "IDLE", "IN_TXN", "Portal", "PreparedStatement", "Session"]
