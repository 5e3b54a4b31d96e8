"""Start, stop, kill and restart a real ``omendb-server`` process (used by tests and bench).

The tests talk to OmenDB only over real sockets, so this module owns the server's life
cycle: pick a free loopback port, launch ``python -m omendb_server`` on a data
directory, wait until a TCP connect succeeds, and shut it down with SIGTERM (asserting
a clean exit) or SIGKILL (to test crash durability). The server's stderr goes to a log
file next to the data directory so it can be shown when something goes wrong.

``Target`` describes any PostgreSQL-compatible server to connect to. Setting
``OMENDB_TEST_TARGET_DSN`` (a libpq conninfo string) points the suite at an existing
server instead, e.g. a throwaway PostgreSQL 15 cluster, to check that the tests'
expectations are PostgreSQL's own; tests that need to control the process are skipped.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

DEFAULT_USER = "omendb"
DEFAULT_DBNAME = "omendb"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
READY_MESSAGE = "ready to accept connections"
PASSWORD_FILE = "initial-password"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def can_connect(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _tail(path: Path, limit: int = 8000) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "<no server log>"
    text = data[-limit:].decode("utf-8", "replace")
    return ("...\n" if len(data) > limit else "") + text


@dataclass
class Target:
    """Where a server listens and how to log in."""

    host: str
    port: int
    password: str
    user: str = DEFAULT_USER
    dbname: str = DEFAULT_DBNAME
    data_dir: Path | None = None
    managed: bool = False  # True when the tests own the process (restart/kill/stop work)

    def conninfo(self, *, with_password: bool = True, **overrides: object) -> str:
        """A libpq conninfo string; keyword overrides replace or add parameters."""
        params: dict[str, object] = {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "dbname": self.dbname,
            # The server answers SSLRequest with 'N': "prefer" then continues in plain text.
            "sslmode": "prefer",
            "connect_timeout": 10,
        }
        if with_password:
            params["password"] = self.password
        params.update(overrides)
        return " ".join(f"{k}={_conninfo_quote(str(v))}" for k, v in params.items() if v is not None)

    @property
    def dsn(self) -> str:
        return self.conninfo()

    @property
    def url(self) -> str:
        """SQLAlchemy URL using the OmenDB dialect."""
        return (
            f"omendb://{quote(self.user, safe='')}:{quote(self.password, safe='')}"
            f"@{self.host}:{self.port}/{quote(self.dbname, safe='')}"
        )

    def connect(self, **kwargs):
        """A psycopg connection (autocommit off unless overridden)."""
        import psycopg

        return psycopg.connect(self.dsn, **kwargs)


def _conninfo_quote(value: str) -> str:
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def target_from_dsn(dsn: str) -> Target:
    """A Target for an existing server described by a libpq conninfo string or URI."""
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(dsn)
    return Target(
        host=str(params.get("host", "127.0.0.1")),
        port=int(params.get("port", 5432)),
        password=str(params.get("password", os.environ.get("PGPASSWORD", ""))),
        user=str(params.get("user", DEFAULT_USER)),
        dbname=str(params.get("dbname", DEFAULT_DBNAME)),
    )


@dataclass
class ServerProcess(Target):
    """A real ``omendb-server`` child process on ``data_dir``.

    ``use_env`` passes data dir, host and port through OMENDB_* environment variables
    instead of command-line flags. ``password=None`` leaves OMENDB_PASSWORD unset so the
    server generates one; ``start()`` then reads it from ``<data dir>/initial-password``
    into ``password`` (and later starts still leave OMENDB_PASSWORD unset).
    """

    host: str = "127.0.0.1"
    port: int = 0
    password: str | None = None  # type: ignore[assignment]
    data_dir: Path = None  # type: ignore[assignment]
    managed: bool = True
    log_path: Path | None = None
    use_env: bool = False
    password_in_env: bool | None = None  # default: set OMENDB_PASSWORD iff a password was given
    extra_args: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = field(default=None, init=False, repr=False)
    _log_offset: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.data_dir is None:
            raise ValueError("data_dir is required")
        self.data_dir = Path(self.data_dir)
        if self.password_in_env is None:
            self.password_in_env = self.password is not None
        if not self.port:
            self.port = free_port(self.host)
        if self.log_path is None:
            self.log_path = self.data_dir.parent / f"{self.data_dir.name}-server.log"

    # -- process control ---------------------------------------------------------------
    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "omendb_server"]
        if not self.use_env:
            cmd += ["--data-dir", str(self.data_dir), "--host", self.host, "--port", str(self.port)]
        return cmd + list(self.extra_args)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMENDB_")}
        env["PYTHONUNBUFFERED"] = "1"
        if self.password_in_env and self.password is not None:
            env["OMENDB_PASSWORD"] = self.password
        if self.use_env:
            env.update(
                OMENDB_DATA_DIR=str(self.data_dir),
                OMENDB_HOST=self.host,
                OMENDB_PORT=str(self.port),
            )
        env.update(self.extra_env)
        return env

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """Launch the server and wait until it accepts TCP connections."""
        if self.is_running():
            raise RuntimeError("server already running")
        assert self.log_path is not None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n=== starting: {' '.join(self.command())}\n".encode())
            log.flush()
            self._log_offset = log.tell()
            self.proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=self.environment(),
                cwd=str(self.data_dir.parent),
                start_new_session=True,  # a ^C in the terminal reaches pytest only
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"omendb-server exited with status {self.proc.returncode} before accepting "
                    f"connections on {self.host}:{self.port}.\n--- server output ---\n{self.output()}"
                )
            if can_connect(self.host, self.port):
                if self.password is None:
                    self.password = self.generated_password(wait=5.0)
                return self
            time.sleep(0.05)
        self._signal(signal.SIGKILL)
        self.proc.wait(10)
        raise RuntimeError(
            f"omendb-server did not accept connections on {self.host}:{self.port} within "
            f"{timeout:.0f}s.\n--- server output ---\n{self.output()}"
        )

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Ask the server to shut down (SIGTERM by default) and return its exit status.

        If it has not exited after ``timeout`` seconds it is killed and RuntimeError raised.
        """
        if self.proc is None:
            raise RuntimeError("server was never started")
        self._signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            self.proc.wait(10)
            raise RuntimeError(
                f"omendb-server did not exit within {timeout:.0f}s of signal {sig}.\n"
                f"--- server output ---\n{self.output()}"
            ) from None

    def stop_clean(self, sig: int = signal.SIGTERM) -> None:
        """Stop and insist on exit status 0."""
        status = self.stop(sig)
        if status != 0:
            raise AssertionError(
                f"omendb-server exited with status {status} after signal {sig}, expected 0.\n"
                f"--- server output ---\n{self.output()}"
            )

    def restart(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """Clean shutdown (must exit 0), then start again on the same data dir and port."""
        self.stop_clean()
        return self.start(timeout)

    def kill(self, timeout: float = START_TIMEOUT) -> "ServerProcess":
        """SIGKILL (no chance to flush anything), then start again on the same data dir and port."""
        self.crash()
        return self.start(timeout)

    def crash(self) -> None:
        """SIGKILL and reap, without restarting."""
        if self.proc is None:
            raise RuntimeError("server was never started")
        self._signal(signal.SIGKILL)
        self.proc.wait(10)

    def ensure_stopped(self) -> None:
        """Best-effort cleanup for teardown paths that already failed."""
        if self.is_running():
            try:
                self.stop(timeout=10)
            except RuntimeError:
                pass

    # -- output ----------------------------------------------------------------------------
    def output(self, whole: bool = False) -> str:
        """Server stdout+stderr since the last start (or the whole log), as text."""
        assert self.log_path is not None
        if whole:
            return _tail(self.log_path, limit=10**7)
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self._log_offset)
                data = f.read()
        except OSError:
            return "<no server log>"
        text = data.decode("utf-8", "replace")
        return text if len(text) < 8000 else "...\n" + text[-8000:]

    def password_file(self) -> Path:
        return self.data_dir / PASSWORD_FILE

    def generated_password(self, wait: float = 0.0) -> str:
        """The password the server generated on first start (from <data dir>/initial-password)."""
        deadline = time.monotonic() + wait
        path = self.password_file()
        while True:
            try:
                text = path.read_text().strip()
                if text:
                    return text
            except FileNotFoundError:
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"no generated password in {path}.\n--- server output ---\n{self.output()}"
                )
            time.sleep(0.05)


def new_password() -> str:
    return "pw-" + secrets.token_urlsafe(18)
