"""Server: the TCP listener, one thread per connection, limits and graceful shutdown."""

from omendb_server.server.listener import Server

__all__ = ["Server"]
