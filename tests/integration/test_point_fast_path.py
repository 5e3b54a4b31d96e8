"""The prepared point-query fast path (protocol/connection.py: ``_BindTemplate``).

After one Bind [+ Describe] + Execute + Sync packet of a prepared point query, the
connection answers the next packets with the same layout by comparing bytes and
decoding only the parameter. These tests send exact packets over a real socket and
check that every answer is the one the general path gives: right rows for each value,
no row for a missing key, errors for bad input, the statement re-prepared under the
same name, a transaction block, NULL and binary parameters, and the Describe form
that libpq (pgbench -M prepared) sends.
"""

from __future__ import annotations

import struct

import pytest

from tests.integration import pgwire_client as pw


@pytest.fixture
def accounts(omendb_server, table_name):
    with pw.connect(omendb_server) as c:
        msgs = c.simple(
            f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, name text, n int8);"
            f"INSERT INTO {table_name} SELECT g, 'n' || g, g * 10 FROM generate_series(1, 50) g")
        assert msgs[-1].type == "Z" and not [m for m in msgs if m.type == "E"]
    return table_name


def _lookup(c: pw.PGWire, value, describe: bool = False, param_formats=(),
            result_formats=(), statement: str = "pt") -> list[pw.Msg]:
    msgs = [pw.bind("", statement, [value], param_formats, result_formats)]
    if describe:
        msgs.append(pw.describe("P", ""))
    c.send(*msgs, pw.execute(), pw.sync())
    return c.read_until("Z")


@pytest.mark.parametrize("describe", [False, True])
def test_repeated_lookups_answer_each_value(omendb_server, accounts, describe):
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("pt", f"SELECT name, n FROM {accounts} WHERE id = $1"), pw.sync())
        assert c.read_types() == "1Z"
        for i in [3, 3, 17, 50, 1, 999, 0, 42, 9]:
            got = _lookup(c, str(i), describe)
            types = "".join(m.type for m in got)
            if 1 <= i <= 50:
                assert types == ("2TDCZ" if describe else "2DCZ")
                row = [m for m in got if m.type == "D"][0]
                assert row.text_row() == [f"n{i}", str(i * 10)]
                assert got[-2].tag() == "SELECT 1"
            else:
                assert types == ("2TCZ" if describe else "2CZ")
                assert got[-2].tag() == "SELECT 0"
            assert got[-1].status() == "I"


def test_bad_values_get_the_general_paths_errors(omendb_server, accounts):
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("pt", f"SELECT name FROM {accounts} WHERE id = $1"), pw.sync())
        assert c.read_types() == "1Z"
        assert _lookup(c, "7")[1].text_row() == ["n7"]
        for bad, state in [("abc", "22P02"), ("99999999999", "22003"), (b"\xff\xfe", "22021")]:
            got = _lookup(c, bad)
            assert [m.type for m in got] == ["E", "Z"]
            assert got[0].sqlstate == state
        got = _lookup(c, None)  # NULL: id = NULL matches nothing
        assert "".join(m.type for m in got) == "2CZ" and got[-2].tag() == "SELECT 0"
        assert _lookup(c, "8")[1].text_row() == ["n8"]  # the session goes on


def test_binary_parameter_and_results(omendb_server, accounts):
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("pt", f"SELECT n FROM {accounts} WHERE id = $1", [23]), pw.sync())
        assert c.read_types() == "1Z"
        for i in (5, 6, 5):
            got = _lookup(c, struct.pack("!i", i), param_formats=[1], result_formats=[1])
            assert got[1].row() == [struct.pack("!q", i * 10)]
        got = _lookup(c, b"\x00\x01", param_formats=[1])  # 2 bytes for an int4: an error
        assert got[0].type == "E" and got[0].sqlstate == "22P03"


def test_statement_replaced_under_the_same_name(omendb_server, accounts):
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("pt", f"SELECT name FROM {accounts} WHERE id = $1"), pw.sync())
        assert c.read_types() == "1Z"
        assert _lookup(c, "4")[1].text_row() == ["n4"]
        assert _lookup(c, "5")[1].text_row() == ["n5"]
        c.send(pw.close("S", "pt"), pw.parse("pt", f"SELECT n FROM {accounts} WHERE id = $1"),
               pw.sync())
        assert c.read_types() == "31Z"
        assert _lookup(c, "5")[1].text_row() == ["50"]
        c.send(pw.close("S", "pt"), pw.sync())
        assert c.read_types() == "3Z"
        got = _lookup(c, "5")
        assert got[0].type == "E" and got[0].sqlstate == "26000"


def test_inside_a_transaction_block_sees_its_own_writes(omendb_server, accounts):
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("pt", f"SELECT name FROM {accounts} WHERE id = $1"), pw.sync())
        assert c.read_types() == "1Z"
        assert _lookup(c, "6")[1].text_row() == ["n6"]
        c.simple(f"BEGIN; UPDATE {accounts} SET name = 'mine' WHERE id = 6")
        got = _lookup(c, "6")
        assert got[1].text_row() == ["mine"] and got[-1].status() == "T"
        with pw.connect(omendb_server) as other:  # not committed: others see the old row
            other.send(pw.parse("pt", f"SELECT name FROM {accounts} WHERE id = $1"), pw.sync())
            assert other.read_types() == "1Z"
            assert _lookup(other, "6")[1].text_row() == ["n6"]
            assert _lookup(other, "6")[1].text_row() == ["n6"]
            c.simple("COMMIT")
            assert _lookup(other, "6")[1].text_row() == ["mine"]


def test_simple_queries_of_one_shape(omendb_server, accounts):
    """Simple-protocol texts that differ only in numbers share one lifted plan; each
    answer is still the literal statement's (rows, RowDescription, errors)."""
    with pw.connect(omendb_server) as c:
        for i in [5, 6, 50, 51, 3000000000, 5]:
            msgs = c.simple(f"SELECT name, n FROM {accounts} WHERE id = {i};")
            types = "".join(m.type for m in msgs)
            assert msgs[0].columns()[0]["name"] == "name"
            if i <= 50:
                assert types == "TDCZ" and msgs[1].text_row() == [f"n{i}", str(i * 10)]
            else:
                assert types == "TCZ" and msgs[1].tag() == "SELECT 0"
        msgs = c.simple(f"SELECT name FROM {accounts} WHERE id = 5 LIMIT 0")
        assert "".join(m.type for m in msgs) == "TCZ"
        msgs = c.simple(f"SELECT name FROM {accounts} WHERE id = 5 LIMIT 1")
        assert msgs[1].text_row() == ["n5"]
        msgs = c.simple(f"SELECT name FROM {accounts} WHERE id = 'x5'")
        assert msgs[0].type == "E" and msgs[0].sqlstate == "22P02"
        msgs = c.simple(f"SELECT n FROM {accounts} WHERE id = 7; SELECT n FROM {accounts} WHERE id = 8")
        assert [m.text_row() for m in msgs if m.type == "D"] == [["70"], ["80"]]


def test_simple_point_query_replanned_after_ddl_and_search_path(omendb_server, unique_name):
    """A remembered simple point query is used only while the catalog and search_path
    are those it was planned under."""
    s, kv = unique_name("s"), unique_name("kv")
    with pw.connect(omendb_server) as c, pw.connect(omendb_server) as ddl:
        c.simple(f"CREATE SCHEMA {s}; CREATE TABLE {s}.kv (k int PRIMARY KEY, v text);"
                 f"INSERT INTO {s}.kv VALUES (1, 'one'), (2, 'two');"
                 f"CREATE TABLE {kv} (k int PRIMARY KEY, v text);"
                 f"INSERT INTO {kv} VALUES (1, 'public one')")
        q = f"SELECT v FROM {s}.kv WHERE k = %d"
        assert [c.simple(q % i)[1].text_row() for i in (1, 2, 1)] == [["one"], ["two"], ["one"]]
        ddl.simple(f"ALTER TABLE {s}.kv RENAME COLUMN v TO w")  # another session's DDL
        msgs = c.simple(q % 2)
        assert msgs[0].type == "E" and msgs[0].sqlstate == "42703"
        ddl.simple(f"ALTER TABLE {s}.kv RENAME COLUMN w TO v; ALTER TABLE {s}.kv ADD COLUMN x int")
        assert c.simple(q % 2)[1].text_row() == ["two"]
        # the same text resolves along another search_path once it changes
        c.simple(f"CREATE TABLE {s}.{kv} (k int PRIMARY KEY, v text);"
                 f"INSERT INTO {s}.{kv} VALUES (1, 'schema one')")
        t = f"SELECT v FROM {kv} WHERE k = %d"
        assert c.simple(t % 1)[1].text_row() == ["public one"]
        assert c.simple(t % 1)[1].text_row() == ["public one"]
        c.simple(f"SET search_path = {s}, public")
        assert c.simple(t % 1)[1].text_row() == ["schema one"]
        # and inside a transaction block it sees the block's own writes
        c.simple(f"BEGIN; UPDATE {s}.kv SET v = 'mine' WHERE k = 1")
        assert c.simple(q % 1)[1].text_row() == ["mine"]
        assert ddl.simple(q % 1)[1].text_row() == ["one"]
        c.simple("ROLLBACK")


def test_unnamed_statement_reparsed_each_time(omendb_server, accounts):
    """Parse + Bind + Describe + Execute + Sync of the unnamed statement on every query
    (psycopg with prepare=False): the same text keeps its statement (and fast path),
    another text replaces it, and a failed Parse drops it, as in PostgreSQL."""
    def unprepared(sql: str, value: str) -> list[pw.Msg]:
        c.send(pw.parse("", sql), pw.bind("", "", [value]), pw.describe("P", ""),
               pw.execute(), pw.sync())
        return c.read_until("Z")

    with pw.connect(omendb_server) as c:
        q1 = f"SELECT name FROM {accounts} WHERE id = $1"
        q2 = f"SELECT n FROM {accounts} WHERE id = $1"
        for i in (1, 2, 3, 2):
            got = unprepared(q1, str(i))
            assert "".join(m.type for m in got) == "12TDCZ" and got[3].text_row() == [f"n{i}"]
        got = unprepared(q2, "2")
        assert got[2].columns()[0]["name"] == "n" and got[3].text_row() == ["20"]
        got = unprepared(f"SELECT nope FROM {accounts} WHERE id = $1", "2")
        assert got[0].type == "E" and got[0].sqlstate == "42703"
        c.send(pw.bind("", "", ["2"]), pw.execute(), pw.sync())
        got = c.read_until("Z")
        assert got[0].type == "E" and got[0].sqlstate == "26000"
        assert unprepared(q1, "4")[3].text_row() == ["n4"]
        with pw.connect(omendb_server) as ddl:  # another session renames the column
            ddl.simple(f"ALTER TABLE {accounts} RENAME COLUMN name TO label")
            got = unprepared(q1, "4")
            assert got[0].type == "E" and got[0].sqlstate == "42703"
            ddl.simple(f"ALTER TABLE {accounts} RENAME COLUMN label TO name")
            assert unprepared(q1, "5")[3].text_row() == ["n5"]


def test_alternating_prepared_statements(omendb_server, accounts):
    """psycopg prepares one statement per parameter type it sends (int2 for small ids,
    int4 for others) and alternates between them: each keeps its own fast path."""
    with pw.connect(omendb_server) as c:
        c.send(pw.parse("s2", f"SELECT name FROM {accounts} WHERE id = $1", [21]),
               pw.parse("s4", f"SELECT n FROM {accounts} WHERE id = $1", [23]), pw.sync())
        assert c.read_types() == "11Z"
        for i in (3, 4, 5, 6, 7, 3):
            got = _lookup(c, struct.pack("!h", i), param_formats=[1], statement="s2")
            assert got[1].text_row() == [f"n{i}"]
            got = _lookup(c, struct.pack("!i", i), param_formats=[1], statement="s4")
            assert got[1].text_row() == [str(i * 10)]
