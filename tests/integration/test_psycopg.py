"""psycopg 3 against the server: simple, extended, prepared and binary protocol paths, SQL semantics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import psycopg
import psycopg.errors as pge
import pytest
from psycopg import pq

UTC = dt.timezone.utc

# (column type, type OID, sample value) for every type the skeleton supports.
TYPES = [
    ("int2", 21, 12345),
    ("int4", 23, -2_000_000_000),
    ("int8", 20, 9_000_000_000_000_000_000),
    ("float8", 701, 1.0 / 3.0),
    ("numeric", 1700, Decimal("-12345678901234567890.0123456789")),
    ("bool", 16, True),
    ("text", 25, "héllo, wörld ✓ 'quoted' \\ back"),
    ("varchar(20)", 1043, "short string"),
    ("date", 1082, dt.date(2024, 2, 29)),
    ("timestamp", 1114, dt.datetime(2023, 12, 31, 23, 59, 58, 123456)),
    ("timestamptz", 1184, dt.datetime(2021, 6, 1, 12, 30, 45, 654321, tzinfo=UTC)),
]


def test_version_and_settings(conn):
    version = conn.execute("SELECT version()").fetchone()[0]
    assert version.startswith("PostgreSQL 15."), version
    assert conn.info.server_version // 10000 == 15
    assert conn.execute("SHOW standard_conforming_strings").fetchone()[0] == "on"
    conn.execute("SET application_name = 'omendb_psycopg_test'")
    assert conn.execute("SHOW application_name").fetchone()[0] == "omendb_psycopg_test"


def test_simple_protocol_several_statements(conn, table_name):
    conn.autocommit = True
    res = conn.pgconn.exec_(
        f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v text);"
        f"INSERT INTO {table_name} VALUES (1, 'one'), (2, 'two'), (3, 'three');"
        f"SELECT count(*), max(v) FROM {table_name}".encode()
    )
    # PQexec returns the last statement's result.
    assert res.status == pq.ExecStatus.TUPLES_OK, res.error_message
    assert (res.get_value(0, 0), res.get_value(0, 1)) == (b"3", b"two")
    # A ClientCursor also uses the simple protocol and sees every result set.
    cur = psycopg.ClientCursor(conn)
    cur.execute(f"SELECT v FROM {table_name} WHERE id = 1; SELECT id FROM {table_name} WHERE v = 'three'")
    assert cur.fetchall() == [("one",)]
    assert cur.nextset()
    assert cur.fetchall() == [(3,)]
    assert not cur.nextset()


def test_extended_protocol_with_parameters(conn):
    row = conn.execute("SELECT %s::int4 + %s::int4, %s::text || '!', %s::bool AND true", (40, 2, "hi", True)).fetchone()
    assert row == (42, "hi!", True)
    assert conn.execute("SELECT %s::int8 * 3", (None,)).fetchone() == (None,)


def test_prepared_statements(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v int8 NOT NULL)")
    for i in range(1, 8):
        conn.execute(f"INSERT INTO {table_name} (id, v) VALUES (%s, %s)", (i, i * i), prepare=True)
    got = [conn.execute(f"SELECT v FROM {table_name} WHERE id = %s", (i,), prepare=True).fetchone()[0] for i in range(1, 8)]
    assert got == [1, 4, 9, 16, 25, 36, 49]
    conn.commit()


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_every_type_round_trips(conn, table_name, binary):
    cols = ", ".join(f"c{i} {t}" for i, (t, _, _) in enumerate(TYPES))
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, {cols})")
    names = ", ".join(f"c{i}" for i in range(len(TYPES)))
    marks = ", ".join(["%s"] * (len(TYPES) + 1))
    values = tuple(v for _, _, v in TYPES)
    cur = conn.cursor(binary=binary)
    cur.execute(f"INSERT INTO {table_name} (id, {names}) VALUES ({marks})", (1,) + values, binary=binary)
    cur.execute(f"INSERT INTO {table_name} (id) VALUES (2)", binary=binary)
    cur.execute(f"SELECT {names} FROM {table_name} ORDER BY id")
    rows = cur.fetchall()
    assert [d.type_code for d in cur.description] == [oid for _, oid, _ in TYPES]
    assert cur.pgresult is not None
    assert {cur.pgresult.fformat(i) for i in range(len(TYPES))} == {1 if binary else 0}
    assert rows[0] == values
    assert rows[1] == (None,) * len(TYPES)
    conn.rollback()


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_literal_types_in_binary_and_text(conn, binary):
    cur = conn.cursor(binary=binary)
    cur.execute(
        "SELECT 1::int2, 2::int4, 3::int8, 1.5::float8, 2.50::numeric, false, 'x'::text, "
        "'y'::varchar(3), '2000-01-01'::date, '2000-01-02 03:04:05'::timestamp, "
        "'2000-01-02 03:04:05+00'::timestamptz"
    )
    assert cur.fetchone() == (
        1, 2, 3, 1.5, Decimal("2.50"), False, "x", "y", dt.date(2000, 1, 1),
        dt.datetime(2000, 1, 2, 3, 4, 5), dt.datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC),
    )
    assert [d.type_code for d in cur.description] == [21, 23, 20, 701, 1700, 16, 25, 1043, 1082, 1114, 1184]


def test_executemany(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, grp text, amount numeric)")
    cur = conn.cursor()
    cur.executemany(
        f"INSERT INTO {table_name} VALUES (%s, %s, %s)",
        [(i, "even" if i % 2 == 0 else "odd", Decimal(i) / 4) for i in range(1, 51)],
    )
    assert cur.rowcount == 50
    conn.commit()
    assert conn.execute(f"SELECT count(*), sum(amount) FROM {table_name}").fetchone() == (50, Decimal("318.75"))


def test_insert_returning_multi_row_values(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id serial PRIMARY KEY, name text NOT NULL, score int4)")
    cur = conn.execute(
        f"INSERT INTO {table_name} (name, score) VALUES ('a', 10), ('b', 20), ('c', NULL) "
        "RETURNING id, name, score * 2 AS doubled"
    )
    assert cur.fetchall() == [(1, "a", 20), (2, "b", 40), (3, "c", None)]
    assert cur.rowcount == 3
    assert [d.name for d in cur.description] == ["id", "name", "doubled"]
    conn.commit()


def test_where_order_by_limit_offset(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v int4, s text)")
    conn.execute(
        f"INSERT INTO {table_name} VALUES (1, 50, 'e'), (2, 40, 'd'), (3, 30, 'c'), (4, 20, 'b'), (5, 10, 'a'), (6, NULL, 'z')"
    )
    q = conn.execute
    assert q(f"SELECT id FROM {table_name} ORDER BY v LIMIT 3").fetchall() == [(5,), (4,), (3,)]
    assert q(f"SELECT id FROM {table_name} ORDER BY v LIMIT 2 OFFSET 3").fetchall() == [(2,), (1,)]
    # NULLS LAST for ASC, NULLS FIRST for DESC, as in PostgreSQL.
    assert q(f"SELECT id FROM {table_name} ORDER BY v").fetchall()[-1] == (6,)
    assert q(f"SELECT id FROM {table_name} ORDER BY v DESC").fetchall()[0] == (6,)
    assert q(f"SELECT s FROM {table_name} WHERE v > 15 AND (v < 45 OR s = 'e') ORDER BY s DESC").fetchall() == [
        ("e",), ("d",), ("c",), ("b",)
    ]
    assert q(f"SELECT id FROM {table_name} WHERE NOT (v <> 30)").fetchall() == [(3,)]
    assert q(f"SELECT id, v * 2 + 1, v - id, v / 3, v % 7 FROM {table_name} WHERE id = 2").fetchone() == (2, 81, 38, 13, 5)
    assert q(f"SELECT count(*) FROM {table_name} WHERE v IS NULL").fetchone() == (1,)
    assert q(f"SELECT id FROM {table_name} ORDER BY id OFFSET 5").fetchall() == [(6,)]
    conn.rollback()


def test_group_by_aggregates(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, dept text, salary int4, bonus float8)")
    conn.execute(
        f"INSERT INTO {table_name} VALUES (1,'eng',100,1.5),(2,'eng',200,NULL),(3,'ops',50,0.5),(4,'eng',300,2.0),(5,'ops',70,NULL)"
    )
    cur = conn.execute(
        f"SELECT dept, count(*), count(bonus), sum(salary), min(salary), max(salary), avg(salary) "
        f"FROM {table_name} GROUP BY dept ORDER BY dept"
    )
    assert cur.fetchall() == [
        ("eng", 3, 2, 600, 100, 300, Decimal("200")),
        ("ops", 2, 1, 120, 50, 70, Decimal("60")),
    ]
    # count → int8, sum(int4) → int8, avg(int4) → numeric, as in PostgreSQL.
    assert [d.type_code for d in cur.description] == [25, 20, 20, 20, 23, 23, 1700]
    assert conn.execute(f"SELECT sum(bonus), count(*) FROM {table_name}").fetchone() == (4.0, 5)
    assert conn.execute(f"SELECT sum(salary), max(dept) FROM {table_name} WHERE id > 100").fetchone() == (None, None)
    conn.rollback()


def test_inner_join(conn, unique_name):
    users, orders = unique_name("users"), unique_name("orders")
    conn.execute(f"CREATE TABLE {users} (id int4 PRIMARY KEY, name text)")
    conn.execute(f"CREATE TABLE {orders} (id int4 PRIMARY KEY, user_id int4, total numeric)")
    conn.execute(f"INSERT INTO {users} VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')")
    conn.execute(f"INSERT INTO {orders} VALUES (10, 1, 5.00), (11, 1, 7.50), (12, 2, 1.25), (13, 99, 100)")
    rows = conn.execute(
        f"SELECT u.name, o.id, o.total FROM {users} u JOIN {orders} o ON o.user_id = u.id ORDER BY o.id"
    ).fetchall()
    assert rows == [("ann", 10, Decimal("5.00")), ("ann", 11, Decimal("7.50")), ("bob", 12, Decimal("1.25"))]
    rows = conn.execute(
        f"SELECT u.name, sum(o.total), count(*) FROM {users} u INNER JOIN {orders} o ON u.id = o.user_id "
        f"WHERE o.total > 1.25 GROUP BY u.name ORDER BY u.name"
    ).fetchall()
    assert rows == [("ann", Decimal("12.50"), 2)]
    conn.rollback()


def test_update_delete_returning_and_rowcounts(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, qty int4 NOT NULL)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 10), (2, 20), (3, 30), (4, 40)")
    cur = conn.execute(f"UPDATE {table_name} SET qty = qty + 1 WHERE qty >= 20")
    assert cur.rowcount == 3
    cur = conn.execute(f"UPDATE {table_name} SET qty = qty * 10 WHERE id = 1 RETURNING id, qty")
    assert cur.fetchall() == [(1, 100)]
    assert cur.rowcount == 1
    assert conn.execute(f"UPDATE {table_name} SET qty = 0 WHERE id = 999").rowcount == 0
    cur = conn.execute(f"DELETE FROM {table_name} WHERE qty < 35 RETURNING id")
    assert sorted(cur.fetchall()) == [(2,), (3,)]
    assert cur.rowcount == 2
    assert conn.execute(f"DELETE FROM {table_name} WHERE id = 42").rowcount == 0
    assert conn.execute(f"SELECT id, qty FROM {table_name} ORDER BY id").fetchall() == [(1, 100), (4, 41)]
    assert conn.execute(f"DELETE FROM {table_name}").rowcount == 2
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
    conn.rollback()


def test_transactions_commit_and_rollback_visibility(omendb_server, conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v text)")
    conn.commit()
    with omendb_server.connect(autocommit=True) as other:
        conn.execute(f"INSERT INTO {table_name} VALUES (1, 'committed')")
        # Not visible to another session before COMMIT...
        assert other.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
        assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (1,)
        conn.commit()
        # ...visible after.
        assert other.execute(f"SELECT v FROM {table_name}").fetchall() == [("committed",)]
        conn.execute(f"INSERT INTO {table_name} VALUES (2, 'rolled back')")
        conn.execute(f"UPDATE {table_name} SET v = 'changed' WHERE id = 1")
        conn.rollback()
        assert other.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == [(1, "committed")]
        assert conn.execute(f"SELECT id, v FROM {table_name} ORDER BY id").fetchall() == [(1, "committed")]
        # Explicit BEGIN/COMMIT from an autocommit session.
        other.execute("BEGIN")
        other.execute(f"DELETE FROM {table_name} WHERE id = 1")
        assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (1,)
        conn.rollback()
        other.execute("COMMIT")
        assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
        conn.rollback()


def test_savepoint_rollback(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    conn.execute("SAVEPOINT sp1")
    conn.execute(f"INSERT INTO {table_name} VALUES (2)")
    conn.execute("ROLLBACK TO SAVEPOINT sp1")
    conn.execute(f"INSERT INTO {table_name} VALUES (3)")
    conn.execute("SAVEPOINT sp2")
    conn.execute(f"INSERT INTO {table_name} VALUES (4)")
    conn.execute("RELEASE SAVEPOINT sp2")
    # psycopg's nested transaction() uses savepoints too; an error inside rolls back only it.
    with pytest.raises(pge.UniqueViolation):
        with conn.transaction():
            conn.execute(f"INSERT INTO {table_name} VALUES (5)")
            conn.execute(f"INSERT INTO {table_name} VALUES (1)")
    conn.commit()
    assert conn.execute(f"SELECT id FROM {table_name} ORDER BY id").fetchall() == [(1,), (3,), (4,)]
    conn.rollback()


def test_serial_bigserial_identity(conn, table_name, unique_name):
    t2 = unique_name("ident")
    conn.execute(f"CREATE TABLE {table_name} (a serial PRIMARY KEY, b bigserial, note text)")
    conn.execute(f"INSERT INTO {table_name} (note) VALUES ('x'), ('y')")
    conn.execute(f"INSERT INTO {table_name} (note) VALUES ('z')")
    cur = conn.execute(f"SELECT a, b, note FROM {table_name} ORDER BY a")
    assert cur.fetchall() == [(1, 1, "x"), (2, 2, "y"), (3, 3, "z")]
    assert [d.type_code for d in cur.description][:2] == [23, 20]
    conn.execute(f"CREATE TABLE {t2} (id int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)")
    ids = [conn.execute(f"INSERT INTO {t2} (v) VALUES (%s) RETURNING id", (v,)).fetchone()[0] for v in "abc"]
    assert ids == [1, 2, 3]
    conn.commit()
    # Sequences are not rolled back (as in PostgreSQL): a rolled-back insert burns its value.
    conn.execute(f"INSERT INTO {t2} (v) VALUES ('lost')")
    conn.rollback()
    assert conn.execute(f"INSERT INTO {t2} (v) VALUES ('d') RETURNING id").fetchone()[0] == 5
    conn.commit()


def test_defaults_and_not_null(conn, table_name):
    conn.execute(
        f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, status text NOT NULL DEFAULT 'new', "
        f"qty int4 DEFAULT 1 + 2, active bool DEFAULT true, note text)"
    )
    conn.execute(f"INSERT INTO {table_name} (id) VALUES (1)")
    conn.execute(f"INSERT INTO {table_name} (id, status, qty, note) VALUES (2, 'old', NULL, 'n')")
    conn.execute(f"INSERT INTO {table_name} VALUES (3, DEFAULT, 7, DEFAULT, DEFAULT)")
    rows = conn.execute(f"SELECT id, status, qty, active, note FROM {table_name} ORDER BY id").fetchall()
    assert rows == [(1, "new", 3, True, None), (2, "old", None, True, "n"), (3, "new", 7, True, None)]
    with pytest.raises(pge.NotNullViolation):
        conn.execute(f"INSERT INTO {table_name} (id, status) VALUES (4, NULL)")
    conn.rollback()


def test_null_semantics(conn):
    row = conn.execute(
        "SELECT NULL::int4 + 1, NULL::int4 = NULL::int4, NULL::int4 IS NULL, 1 IS NOT NULL, "
        "NULL::bool AND false, NULL::bool OR true, NULL::bool AND true"
    ).fetchone()
    assert row == (None, None, True, True, False, True, None)


def test_null_rows_filtered_by_comparisons(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, v int4)")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, NULL), (2, 5), (3, NULL)")
    assert conn.execute(f"SELECT id FROM {table_name} WHERE v = NULL").fetchall() == []
    assert conn.execute(f"SELECT id FROM {table_name} WHERE v <> 5").fetchall() == []
    assert conn.execute(f"SELECT id FROM {table_name} WHERE v IS NULL ORDER BY id").fetchall() == [(1,), (3,)]
    assert conn.execute(f"SELECT count(v), count(*), sum(v), avg(v) FROM {table_name}").fetchone() == (1, 3, 5, Decimal(5))
    conn.rollback()


def test_varchar_too_long(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id int4 PRIMARY KEY, code varchar(3))")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'abc')")
    with pytest.raises(pge.StringDataRightTruncation) as exc:
        conn.execute(f"INSERT INTO {table_name} VALUES (2, 'abcd')")
    assert exc.value.sqlstate == "22001"
    conn.rollback()


def test_parameters_without_spaces_between_them(conn):
    # sqlglot's tokenizer would read "$1,$2" as a dollar-quoted string; drivers send it.
    assert conn.execute("SELECT %s,%s", (1, "a")).fetchone() == (1, "a")
    assert conn.execute("SELECT (%s)+(%s)", (2, 3)).fetchone() == (5,)
    assert conn.execute("SELECT '$1,$2', %s", ("x",)).fetchone() == ("$1,$2", "x")
    conn.rollback()


def test_truncate_is_transactional_and_restarts_identity(conn, table_name):
    conn.execute(f"CREATE TABLE {table_name} (id serial PRIMARY KEY, v text)")
    conn.execute(f"INSERT INTO {table_name} (v) VALUES ('a'),('b')")
    conn.commit()
    conn.execute(f"TRUNCATE {table_name}")
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (0,)
    conn.rollback()
    assert conn.execute(f"SELECT count(*) FROM {table_name}").fetchone() == (2,)
    conn.execute(f"TRUNCATE TABLE {table_name} RESTART IDENTITY")
    conn.execute(f"INSERT INTO {table_name} (v) VALUES ('c')")
    assert conn.execute(f"SELECT id, v FROM {table_name}").fetchall() == [(1, "c")]
    conn.commit()


def test_generate_series_in_from(conn):
    assert conn.execute("SELECT * FROM generate_series(1, 3)").fetchall() == [(1,), (2,), (3,)]
    assert conn.execute("SELECT i * 2 FROM generate_series(10, 1, -4) AS g(i)").fetchall() == [
        (20,), (12,), (4,)]
    assert conn.execute("SELECT sum(g) FROM generate_series(1, 100) g").fetchone() == (5050,)
    conn.rollback()


def test_simple_protocol_literals_share_plans_without_changing_meaning(conn, table_name):
    """Literals right of a comparison are lifted into parameters for plan caching; the
    results, types and errors must be exactly those of the literal statement."""
    conn.execute(f"CREATE TABLE {table_name} (id int8 PRIMARY KEY, name text, born date, n numeric(6,2))")
    conn.execute(f"INSERT INTO {table_name} VALUES (1, 'it''s', '2020-01-02', 1.50), "
                 "(2, 'b', '2021-03-04', 2.25), (3, 'c', NULL, NULL)")
    for i in (1, 2, 3):  # same shape, different literals
        assert conn.execute(f"SELECT id FROM {table_name} WHERE id = {i}").fetchone() == (i,)
    assert conn.execute(f"SELECT id FROM {table_name} WHERE name = 'it''s'").fetchone() == (1,)
    assert conn.execute(f"SELECT id FROM {table_name} WHERE born = '2021-03-04'").fetchone() == (2,)
    assert conn.execute(f"SELECT id FROM {table_name} WHERE n > 1.75").fetchall() == [(2,)]
    assert conn.execute(f"SELECT id FROM {table_name} WHERE id >= -5 ORDER BY 1 DESC LIMIT 1"
                        ).fetchall() == [(3,)]
    assert conn.execute(f"SELECT id = 2 FROM {table_name} WHERE id = 2").fetchone() == (True,)
    conn.execute(f"UPDATE {table_name} SET name = 'z' WHERE id = 3")
    assert conn.execute(f"SELECT name FROM {table_name} WHERE id = 3").fetchone() == ("z",)
    with pytest.raises(psycopg.errors.InvalidTextRepresentation) as exc:
        conn.execute(f"SELECT id FROM {table_name} WHERE id = 'abc'")
    assert 'invalid input syntax for type bigint: "abc"' in str(exc.value)
    conn.rollback()
