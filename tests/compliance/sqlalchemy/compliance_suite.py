"""SQLAlchemy's dialect compliance suite, run against OmenDB (see ../run.sh)."""

from sqlalchemy.testing.suite import *
