"""DDL details SQLAlchemy's suite relies on: serial defaults naming mixed-case and non-ASCII
sequences (quoted as PostgreSQL prints them), and float(p) picking real/double precision."""

from __future__ import annotations

import psycopg
import pytest


def test_serial_on_quoted_table_names(conn, table_name):
    name = f"Mixed_{table_name}_é"
    with conn.cursor() as cur:
        cur.execute(f'CREATE TABLE "{name}" ("Id" serial PRIMARY KEY, "測試" int)')
        cur.execute(f'INSERT INTO "{name}" ("測試") VALUES (7), (8) RETURNING "Id"')
        assert [r[0] for r in cur.fetchall()] == [1, 2]
        cur.execute("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = %s::regclass",
                    (f'"{name}"',))
        assert cur.fetchone()[0] == f"""nextval('"{name}_Id_seq"'::regclass)"""
    conn.rollback()


def test_float_precision_picks_the_type(conn, table_name):
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (a float(53), b float(10), c float(25))")
        cur.execute("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = %s::regclass AND attnum > 0 ORDER BY attnum", (table_name,))
        assert [r[0] for r in cur.fetchall()] == ["double precision", "real", "double precision"]
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            cur.execute("SELECT 1.5::float(60)")
    conn.rollback()
