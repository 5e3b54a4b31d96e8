"""The compliance suites are not part of the main pytest run.

They need SQLAlchemy's test plugin (loaded by each suite's own conftest, which would
take over a normal run) and a server of their own; ``tests/compliance/run.sh`` runs
them with their own configuration (``-c <suite>/setup.cfg``).
"""

collect_ignore = ["sqlalchemy", "alembic"]
