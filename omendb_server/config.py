"""Settings: the one frozen object that holds every server option.

Why one reader: flags, environment variables and defaults are resolved in one
place (``Settings.from_args``), so no other module ever reads ``os.environ`` or
``sys.argv`` and tests can build a ``Settings`` directly.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

#: The PostgreSQL release OmenDB presents itself as. Drivers and ORMs choose their
#: SQL by this number (Django requires >= 15; psql picks its \\d queries by it).
PG_VERSION = "15.18"
PG_VERSION_NUM = 150018
OMENDB_VERSION = "0.1.0"
SERVER_VERSION = f"{PG_VERSION} (OmenDB {OMENDB_VERSION})"
VERSION_STRING = (
    f"PostgreSQL {PG_VERSION} (OmenDB {OMENDB_VERSION}) on x86_64-pc-linux-gnu, "
    "compiled by CPython, 64-bit"
)

DEFAULT_DATA_DIR = "./omendb-data"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5433
DEFAULT_SUPERUSER = "omendb"
DEFAULT_DATABASE = "omendb"


@dataclass(frozen=True)
class Settings:
    """Every knob of a running server. Immutable once the server starts."""

    data_dir: Path = Path(DEFAULT_DATA_DIR)
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    log_level: str = "INFO"
    #: Password for the superuser on first start; None → generate one.
    initial_password: str | None = field(default=None, repr=False)
    max_connections: int = 100
    #: Largest single protocol message accepted from an authenticated client.
    max_message_bytes: int = 64 * 1024 * 1024
    #: Seconds an unauthenticated peer may take to finish startup and auth.
    auth_timeout: float = 30.0
    #: Rows kept in the LRU row cache for primary-key lookups (0 disables it).
    row_cache_rows: int = 100_000

    @staticmethod
    def build_parser() -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(
            prog="omendb-server",
            description=(
                "OmenDB: a PostgreSQL-compatible database server. Connect with any "
                "PostgreSQL client (psql, psycopg, SQLAlchemy via omendb://). The first start "
                "initializes the data directory with a superuser 'omendb' and a database "
                "'omendb'; the superuser's password comes from OMENDB_PASSWORD or is "
                "generated and written to <data-dir>/initial-password (readable by you only)."
            ),
            epilog=(
                "Every option can also be set by environment: OMENDB_DATA_DIR, OMENDB_HOST, "
                "OMENDB_PORT, OMENDB_LOG_LEVEL, OMENDB_MAX_CONNECTIONS, OMENDB_ROW_CACHE_ROWS; "
                "OMENDB_PASSWORD sets the "
                "superuser password on first start. Flags win over the environment. "
                "SIGINT/SIGTERM shut the server down cleanly."
            ),
        )
        env = os.environ
        parser.add_argument(
            "--data-dir",
            default=env.get("OMENDB_DATA_DIR", DEFAULT_DATA_DIR),
            help="directory holding the database files; created and initialized on first "
            "start (default: %(default)s, env OMENDB_DATA_DIR)",
        )
        parser.add_argument(
            "--host",
            default=env.get("OMENDB_HOST", DEFAULT_HOST),
            help="address to listen on; the default listens on loopback only. Use 0.0.0.0 "
            "to accept remote connections (default: %(default)s, env OMENDB_HOST)",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(env.get("OMENDB_PORT", DEFAULT_PORT)),
            help="TCP port to listen on (default: %(default)s, env OMENDB_PORT)",
        )
        parser.add_argument(
            "--log-level",
            default=env.get("OMENDB_LOG_LEVEL", "INFO"),
            choices=["DEBUG", "INFO", "WARNING", "ERROR"],
            type=str.upper,
            help="how much the server logs to stderr (default: %(default)s, env OMENDB_LOG_LEVEL)",
        )
        parser.add_argument(
            "--max-connections",
            type=int,
            default=int(env.get("OMENDB_MAX_CONNECTIONS", 100)),
            help="most concurrent client connections; more get SQLSTATE 53300 "
            "(default: %(default)s, env OMENDB_MAX_CONNECTIONS)",
        )
        parser.add_argument(
            "--row-cache-rows",
            type=int,
            default=int(env.get("OMENDB_ROW_CACHE_ROWS", 100_000)),
            help="rows kept in the LRU row cache serving primary-key lookups; 0 turns it off. "
            "Hits, misses and evictions are in the view omendb_stat_row_cache "
            "(default: %(default)s, env OMENDB_ROW_CACHE_ROWS)",
        )
        return parser

    @classmethod
    def from_args(cls, argv: list[str] | None = None) -> "Settings":
        args = cls.build_parser().parse_args(argv)
        return cls(
            data_dir=Path(args.data_dir),
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            initial_password=os.environ.get("OMENDB_PASSWORD") or None,
            max_connections=args.max_connections,
            row_cache_rows=args.row_cache_rows,
        )
