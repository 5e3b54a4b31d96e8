"""A small blogging app's schema, migrated with Alembic against OmenDB (see ../README.md)."""
