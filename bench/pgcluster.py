"""A throwaway PostgreSQL 15 cluster: initdb in a temp dir, loopback only, SCRAM, random password.

initdb/pg_ctl refuse to run as root, so when we are root they run as an unprivileged user
(``omendb-bench``, created with ``useradd`` if missing) via ``runuser -u USER --``. The cluster
keeps PostgreSQL's durability defaults (fsync=on, synchronous_commit=on) and default
shared_buffers, so a commit is as durable as OmenDB's synced commit. ``stop()`` is idempotent and
is also registered with atexit; it stops the server (fast, then immediate, then SIGKILL of the
postmaster) and removes the directory.
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

BENCH_USER = "omendb-bench"
SUPERUSER = "omendb"
DBNAME = "omendb"


def pg_bindir() -> Path:
    """``$(pg_config --bindir)``, falling back to the Debian location of PostgreSQL 15."""
    try:
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
        path = Path(out.stdout.strip())
        if (path / "initdb").exists():
            return path
    except (OSError, subprocess.CalledProcessError):
        pass
    fallback = Path("/usr/lib/postgresql/15/bin")
    if (fallback / "initdb").exists():
        return fallback
    raise RuntimeError("PostgreSQL 15 binaries not found (pg_config --bindir, /usr/lib/postgresql/15/bin)")


class PgCluster:
    def __init__(self, bindir: Path, port: int, host: str = "127.0.0.1", log=print):
        self.bindir = Path(bindir)
        self.host = host
        self.port = port
        self.password = "pg-" + secrets.token_urlsafe(18)
        self.user = SUPERUSER
        self.dbname = DBNAME
        self.log = log
        self.root: Path | None = None
        self.data: Path | None = None
        self.logfile: Path | None = None
        self.started = False
        self.as_user: str | None = BENCH_USER if os.geteuid() == 0 else None
        atexit.register(self.stop)

    # -- helpers ---------------------------------------------------------------------------
    def _cmd(self, argv: list[str]) -> list[str]:
        if self.as_user:
            return ["runuser", "-u", self.as_user, "--"] + argv
        return argv

    def _run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            self._cmd(argv), capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL, cwd=str(self.root or "/"),
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(argv)} failed with status {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
                + (f"\n--- server log ---\n{self.server_log()}" if self.logfile else "")
            )
        return proc

    def _ensure_user(self) -> None:
        if not self.as_user:
            return
        try:
            pwd.getpwnam(self.as_user)
        except KeyError:
            self.log(f"creating unprivileged user {self.as_user} for initdb/pg_ctl")
            subprocess.run(["useradd", "-m", "-s", "/bin/sh", self.as_user], check=True,
                           capture_output=True, text=True)

    def server_log(self, limit: int = 4000) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-limit:] if self.logfile else ""
        except OSError:
            return ""

    def version(self) -> str:
        out = subprocess.run([str(self.bindir / "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.strip()

    # -- life cycle ------------------------------------------------------------------------
    def start(self) -> "PgCluster":
        self._ensure_user()
        self.root = Path(tempfile.mkdtemp(prefix="omendb-bench-pg-"))
        self.data = self.root / "data"
        self.logfile = self.root / "postgres.log"
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        if self.as_user:
            ent = pwd.getpwnam(self.as_user)
            for p in (self.root, pwfile):
                os.chown(p, ent.pw_uid, ent.pw_gid)
        os.chmod(self.root, 0o700)
        self._run([
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user,
            f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C",
            "--no-sync",  # initdb's own files only; the server below runs with fsync=on
        ])
        pwfile.unlink()
        conf = self.data / "postgresql.conf"
        with open(conf, "a") as f:
            f.write(
                "\n# omendb bench\n"
                f"listen_addresses = '{self.host}'\n"
                f"port = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                "password_encryption = 'scram-sha-256'\n"
                "fsync = on\n"
                "synchronous_commit = on\n"
                "max_connections = 100\n"
            )
        # Only loopback TCP with SCRAM (initdb wrote scram-sha-256 rules already; make it explicit).
        (self.data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\n"
            f"host all all {self.host}/32 scram-sha-256\n"
        )
        if self.as_user:
            ent = pwd.getpwnam(self.as_user)
            for p in (conf, self.data / "pg_hba.conf"):
                os.chown(p, ent.pw_uid, ent.pw_gid)
        self.started = True  # from here on stop() has something to stop
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile),
                   "-w", "-t", "60", "start"])
        import psycopg

        with psycopg.connect(self.conninfo(dbname="postgres"), autocommit=True) as c:
            c.execute(f"CREATE DATABASE {self.dbname}")
            settings = dict(c.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync','synchronous_commit','shared_buffers','wal_sync_method','listen_addresses')"
            ).fetchall())
        self.log(f"PostgreSQL cluster up on {self.host}:{self.port} ({self.version()}; {settings})")
        self.settings = settings
        return self

    def conninfo(self, **overrides) -> str:
        params = dict(host=self.host, port=self.port, user=self.user, dbname=self.dbname,
                      password=self.password, sslmode="disable", connect_timeout=10)
        params.update(overrides)
        return " ".join(f"{k}={v}" for k, v in params.items())

    # -- restarts (the restart workload) ---------------------------------------------------------
    def stop_server(self, mode: str = "fast", timeout: float = 120) -> None:
        """``pg_ctl stop -m MODE -w``: fast = clean shutdown with a checkpoint; immediate = like a
        crash (no checkpoint; WAL replay at the next start). The cluster directory is kept."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w",
                   "-t", str(int(timeout)), "stop"], timeout=timeout + 15)

    def start_nowait(self) -> None:
        """``pg_ctl start -W``: launch the postmaster and return at once (the caller polls)."""
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile),
                   "-W", "start"])

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError, TypeError):
            return None

    def stop(self) -> None:
        """Stop the server and delete the cluster directory. Safe to call more than once."""
        if self.root is None:
            return
        root, self.root = self.root, None
        try:
            if self.started and self.data is not None and (self.data / "postmaster.pid").exists():
                for mode in ("fast", "immediate"):
                    try:
                        subprocess.run(
                            self._cmd([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode,
                                       "-w", "-t", "30", "stop"]),
                            capture_output=True, timeout=45, cwd="/",
                        )
                    except (OSError, subprocess.TimeoutExpired):
                        pass
                    if not (self.data / "postmaster.pid").exists():
                        break
                pid = self._postmaster_pid()
                if pid:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        time.sleep(0.5)
                    except OSError:
                        pass
        finally:
            self.started = False
            shutil.rmtree(root, ignore_errors=True)
