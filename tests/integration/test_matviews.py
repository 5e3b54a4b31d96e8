"""Materialized views: CREATE [WITH NO DATA], indexes on them, REFRESH inside transactions,
DROP, and the catalog rows SQLAlchemy's reflection reads (relkind 'm', pg_matviews)."""

from __future__ import annotations

import psycopg
import pytest


def test_matview_lifecycle(conn, table_name):
    mv = f"{table_name}_mv"
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, data text)")
        cur.execute(f"INSERT INTO {table_name} VALUES (1, 'a'), (2, 'b')")
        cur.execute(f"CREATE MATERIALIZED VIEW {mv} AS SELECT id, data FROM {table_name} WHERE id > 1")
        assert cur.statusmessage == "SELECT 1"
        cur.execute(f"CREATE INDEX {mv}_ix ON {mv} (data)")
        cur.execute(f"INSERT INTO {table_name} VALUES (3, 'c')")
        assert cur.execute(f"SELECT id FROM {mv} ORDER BY id").fetchall() == [(2,)]
        conn.commit()
        cur.execute(f"REFRESH MATERIALIZED VIEW {mv}")
        assert cur.statusmessage == "REFRESH MATERIALIZED VIEW"
        assert cur.execute(f"SELECT id FROM {mv} ORDER BY id").fetchall() == [(2,), (3,)]
        conn.rollback()  # the refresh was part of the transaction
        assert cur.execute(f"SELECT id FROM {mv} ORDER BY id").fetchall() == [(2,)]
        assert cur.execute("SELECT relkind FROM pg_class WHERE relname = %s", (mv,)).fetchone() == ("m",)
        assert cur.execute("SELECT matviewname, ispopulated FROM pg_matviews WHERE matviewname = %s",
                           (mv,)).fetchone() == (mv, True)
        assert cur.execute("SELECT count(*) FROM pg_tables WHERE tablename = %s", (mv,)).fetchone() == (0,)
        definition = cur.execute(f"SELECT pg_get_viewdef('{mv}'::regclass)").fetchone()[0]
        assert "WHERE" in definition and "> 1" in definition and definition.endswith(";")
        with pytest.raises(psycopg.errors.FeatureNotSupported):
            cur.execute(f"REFRESH MATERIALIZED VIEW {table_name}")
        conn.rollback()
        cur.execute(f"DROP MATERIALIZED VIEW {mv}")
        assert cur.statusmessage == "DROP MATERIALIZED VIEW"
        cur.execute(f"CREATE MATERIALIZED VIEW {mv} AS SELECT 1 AS x WITH NO DATA")
        assert cur.statusmessage == "CREATE MATERIALIZED VIEW"
        conn.commit()
