"""PostgreSQL v3 wire protocol codec, sans-I/O.

No sockets here: ``framing`` splits bytes into messages, ``frontend`` decodes client
messages, ``backend`` encodes server messages. The server loop owns all I/O, so the
connection model (threads today, maybe asyncio later) can change without touching
the codec.
"""

from omendb_server.protocol import backend, frontend
from omendb_server.protocol.backend import FieldDescription
from omendb_server.protocol.framing import FrameDecoder
from omendb_server.protocol.frontend import decode_message, decode_startup

__all__ = ["FieldDescription", "FrameDecoder", "backend", "decode_message", "decode_startup", "frontend"]
