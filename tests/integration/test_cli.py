"""The ``omendb-server`` command: --help, environment settings, generated password, locking, signals."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys

import psycopg
import pytest

from serverproc import ServerProcess, free_port


def run_server(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OMENDB_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "omendb_server", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL,
    )


def test_help_documents_every_option():
    proc = run_server("--help", timeout=60)
    assert proc.returncode == 0, proc.stderr
    for option in ("--data-dir", "--host", "--port", "--log-level"):
        assert option in proc.stdout, f"{option} missing from --help:\n{proc.stdout}"


def test_console_script_help():
    exe = os.path.join(os.path.dirname(sys.executable), "omendb-server")
    if not os.path.exists(exe):
        pytest.skip("omendb-server console script not installed next to this interpreter")
    proc = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "--data-dir" in proc.stdout


def test_environment_settings_generated_password_lock_and_sigterm(tmp_path, managed_only):
    data_dir = tmp_path / "envdata"
    data_dir.mkdir()  # an existing, empty directory counts as uninitialized
    server = ServerProcess(data_dir=data_dir, password=None, use_env=True)  # OMENDB_DATA_DIR/HOST/PORT
    server.start()
    try:
        pw_file = data_dir / "initial-password"
        assert pw_file.is_file()
        assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
        out = server.output()
        assert str(pw_file) in out or str(pw_file.resolve()) in out, out
        assert "ready to accept connections" in out
        password = pw_file.read_text().strip()
        assert len(password) >= 16
        assert password not in out, "the generated password itself must not be logged"

        with psycopg.connect(server.conninfo(password=password)) as c:
            assert c.execute("SELECT current_user, 1 + 1").fetchone() == ("omendb", 2)
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(server.conninfo(password=password + "nope"))

        # A second server on the same data directory refuses to start, and the first keeps serving.
        second = run_server("--data-dir", str(data_dir), "--port", str(free_port()), timeout=60)
        assert second.returncode != 0
        assert "is in use" in second.stderr + second.stdout, second.stderr
        with psycopg.connect(server.conninfo(password=password)) as c:
            assert c.execute("SELECT 2 + 2").fetchone() == (4,)
    finally:
        status = server.stop(signal.SIGTERM)
    assert status == 0, server.output()

    # Restart (still without OMENDB_PASSWORD): the data dir is initialized, the password stays.
    server.start()
    try:
        assert pw_file.read_text().strip() == password
        with psycopg.connect(server.conninfo()) as c:
            assert c.execute("SELECT 3").fetchone() == (3,)
    finally:
        server.stop_clean(signal.SIGINT)


def test_command_line_overrides_environment(tmp_path, managed_only):
    port = free_port()
    server = ServerProcess(
        data_dir=tmp_path / "flags", port=port, password="pw-from-env-123456",
        extra_env={"OMENDB_PORT": str(free_port()), "OMENDB_DATA_DIR": str(tmp_path / "ignored")},
    )
    server.start()
    try:
        with psycopg.connect(server.conninfo()) as c:
            assert c.execute("SELECT 'flags win'").fetchone() == ("flags win",)
        assert (tmp_path / "flags").is_dir()
        assert not (tmp_path / "ignored").exists()
    finally:
        server.stop_clean()
