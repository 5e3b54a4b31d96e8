"""``python -m omendb_server`` runs the server, same as ``omendb-server``."""

import sys

from omendb_server.cli import server_main

sys.exit(server_main())
