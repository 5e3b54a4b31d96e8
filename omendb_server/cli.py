"""Command-line entry points: ``omendb-server`` (the daemon) and ``omendb`` (admin tools)."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

from omendb_server import config, errors
from omendb_server.auth import make_verifier
from omendb_server.cluster import Cluster, created_databases, database_path
from omendb_server.config import Settings
from omendb_server.engine import Database
from omendb_server.obs.log import configure
from omendb_server.server import Server

log = logging.getLogger("omendb.server")
PASSWORD_FILE = "initial-password"


def initialize(db: Database | Cluster, settings: Settings) -> None:
    """First start: create the superuser with a password that is never stored in clear."""
    if db.users():
        return
    password = settings.initial_password
    generated = password is None
    if generated:
        password = secrets.token_urlsafe(18)
    db.create_user(config.DEFAULT_SUPERUSER, make_verifier(password), superuser=True)
    if generated:
        path = settings.data_dir / PASSWORD_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        os.chmod(path, 0o600)
        log.warning("initialized data directory; generated a password for superuser \"%s\", "
                    "readable only by you in %s (delete that file once you have it)",
                    config.DEFAULT_SUPERUSER, path.resolve())
    else:
        log.info("initialized data directory; superuser \"%s\" password taken from OMENDB_PASSWORD",
                 config.DEFAULT_SUPERUSER)


def _warm_index() -> None:
    from omendb_server.index.alex_primary import warm_up

    try:
        warm_up()
    except Exception:  # pragma: no cover - compiled lazily on first use instead
        log.exception("warming up the ALEX kernels failed")


def server_main(argv: list[str] | None = None) -> int:
    settings = Settings.from_args(argv)
    configure(settings.log_level)
    # Connection threads mostly wait on sockets and fsync; a short GIL switch interval
    # lets a thread whose I/O completed run again promptly instead of waiting up to
    # 5 ms (CPython's default) behind a busy thread: that default caps group commit.
    sys.setswitchinterval(0.0002)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        db = Cluster(settings.data_dir, settings.row_cache_rows)
    except errors.DBError as e:
        print(f"omendb-server: {e.message}", file=sys.stderr)
        return 1
    try:
        initialize(db, settings)
        db.start_maintenance()
        threading.Thread(target=_warm_index, name="alex-warm-up", daemon=True).start()
        server = Server(db, settings)
        try:
            server.start()
        except OSError as e:
            print(f"omendb-server: could not listen on {settings.host}:{settings.port}: {e}",
                  file=sys.stderr)
            return 1
        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            log.info("received %s, shutting down", signal.Signals(signum).name)
            stop.set()
            server.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        host, port = server.address or (settings.host, settings.port)
        log.info("OmenDB %s (PostgreSQL %s compatible) ready to accept connections on %s:%s, "
                 "data directory %s", config.OMENDB_VERSION, config.PG_VERSION, host, port,
                 settings.data_dir.resolve())
        server.serve_forever()
        server.stop()
        log.info("shut down cleanly")
        return 0
    finally:
        db.close()


def admin_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="omendb",
        description="OmenDB administration tools (run against a stopped server's data directory).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("version", help="print the OmenDB and PostgreSQL-compatibility versions")
    verify = sub.add_parser("verify", help="open a data directory, replay its commit log and "
                            "print what it holds (the server must be stopped)")
    verify.add_argument("--data-dir", default=os.environ.get("OMENDB_DATA_DIR", config.DEFAULT_DATA_DIR))
    args = parser.parse_args(argv)
    if args.command == "version":
        print(f"OmenDB {config.OMENDB_VERSION} (PostgreSQL {config.PG_VERSION} compatible)")
        return 0
    try:
        db = Database(Path(args.data_dir))
    except errors.DBError as e:
        print(f"omendb: {e.message}", file=sys.stderr)
        return 1
    try:
        _print_tables(db)
        print(f"last commit timestamp: {db.tm.last_ts}")
        # Databases made by CREATE DATABASE live in base/<name>/ (cluster.py), one line each.
        for name in sorted(created_databases(db)):
            other = Database(database_path(Path(args.data_dir), name))
            try:
                _print_tables(other, prefix=f"database {name}: ")
            finally:
                other.close()
    finally:
        db.close()
    return 0


def _print_tables(db: Database, prefix: str = "") -> None:
    from omendb_server.txn.visibility import is_visible

    for table in db.tm.catalog.tables.values():
        data = db.tm.tables.get(table.oid)
        n = 0 if data is None else sum(
            1 for v in data.delta.values() if is_visible(v, db.tm.last_ts, 0)) + sum(
            1 for _ in data.base_rows(db.tm.last_ts))
        print(f"{prefix}{table.schema}.{table.name}: {n} rows")
