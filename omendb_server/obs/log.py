"""Logging to stderr with PostgreSQL-like line prefixes.

Why a module: every layer logs through ``logging.getLogger("omendb.<layer>")``
and only this module decides format and level, so operators get one readable
stream and tests can grep for the readiness line.
"""

from __future__ import annotations

import logging
import sys


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger("omendb")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
