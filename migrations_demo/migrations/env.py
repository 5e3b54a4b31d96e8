"""Alembic environment: online migrations against the URL in OMENDB_DEMO_URL."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from demo_app.models import Base
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def url() -> str:
    value = config.attributes.get("url") or os.environ.get("OMENDB_DEMO_URL")
    if not value:
        raise SystemExit("set OMENDB_DEMO_URL, e.g. omendb://omendb:PASSWORD@127.0.0.1:5433/demo")
    return value


def run_migrations_offline() -> None:
    context.configure(url=url(), target_metadata=target_metadata, literal_binds=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          compare_type=True, compare_server_default=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
