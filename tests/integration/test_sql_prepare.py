"""PREPARE / EXECUTE / DEALLOCATE in SQL: the same named statements the protocol's Parse
makes (one namespace), with PostgreSQL's errors. Expected values are PostgreSQL 15's."""

from __future__ import annotations

import psycopg
import pytest

from tests.integration import pgwire_client as pw


def test_prepare_execute_in_simple_queries(omendb_server, table_name):
    with pw.connect(omendb_server) as c:
        c.simple(f"CREATE TABLE {table_name} (id int PRIMARY KEY, name text, born date)")
        msgs = c.simple(f"PREPARE ins (int, text, date) AS INSERT INTO {table_name} VALUES ($1, $2, $3)")
        assert [m.type for m in msgs] == ["C", "Z"] and msgs[0].tag() == "PREPARE"
        msgs = c.simple("EXECUTE ins(1, 'a' || 'b', '2024-02-29'); EXECUTE ins (2, NULL, NULL)")
        assert [m.tag() for m in msgs if m.type == "C"] == ["INSERT 0 1", "INSERT 0 1"]
        c.simple(f"PREPARE q(int) AS SELECT name, born FROM {table_name} WHERE id >= $1 ORDER BY id")
        msgs = c.simple("EXECUTE q(1)")
        assert [m.type for m in msgs] == ["T", "D", "D", "C", "Z"]
        assert [m.text_row() for m in msgs if m.type == "D"] == [["ab", "2024-02-29"], [None, None]]
        assert [col["name"] for col in msgs[0].columns()] == ["name", "born"]
        # errors, as PostgreSQL words them
        for sql, state in [("EXECUTE q", "42601"), ("EXECUTE q(1, 2)", "42601"),
                           ("EXECUTE nope(1)", "26000"), ("EXECUTE q('x')", "22P02"),
                           ("PREPARE q AS SELECT 1", "42P05")]:
            got = c.simple(sql)
            assert got[0].type == "E" and got[0].sqlstate == state, (sql, got[0].fields())
        wrong = c.simple("EXECUTE q(1, 2)")[0].fields()
        assert wrong["M"] == 'wrong number of parameters for prepared statement "q"'
        assert wrong["D"] == "Expected 1 parameters but got 2."
        c.simple("DEALLOCATE q")
        assert c.simple("EXECUTE q(1)")[0].sqlstate == "26000"
        # a statement prepared in SQL is visible to the protocol and the other way round
        c.send(pw.parse("viaproto", f"SELECT count(*) FROM {table_name}"), pw.sync())
        assert c.read_types() == "1Z"
        assert [m.text_row() for m in c.simple("EXECUTE viaproto") if m.type == "D"] == [["2"]]
        c.send(pw.bind("", "ins", ["3", "c", "2020-01-01"]), pw.execute(), pw.sync())
        assert c.read_types() == "2CZ"
        c.simple("PREPARE noargs AS SELECT 40 + 2 AS answer")
        assert c.simple("EXECUTE noargs")[1].text_row() == ["42"]
        assert c.simple("EXECUTE noargs()")[0].type == "E"  # PostgreSQL: syntax error


def test_execute_through_psycopg_extended_protocol(omendb_server, table_name):
    with omendb_server.connect(autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table_name} (id int PRIMARY KEY, v numeric(6,2))")
        conn.execute(f"INSERT INTO {table_name} VALUES (1, 1.50), (2, 2.25)")
        conn.execute(f"PREPARE pick(int) AS SELECT id, v FROM {table_name} WHERE id = $1")
        cur = conn.execute("EXECUTE pick(2)")
        assert [d.name for d in cur.description] == ["id", "v"]
        assert cur.fetchall() == [(2, pytest.approx(2.25))]
        with pytest.raises(psycopg.errors.InvalidSqlStatementName):
            conn.execute("EXECUTE missing(1)")
