"""TCP listener: accepts clients and drives one ``Connection`` per thread.

Blocking I/O in a thread per connection keeps the engine synchronous (lock waits
and commit syncs need no async plumbing). Each thread reads what arrived, lets
the protocol state machine consume whole frames, and writes its pending output
once per batch. Unauthenticated peers get a small startup-size limit and a
deadline; a protocol violation closes only that connection.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

from omendb_server import errors
from omendb_server.config import Settings
from omendb_server.protocol import backend as be
from omendb_server.protocol.connection import CLOSED, READY, Connection
from omendb_server.protocol.framing import FrameDecoder

log = logging.getLogger("omendb.server")


class Server:
    def __init__(self, db: Any, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: set[threading.Thread] = set()
        self._conns: dict[int, tuple[socket.socket, Connection]] = {}
        self._lock = threading.RLock()  # re-entrant: stop() runs in a signal handler on the main thread
        self.address: tuple[str, int] | None = None
        if hasattr(db, "terminator"):  # the cluster: DROP DATABASE ... WITH (FORCE) ends sessions
            db.terminator = self.terminate_database_sessions

    def start(self) -> None:
        infos = socket.getaddrinfo(self.settings.host, self.settings.port, type=socket.SOCK_STREAM)
        family, _, _, _, addr = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
        sock.settimeout(0.5)
        self._sock = sock
        self.address = sock.getsockname()[:2]

    def serve_forever(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                client, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                if self._stopping.is_set():
                    break
                raise
            with self._lock:
                active = len(self._conns)
            t = threading.Thread(target=self._serve_client, args=(client, peer, active),
                                 name=f"conn-{peer[1]}", daemon=True)
            with self._lock:
                self._threads.add(t)
            t.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        with self._lock:
            conns = list(self._conns.values())
        for sock, conn in conns:
            try:
                sock.sendall(be.error_response(errors.AdminShutdown(
                    "terminating connection due to administrator command")))
            except OSError:
                pass
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self._lock:
            threads = list(self._threads)
        for t in threads:
            if t.ident is not None:  # (a SIGTERM can arrive while t.start() runs)
                t.join(timeout=5)

    def terminate_database_sessions(self, database: str, keep: Any) -> None:
        """End every session on ``database`` except the one whose Session is ``keep``: each gets
        57P01 and its socket is shut down, so its thread closes it (and detaches) promptly."""
        with self._lock:
            victims = [(s, c) for s, c in self._conns.values()
                       if c.database == database and c.session is not keep]
        for sock, _conn in victims:
            try:
                sock.sendall(be.error_response(errors.AdminShutdown(
                    "terminating connection due to administrator command")))
            except OSError:
                pass
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _cancel(self, pid: int, secret: int) -> None:
        """A CancelRequest: stop the statement of the session with this key, if it runs.
        Nothing is sent back (PostgreSQL closes the cancel connection without a reply)."""
        with self._lock:
            targets = [c for _, c in self._conns.values()
                       if c.session is not None and c.session.pid == pid and c.secret == secret]
        for conn in targets:
            if conn.session is not None and conn.session.cancel_running():
                log.info("canceled the running statement of session %d on request", pid)

    # -- one client ------------------------------------------------------------------------------
    def _serve_client(self, sock: socket.socket, peer: tuple[Any, ...], active: int) -> None:
        peer_s = f"{peer[0]}:{peer[1]}"
        conn = Connection(self.db, self.settings, peer_s)
        decoder = FrameDecoder(max_message_bytes=self.settings.max_message_bytes)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.settings.auth_timeout)
        key = id(conn)
        registered = False
        try:
            while conn.state != CLOSED:
                try:
                    data = sock.recv(65536)
                except socket.timeout:
                    if conn.state != READY:
                        log.warning("closing connection from %s: authentication timeout", peer_s)
                        break
                    continue
                if not data:
                    break
                if registered and not decoder.pending_bytes():
                    rest = conn.try_fast_path(data)
                    if rest is None:
                        sock.sendall(conn.take_output())
                        continue
                    data = rest
                decoder.feed(data)
                try:
                    while conn.state != CLOSED:
                        frame = decoder.next_frame()
                        if frame is None:
                            break
                        type_byte, payload = frame
                        if type_byte is None:
                            more = conn.on_startup_packet(payload)
                            decoder.expecting_startup = more
                        else:
                            conn.on_message(type_byte, payload)
                        if conn.state == READY and not registered:
                            if active >= self.settings.max_connections:
                                conn.fatal(errors.TooManyConnections(
                                    "sorry, too many clients already"))
                                break
                            with self._lock:
                                self._conns[key] = (sock, conn)
                            registered = True
                            sock.settimeout(None)
                        if conn.flush_now:
                            out = conn.take_output()
                            if out:
                                sock.sendall(out)
                except errors.DBError as e:
                    log.warning("closing connection from %s: %s (%s)", peer_s, e.message, e.sqlstate)
                    conn.pending.clear()
                    conn.fatal(e if e.severity == "FATAL" else errors.ProtocolViolation(e.message))
                if conn.pending:
                    out = conn.take_output()
                    if out:
                        sock.sendall(out)
                if conn.cancel_request is not None:
                    self._cancel(*conn.cancel_request)
                    break
        except (ConnectionError, OSError) as e:
            if not self._stopping.is_set():
                log.info("connection from %s lost: %s", peer_s, e)
        except Exception:
            log.exception("unexpected error on connection from %s", peer_s)
        finally:
            with self._lock:
                self._conns.pop(key, None)
                self._threads.discard(threading.current_thread())
            conn.close()
            try:
                sock.close()
            except OSError:
                pass
