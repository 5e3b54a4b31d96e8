"""COPY FROM STDIN's columnar path loads exactly what the row path loads.

The same bytes go into two tables of the same shape: ``col_*`` takes the columnar path,
``row_*`` has a ``CHECK (true)`` constraint, which keeps COPY on the row path. Contents,
errors (with PostgreSQL's line numbers), transaction visibility and durability after a
SIGKILL must be the same as for any other write.
"""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.usefixtures("managed_only")

COLUMNS = """(id int8 PRIMARY KEY, name text, v varchar(8), c char(4), price numeric(12,3),
              d date, ok bool, f float8, n int2)"""


def _make(conn, name: str, row_path: bool) -> None:
    check = ", CHECK (true)" if row_path else ""
    conn.execute(f"CREATE TABLE {name} {COLUMNS[:-1]}{check})")


def _copy(conn, sql: str, data: str) -> None:
    with conn.cursor() as cur:
        with cur.copy(sql) as cp:
            for i in range(0, len(data), 50_000):  # several CopyData messages
                cp.write(data[i:i + 50_000])


def _text_rows(n: int) -> str:
    out = []
    for i in range(1, n + 1):
        name = "\\N" if i % 11 == 0 else f"name é {i}"
        out.append(f"{i}\t{name}\tv{i % 1000}\t{'ab' if i % 2 else ''}\t{i * 1.125:.3f}\t"
                   f"20{i % 30:02d}-0{1 + i % 9}-1{i % 10}\t{'true' if i % 3 else 'F'}\t"
                   f"{i / 7}\t{i % 30000 - 15000}\n")
    return "".join(out)


def _contents(conn, name: str) -> list[tuple]:
    return conn.execute(f"SELECT * FROM {name} ORDER BY id").fetchall()


def test_text_and_csv_match_the_row_path(fresh_server):
    with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
        for fmt, data in (("text", _text_rows(12_000)),
                          ("csv", 'id,name,v,c,price,d,ok,f,n\n1,"a,""b""",x,,1.5,2020-01-02,t,0.5,1\n'
                                  '2,,"",z,-2,1999-12-31,no,-1e10,-3\n3,"",y,"q",0,2000-02-29,1,0,0\n')):
            _make(c, f"col_{fmt}", row_path=False)
            _make(c, f"row_{fmt}", row_path=True)
            opts = "" if fmt == "text" else " WITH (FORMAT csv, HEADER)"
            _copy(c, f"COPY col_{fmt} FROM STDIN{opts}", data)
            _copy(c, f"COPY row_{fmt} FROM STDIN{opts}", data)
            assert _contents(c, f"col_{fmt}") == _contents(c, f"row_{fmt}")
        assert c.execute("SELECT count(*) FROM col_text").fetchone()[0] == 12_000
        # the columnar rows are ordinary rows for every later statement
        c.execute("UPDATE col_text SET name = 'upd' WHERE id = 5")
        c.execute("DELETE FROM col_text WHERE id = 6")
        assert c.execute("SELECT name FROM col_text WHERE id IN (5, 6)").fetchall() == [("upd",)]
        files = [p.name for p in (fresh_server.data_dir / "base" / "omendb" / "segments").glob("bulk-*")] \
            if (fresh_server.data_dir / "base").exists() else \
            [p.name for p in (fresh_server.data_dir / "segments").glob("bulk-*")]
        assert files, "the columnar path writes its rows as a bulk file at commit"
    fresh_server.kill()  # SIGKILL: the commit records name the bulk files
    with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
        assert c.execute("SELECT count(*), sum(price) FROM col_text").fetchone() == \
            c.execute("SELECT count(*) - 1, sum(price) - 6.750 FROM row_text").fetchone()
        assert c.execute("SELECT name FROM col_text WHERE id = 5").fetchone() == ("upd",)
        assert _contents(c, "col_csv") == _contents(c, "row_csv")


@pytest.mark.parametrize("bad, sqlstate, message", [
    ("7\tx\tv\tc\tnot-a-number\t2020-01-01\tt\t1\t1\n", "22P02",
     'invalid input syntax for type numeric: "not-a-number"'),
    ("7\tx\tv\tc\t1.5\t2020-01-01\tt\t1\t40000\n", "22003",
     'value "40000" is out of range for type smallint'),
    ("7\tx\ttoo long value\tc\t1.5\t2020-01-01\tt\t1\t1\n", "22001",
     "value too long for type character varying(8)"),
    ("2\tx\tv\tc\t1.5\t2020-01-01\tt\t1\t1\n", "23505",
     'duplicate key value violates unique constraint "{t}_pkey"'),
    ("\\N\tx\tv\tc\t1.5\t2020-01-01\tt\t1\t1\n", "23502",
     'null value in column "id" of relation "{t}" violates not-null constraint'),
])
def test_errors_are_the_row_paths(omendb_server, table_name, bad, sqlstate, message):
    good = "".join(f"{i}\tn\tv\tc\t1.0\t2020-01-01\tt\t1\t1\n" for i in range(1, 4))
    with psycopg.connect(omendb_server.dsn, autocommit=True) as c:
        _make(c, table_name, row_path=False)
        with pytest.raises(psycopg.Error) as info:
            _copy(c, f"COPY {table_name} FROM STDIN", good + bad)
        assert info.value.sqlstate == sqlstate
        assert info.value.diag.message_primary == message.format(t=table_name)
        assert c.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0] == 0


def test_transaction_visibility_and_rollback(omendb_server, table_name):
    rows = "".join(f"{i}\tn\tv\tc\t1.0\t2020-01-01\tt\t1\t1\n" for i in range(1, 5001))
    with psycopg.connect(omendb_server.dsn, autocommit=True) as other, \
            psycopg.connect(omendb_server.dsn) as c:
        _make(other, table_name, row_path=False)
        _copy(c, f"COPY {table_name} FROM STDIN", rows)
        assert other.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0] == 0
        assert c.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0] == 5000  # own rows
        c.execute("SAVEPOINT s")
        _copy(c, f"COPY {table_name} FROM STDIN",
              "".join(f"{i}\tn\tv\tc\t1.0\t2020-01-01\tt\t1\t1\n" for i in range(6000, 6100)))
        c.execute("ROLLBACK TO SAVEPOINT s")
        c.commit()
        assert other.execute(f"SELECT count(*), max(id) FROM {table_name}").fetchone() == (5000, 5000)
        _copy(c, f"COPY {table_name} FROM STDIN",
              "".join(f"{i}\tn\tv\tc\t1.0\t2020-01-01\tt\t1\t1\n" for i in range(7000, 7100)))
        c.rollback()
        assert other.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0] == 5000


def test_binary_format_matches_the_row_path(omendb_server, table_name):
    import datetime as dt

    cols = "(id int8 PRIMARY KEY, n int4, s int2, f float8, ok bool, d date, t text, v varchar(5), c char(3))"
    types = ["int8", "int4", "int2", "float8", "bool", "date", "text", "varchar", "text"]
    rows = [(i, None if i % 7 == 0 else i * 3, i % 300 - 150, i / 4, i % 2 == 0,
             dt.date(1990, 1, 1) + dt.timedelta(days=i * 13), None if i % 5 == 0 else f"tëxt {i}",
             f"v{i % 100}", "ab" if i % 3 else "") for i in range(1, 9001)]
    with psycopg.connect(omendb_server.dsn, autocommit=True) as c:
        c.execute(f"CREATE TABLE {table_name}_col {cols}")
        c.execute(f"CREATE TABLE {table_name}_row {cols[:-1]}, CHECK (true))")
        for suffix in ("col", "row"):
            with c.cursor() as cur:
                with cur.copy(f"COPY {table_name}_{suffix} FROM STDIN (FORMAT binary)") as cp:
                    cp.set_types(types)
                    for r in rows:
                        cp.write_row(r)
        got = c.execute(f"SELECT * FROM {table_name}_col ORDER BY id").fetchall()
        assert got == c.execute(f"SELECT * FROM {table_name}_row ORDER BY id").fetchall()
        assert got[4] == (5, 15, -145, 1.25, False, dt.date(1990, 1, 1) + dt.timedelta(days=65),
                          None, "v5", "ab ")
        # a value too long for varchar(5): the row path's 22001, nothing loaded
        with pytest.raises(psycopg.errors.StringDataRightTruncation):
            with c.cursor() as cur:
                with cur.copy(f"COPY {table_name}_col FROM STDIN (FORMAT binary)") as cp:
                    cp.set_types(types)
                    cp.write_row((100000, 1, 1, 1.0, True, dt.date(2000, 1, 1), "x", "toolong", "a"))
        assert c.execute(f"SELECT count(*) FROM {table_name}_col").fetchone()[0] == 9000
