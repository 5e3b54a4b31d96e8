"""Cluster: the set of databases one server serves, each a separate engine instance.

PostgreSQL's databases share nothing a session can see: a connection names one in
its startup packet and works only inside it. OmenDB gets the same isolation the
simplest way: every database is its own ``engine.Database`` (catalog, commit log,
segments) in its own directory. The default database ``omendb`` lives at the root of
the data directory, exactly where data directories created before CREATE DATABASE
existed keep it; the others live in ``<data-dir>/base/<name>/`` and are opened
lazily, on the first connection. Roles are cluster-wide, as in PostgreSQL: they are
kept in the default database's store.

The list of databases (name → OID) is a JSON value in the default database's store.
Creating a database makes its directory first and registers it last, so a crash in
between leaves only a stray directory that the next CREATE DATABASE replaces.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from omendb_server import config, errors
from omendb_server.engine import Database

log = logging.getLogger("omendb.cluster")

#: The default database's OID (pg_catalog's DATABASE_OID: below user objects, fixed).
DEFAULT_DATABASE_OID = 16384 - 1
#: OIDs of created databases start here (PostgreSQL's FirstNormalObjectId).
FIRST_DATABASE_OID = 16384
#: Seconds DROP DATABASE waits for other sessions to go away, as PostgreSQL does (5 s).
DROP_WAIT_SECONDS = 5.0
_STORE_KEY = "databases"

#: Called by DROP DATABASE ... WITH (FORCE): terminate every session on the named
#: database except ``keep`` (the dropping session). The server installs it.
Terminator = Callable[[str, Any], None]


def _dir_name(name: str) -> str:
    """A file-system-safe directory name for any database name (quoted names may hold '/')."""
    encoded = quote(name, safe="")
    return encoded.replace(".", "%2E") if encoded.startswith(".") else encoded


def database_path(data_dir: Path, name: str) -> Path:
    """Where database ``name`` (not the default one) keeps its files."""
    return data_dir / "base" / _dir_name(name)


def created_databases(default: Database) -> dict[str, int]:
    """Name → OID of the databases made by CREATE DATABASE, from the default database's store."""
    raw = default.store.get_json(_STORE_KEY)
    if isinstance(raw, list):  # an older format: names only
        raw = {n: FIRST_DATABASE_OID + i for i, n in enumerate(raw)}
    return dict(raw or {})


def _sessions_detail(n: int) -> str:
    return f"There {'is' if n == 1 else 'are'} {n} other session{'' if n == 1 else 's'} using the database."


class Cluster:
    """Opens databases by name, counts their sessions, creates and drops them."""

    def __init__(self, data_dir: Path, row_cache_rows: int = 0) -> None:
        self.data_dir = data_dir
        self.row_cache_rows = row_cache_rows
        self.default_name = config.DEFAULT_DATABASE
        self.default = Database(data_dir, row_cache_rows)
        self.default.cluster = self
        self._open: dict[str, Database] = {self.default_name: self.default}
        self._sessions: dict[str, int] = {}
        self._lock = threading.Condition()
        self._maintenance_interval: float | None = None
        self.terminator: Terminator | None = None

    # -- what the wire layer uses: roles and the database a connection names ----------------
    def users(self) -> dict[str, dict[str, Any]]:
        return self.default.users()

    def create_user(self, name: str, scram_auth_info: tuple[bytes, bytes, bytes, int],
                    superuser: bool = False) -> None:
        self.default.create_user(name, scram_auth_info, superuser)

    def databases(self) -> list[str]:
        """Created databases (without the default one), for callers that want names only."""
        return [n for n in self._registry() if n != self.default_name]

    def database_names(self) -> list[str]:
        """Every database a client can connect to, sorted (pg_database lists these)."""
        return sorted(self._registry())

    def database_oids(self) -> dict[str, int]:
        """Name → OID of every database; OIDs are stable across restarts."""
        return dict(self._registry())

    def attach(self, name: str) -> Database:
        """A new session on database ``name``: open it if needed and count the session.

        Raises 3D000 for a database that does not exist (the wire layer sends it as FATAL)."""
        with self._lock:
            if name not in self._registry():
                raise errors.InvalidCatalogName(f'database "{name}" does not exist')
            db = self._open.get(name)
            if db is None:
                db = self._open_database(name)
            self._sessions[name] = self._sessions.get(name, 0) + 1
            return db

    def detach(self, name: str) -> None:
        with self._lock:
            left = self._sessions.get(name, 0) - 1
            if left > 0:
                self._sessions[name] = left
            else:
                self._sessions.pop(name, None)
            self._lock.notify_all()

    def session_count(self, name: str) -> int:
        with self._lock:
            return self._sessions.get(name, 0)

    # -- CREATE DATABASE / DROP DATABASE -----------------------------------------------------
    def create_database(self, name: str, template: str | None = None,
                        current: str | None = None) -> None:
        """CREATE DATABASE: empty (no template, template0/template1) or a copy of ``template``.

        As in PostgreSQL the template must have no other sessions (55006). The copy is made
        of the template's closed files (a clean close checkpoints everything), so it is only
        possible while nobody, including the creating session, is connected to it."""
        with self._lock:
            registry = self._registry()
            if template is not None and template not in ("template0", "template1"):
                if template not in registry:
                    raise errors.InvalidCatalogName(
                        f'template database "{template}" does not exist')
                others = self._sessions.get(template, 0) - (1 if current == template else 0)
                if others > 0:
                    raise errors.ObjectInUse(
                        f'source database "{template}" is being accessed by other users',
                        detail=_sessions_detail(others))
                if template == self.default_name or current == template:
                    raise errors.FeatureNotSupported(
                        "CREATE DATABASE ... TEMPLATE cannot copy the default database or the "
                        "database you are connected to")
            if name in registry or name in ("template0", "template1"):
                raise errors.DuplicateDatabase(f'database "{name}" already exists')
            path = self._path(name)
            if path.exists():  # left behind by a crash between mkdir and registration
                shutil.rmtree(path)
            if template is not None and template in registry:
                source = self._open.pop(template, None)
                if source is not None:
                    source.close()  # checkpoints: its directory is then complete and quiet
                shutil.copytree(self._path(template), path,
                                ignore=shutil.ignore_patterns("omendb.pid"))
            else:
                path.mkdir(parents=True)
                Database(path).close()  # opened once so the directory is a valid, empty database
            registry[name] = max([FIRST_DATABASE_OID - 1, *registry.values()]) + 1
            self._save(registry)
        log.info("created database \"%s\" in %s%s", name, path,
                 f" (a copy of \"{template}\")" if template and template in registry else "")

    def drop_database(self, name: str, current: str, force: bool = False,
                      keep: Any = None) -> bool:
        """Drop ``name``; False if it does not exist (the caller decides on IF EXISTS)."""
        if name == current:
            raise errors.ObjectInUse("cannot drop the currently open database")
        with self._lock:
            registry = self._registry()
            if name not in registry:
                return False
            if name == self.default_name:
                raise errors.FeatureNotSupported(
                    f'cannot drop the default database "{name}": it holds the cluster\'s roles')
            if force and self._sessions.get(name) and self.terminator is not None:
                self.terminator(name, keep)
            deadline = time.monotonic() + DROP_WAIT_SECONDS
            while self._sessions.get(name):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise errors.ObjectInUse(
                        f'database "{name}" is being accessed by other users',
                        detail=_sessions_detail(self._sessions[name]))
                self._lock.wait(min(remaining, 0.1))
            del registry[name]
            self._save(registry)  # unregistered first: a crash leaves only a stray directory
            db = self._open.pop(name, None)
            if db is not None:
                db.close()
            shutil.rmtree(self._path(name), ignore_errors=True)
        log.info("dropped database \"%s\"", name)
        return True

    # -- life cycle ----------------------------------------------------------------------------
    def start_maintenance(self, interval: float = 2.0) -> None:
        """Background checkpoint/vacuum for every open database, also ones opened later."""
        with self._lock:
            self._maintenance_interval = interval
            for db in self._open.values():
                db.start_maintenance(interval)

    def close(self) -> None:
        with self._lock:
            for name, db in list(self._open.items()):
                if db is not self.default:
                    try:
                        db.close()
                    except Exception:  # pragma: no cover - best effort at shutdown
                        log.exception("closing database \"%s\" failed", name)
            self._open = {self.default_name: self.default}
        self.default.close()

    # -- internals -------------------------------------------------------------------------------
    def _path(self, name: str) -> Path:
        return database_path(self.data_dir, name)

    def _open_database(self, name: str) -> Database:
        db = Database(self._path(name), self.row_cache_rows)
        db.cluster = self
        self._open[name] = db
        if self._maintenance_interval is not None:
            db.start_maintenance(self._maintenance_interval)
        return db

    def _registry(self) -> dict[str, int]:
        registry = created_databases(self.default)
        registry[self.default_name] = DEFAULT_DATABASE_OID
        return registry

    def _save(self, registry: dict[str, int]) -> None:
        self.default.store.put_json(
            _STORE_KEY, {n: o for n, o in registry.items() if n != self.default_name})
