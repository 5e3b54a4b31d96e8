"""Alembic's dialect compliance suite, run against OmenDB (see ../run.sh)."""

from alembic.testing.suite import *
