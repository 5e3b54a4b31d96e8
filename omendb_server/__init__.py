"""OmenDB server: a PostgreSQL-compatible database server. See README.md ("life of a query")."""

from omendb_server.config import OMENDB_VERSION as __version__

__all__ = ["__version__"]
