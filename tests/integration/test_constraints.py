"""Constraints as PostgreSQL 15 enforces them: NOT NULL, CHECK, FOREIGN KEY actions,
generated columns, identity, with PostgreSQL's SQLSTATEs, names and messages
(checked against a real PostgreSQL 15 while writing these)."""

from __future__ import annotations

import pytest
from psycopg import errors as pge


def test_not_null_message_and_failing_row(conn, unique_name):
    t = unique_name("nn")
    conn.execute(f"CREATE TABLE {t} (a int NOT NULL, b text)")
    with pytest.raises(pge.NotNullViolation) as exc:
        conn.execute(f"INSERT INTO {t} VALUES (NULL, 'x')")
    assert str(exc.value.diag.message_primary) == (
        f'null value in column "a" of relation "{t}" violates not-null constraint')
    assert exc.value.diag.message_detail == "Failing row contains (null, x)."


def test_check_constraints_named_like_postgres(conn, unique_name):
    t = unique_name("ck")
    conn.execute(f"CREATE TABLE {t} (a int, b int, CHECK (a < b), CHECK (a > 0), "
                 "c int CHECK (c > 0) CHECK (c < 10))")
    conn.commit()
    cases = [
        ("(2, 1, 3)", f"{t}_check"),
        ("(-1, 1, 3)", f"{t}_a_check"),
        ("(1, 2, 0)", f"{t}_c_check"),
        ("(1, 2, 10)", f"{t}_c_check1"),
    ]
    for row, name in cases:
        with pytest.raises(pge.CheckViolation) as exc:
            conn.execute(f"INSERT INTO {t} VALUES {row}")
        assert exc.value.diag.constraint_name == name
        assert exc.value.diag.message_primary == (
            f'new row for relation "{t}" violates check constraint "{name}"')
        assert exc.value.diag.message_detail == f"Failing row contains {row.replace(' ', ' ')}."
        conn.rollback()
    # NULL passes a CHECK; UPDATE is checked too
    conn.execute(f"INSERT INTO {t} VALUES (NULL, 1, 5)")
    with pytest.raises(pge.CheckViolation):
        conn.execute(f"UPDATE {t} SET c = 99")
    conn.rollback()


def test_foreign_key_no_action_and_detail(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (id int PRIMARY KEY, pid int REFERENCES {p})")
    conn.commit()
    with pytest.raises(pge.ForeignKeyViolation) as exc:
        conn.execute(f"INSERT INTO {c} VALUES (1, 7)")
    assert exc.value.diag.constraint_name == f"{c}_pid_fkey"
    assert exc.value.diag.message_primary == (
        f'insert or update on table "{c}" violates foreign key constraint "{c}_pid_fkey"')
    assert exc.value.diag.message_detail == f'Key (pid)=(7) is not present in table "{p}".'
    conn.rollback()
    conn.execute(f"INSERT INTO {p} VALUES (7)")
    conn.execute(f"INSERT INTO {c} VALUES (1, 7), (2, NULL)")
    conn.commit()
    with pytest.raises(pge.ForeignKeyViolation) as exc:
        conn.execute(f"DELETE FROM {p}")
    assert exc.value.diag.message_primary == (
        f'update or delete on table "{p}" violates foreign key constraint "{c}_pid_fkey" '
        f'on table "{c}"')
    assert exc.value.diag.message_detail == f'Key (id)=(7) is still referenced from table "{c}".'
    conn.rollback()
    # a parent inserted in the same statement as its child's reference is found
    conn.execute(f"UPDATE {c} SET pid = NULL")
    conn.execute(f"DELETE FROM {p}")
    conn.commit()


def test_foreign_key_actions(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY, code text UNIQUE)")
    conn.execute(
        f"CREATE TABLE {c} (id int PRIMARY KEY, "
        f"a int REFERENCES {p} ON DELETE CASCADE ON UPDATE CASCADE, "
        f"b text REFERENCES {p}(code) ON DELETE SET NULL ON UPDATE SET DEFAULT, "
        f"d int DEFAULT 0 REFERENCES {p} ON DELETE SET DEFAULT)")
    conn.execute(f"INSERT INTO {p} VALUES (0, 'zero'), (1, 'one'), (2, 'two')")
    conn.execute(f"INSERT INTO {c} VALUES (10, 1, 'one', 2), (11, 2, 'two', 1)")
    conn.commit()
    # a cascades, but row 11's d (ON UPDATE NO ACTION) still references 1
    with pytest.raises(pge.ForeignKeyViolation) as exc:
        conn.execute(f"UPDATE {p} SET id = 5 WHERE id = 1")
    assert exc.value.diag.constraint_name == f"{c}_d_fkey"
    conn.rollback()
    conn.execute(f"DELETE FROM {c} WHERE id = 11")
    conn.execute(f"UPDATE {p} SET id = 5 WHERE id = 1")
    assert conn.execute(f"SELECT id, a, b, d FROM {c}").fetchall() == [(10, 5, "one", 2)]
    conn.execute(f"UPDATE {p} SET code = 'uno' WHERE id = 5")
    assert conn.execute(f"SELECT b FROM {c}").fetchall() == [(None,)]
    conn.execute(f"DELETE FROM {p} WHERE id = 2")  # d SET DEFAULT (0 exists)
    assert conn.execute(f"SELECT d FROM {c}").fetchall() == [(0,)]
    conn.execute(f"DELETE FROM {p} WHERE id = 5")  # a CASCADE
    assert conn.execute(f"SELECT count(*) FROM {c}").fetchone() == (0,)
    conn.commit()


def test_restrict_and_self_reference(conn, unique_name):
    p, c, t = unique_name("p"), unique_name("c"), unique_name("tree")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (x int REFERENCES {p}(id) ON DELETE RESTRICT)")
    conn.execute(f"INSERT INTO {p} VALUES (1)")
    conn.execute(f"INSERT INTO {c} VALUES (1)")
    conn.commit()
    with pytest.raises(pge.ForeignKeyViolation):
        conn.execute(f"DELETE FROM {p}")
    conn.rollback()
    conn.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, parent int REFERENCES {t} "
                 "ON DELETE CASCADE)")
    # rows referencing rows later in the same statement are fine (checked at its end)
    conn.execute(f"INSERT INTO {t} VALUES (2, 1), (1, NULL), (3, 2)")
    conn.execute(f"DELETE FROM {t} WHERE id = 1")
    assert conn.execute(f"SELECT count(*) FROM {t}").fetchone() == (0,)
    conn.commit()


def test_foreign_key_requires_unique_target(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY, v int)")
    with pytest.raises(pge.InvalidForeignKey):
        conn.execute(f"CREATE TABLE {c} (x int REFERENCES {p}(v))")
    conn.rollback()


def test_generated_stored_and_identity(conn, unique_name):
    t = unique_name("g")
    conn.execute(f"CREATE TABLE {t} (a int, b int GENERATED ALWAYS AS (a * 2) STORED, "
                 "s serial, i int GENERATED ALWAYS AS IDENTITY, "
                 "j bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 10 INCREMENT BY 5))")
    row = conn.execute(f"INSERT INTO {t} (a) VALUES (3) RETURNING a, b, s, i, j").fetchone()
    assert row == (3, 6, 1, 1, 10)
    assert conn.execute(f"INSERT INTO {t} (a, j) VALUES (4, 99) RETURNING b, j").fetchone() == (8, 99)
    assert conn.execute(f"UPDATE {t} SET a = 10 WHERE a = 3 RETURNING b").fetchone() == (20,)
    conn.commit()
    with pytest.raises(pge.GeneratedAlways) as exc:
        conn.execute(f"INSERT INTO {t} (a, b) VALUES (3, 4)")
    assert exc.value.diag.message_primary == 'cannot insert a non-DEFAULT value into column "b"'
    assert exc.value.diag.message_detail == 'Column "b" is a generated column.'
    conn.rollback()
    with pytest.raises(pge.GeneratedAlways) as exc:
        conn.execute(f"INSERT INTO {t} (a, i) VALUES (3, 4)")
    assert exc.value.diag.message_detail == (
        'Column "i" is an identity column defined as GENERATED ALWAYS.')
    conn.rollback()
    with pytest.raises(pge.GeneratedAlways):
        conn.execute(f"UPDATE {t} SET b = 1")
    conn.rollback()
    assert conn.execute(f"INSERT INTO {t} (a, b) VALUES (1, DEFAULT) RETURNING b").fetchone() == (2,)
    conn.rollback()


def test_default_expressions(conn, unique_name):
    t, s = unique_name("d"), unique_name("s")
    conn.execute(f"CREATE SEQUENCE {s} START 100")
    conn.execute(f"CREATE TABLE {t} (id int DEFAULT nextval('{s}'), ts timestamptz DEFAULT now(), "
                 "n text DEFAULT 'x' || 'y')")
    row = conn.execute(f"INSERT INTO {t} DEFAULT VALUES RETURNING id, ts IS NOT NULL, n").fetchone()
    assert row == (100, True, "xy")
    rows = conn.execute(f"INSERT INTO {t} (id, n) VALUES (DEFAULT, 'a'), (5, DEFAULT) "
                        "RETURNING id, n").fetchall()
    assert rows == [(101, "a"), (5, "xy")]
    conn.commit()


def test_constraints_survive_restart(fresh_server):
    c = fresh_server.connect(autocommit=True)
    c.execute("CREATE TABLE p (id int PRIMARY KEY)")
    c.execute("CREATE TABLE ch (id int PRIMARY KEY, pid int REFERENCES p ON DELETE CASCADE, "
              "v int CHECK (v > 0), g int GENERATED ALWAYS AS (v + 1) STORED)")
    c.execute("INSERT INTO p VALUES (1)")
    c.execute("INSERT INTO ch (id, pid, v) VALUES (1, 1, 5)")
    c.close()
    fresh_server.restart()
    c = fresh_server.connect(autocommit=True)
    with pytest.raises(pge.CheckViolation):
        c.execute("INSERT INTO ch (id, pid, v) VALUES (2, 1, 0)")
    with pytest.raises(pge.ForeignKeyViolation):
        c.execute("INSERT INTO ch (id, pid, v) VALUES (2, 9, 1)")
    assert c.execute("SELECT g FROM ch").fetchall() == [(6,)]
    c.execute("DELETE FROM p")
    assert c.execute("SELECT count(*) FROM ch").fetchone() == (0,)
    c.close()


def test_defaults_and_checks_print_like_postgres(conn, unique_name):
    """pg_get_expr / pg_get_constraintdef show the parsed expression as PostgreSQL 15
    does (psql \\d and ORM reflection read these strings)."""
    t = unique_name("dp")
    conn.execute(
        f"CREATE TABLE {t} (a int DEFAULT -1, b text DEFAULT 'x', "
        "c varchar(10) DEFAULT 'y' CHECK (c <> ''), d numeric DEFAULT 1.5, e bool DEFAULT true, "
        "f timestamptz DEFAULT now(), g timestamp DEFAULT current_timestamp, "
        "h jsonb DEFAULT '{}', i int DEFAULT 1 + 2, j text CHECK (j IN ('a', 'b')), "
        "k int CHECK (k BETWEEN 1 AND 5), l int CHECK (k > 0 AND l IS NOT NULL), "
        "m text CHECK (m LIKE 'a%'), n text CHECK (char_length(n) < 5), "
        "o int GENERATED ALWAYS AS (a * 2 + i) STORED, p date DEFAULT current_date, "
        "r int CHECK (NOT (r = 3)), v int CHECK (v > -5))")
    defaults = conn.execute(
        "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d "
        "JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
        f"WHERE d.adrelid = '{t}'::regclass ORDER BY a.attnum").fetchall()
    assert defaults == [
        ("a", "'-1'::integer"), ("b", "'x'::text"), ("c", "'y'::character varying"),
        ("d", "1.5"), ("e", "true"), ("f", "now()"), ("g", "CURRENT_TIMESTAMP"),
        ("h", "'{}'::jsonb"), ("i", "(1 + 2)"), ("o", "((a * 2) + i)"), ("p", "CURRENT_DATE")]
    checks = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
        f"WHERE conrelid = '{t}'::regclass ORDER BY conname").fetchall()
    assert [c for (c,) in checks] == [
        "CHECK (((c)::text <> ''::text))",
        "CHECK (((k > 0) AND (l IS NOT NULL)))",
        "CHECK ((j = ANY (ARRAY['a'::text, 'b'::text])))",
        "CHECK (((k >= 1) AND (k <= 5)))",
        "CHECK ((m ~~ 'a%'::text))",
        "CHECK ((char_length(n) < 5))",
        "CHECK ((NOT (r = 3)))",
        "CHECK ((v > '-5'::integer))",
    ]
    row = conn.execute(f"INSERT INTO {t} (j, k, l, m, n, v) VALUES ('a', 2, 1, 'ab', 'x', 0) "
                       "RETURNING a, b, c, d, i, o").fetchone()
    assert row == (-1, "x", "y", __import__("decimal").Decimal("1.5"), 3, 1)
    conn.rollback()


def test_truncate_with_foreign_keys(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (x int REFERENCES {p})")
    conn.execute(f"INSERT INTO {p} VALUES (1)")
    conn.execute(f"INSERT INTO {c} VALUES (1)")
    conn.commit()
    with pytest.raises(pge.FeatureNotSupported) as exc:
        conn.execute(f"TRUNCATE {p}")
    assert exc.value.diag.message_detail == f'Table "{c}" references "{p}".'
    conn.rollback()
    conn.execute(f"TRUNCATE {p}, {c}")
    conn.rollback()
    conn.execute(f"TRUNCATE {p} CASCADE")
    assert conn.execute(f"SELECT count(*) FROM {c}").fetchone() == (0,)
    conn.commit()


def test_copy_checks_constraints(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (id int, pid int REFERENCES {p}, v int CHECK (v > 0), "
                 "g int GENERATED ALWAYS AS (v * 10) STORED)")
    conn.execute(f"INSERT INTO {p} VALUES (1)")
    conn.commit()
    with conn.cursor() as cur, cur.copy(f"COPY {c} (id, pid, v) FROM STDIN") as cp:
        cp.write_row((1, 1, 5))
    assert conn.execute(f"SELECT id, pid, v, g FROM {c}").fetchall() == [(1, 1, 5, 50)]
    conn.commit()
    with pytest.raises(pge.CheckViolation), conn.cursor() as cur, \
            cur.copy(f"COPY {c} (id, pid, v) FROM STDIN") as cp:
        cp.write_row((2, 1, -5))
    conn.rollback()
    with pytest.raises(pge.ForeignKeyViolation), conn.cursor() as cur, \
            cur.copy(f"COPY {c} (id, pid, v) FROM STDIN") as cp:
        cp.write_row((2, 7, 5))
    conn.rollback()


def test_uuid_default(conn, unique_name):
    t = unique_name("u")
    conn.execute(f"CREATE TABLE {t} (id uuid DEFAULT gen_random_uuid() PRIMARY KEY, v int)")
    rows = conn.execute(f"INSERT INTO {t} (v) VALUES (1), (2) RETURNING id").fetchall()
    assert len({r[0] for r in rows}) == 2
    assert conn.execute(
        "SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef "
        f"WHERE adrelid = '{t}'::regclass").fetchone() == ("gen_random_uuid()",)
    conn.rollback()


def test_initially_deferred_foreign_key_checked_at_commit(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (id int PRIMARY KEY, pid int REFERENCES {p} "
                 "DEFERRABLE INITIALLY DEFERRED)")
    conn.commit()
    conn.execute(f"INSERT INTO {c} VALUES (1, 10)")  # parent arrives later in the txn
    conn.execute(f"INSERT INTO {p} VALUES (10)")
    conn.commit()
    conn.execute(f"INSERT INTO {c} VALUES (2, 20)")
    with pytest.raises(pge.ForeignKeyViolation) as exc:
        conn.commit()
    assert exc.value.diag.message_detail == f'Key (pid)=(20) is not present in table "{p}".'
    conn.execute(f"DELETE FROM {p}")  # NO ACTION is deferred too: fixed before commit
    conn.execute(f"DELETE FROM {c}")
    conn.commit()
    assert conn.execute(f"SELECT count(*) FROM {c}").fetchone() == (0,)
    conn.commit()


def test_set_constraints(conn, unique_name):
    p, c = unique_name("p"), unique_name("c")
    conn.execute(f"CREATE TABLE {p} (id int PRIMARY KEY)")
    conn.execute(f"CREATE TABLE {c} (id int PRIMARY KEY, pid int REFERENCES {p} DEFERRABLE, "
                 f"rid int CONSTRAINT {c}_rfk REFERENCES {p})")
    conn.commit()
    conn.execute("SET CONSTRAINTS ALL DEFERRED")
    conn.execute(f"INSERT INTO {c} VALUES (1, 10, NULL)")
    with pytest.raises(pge.ForeignKeyViolation):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # runs the deferred check now
    conn.rollback()
    with pytest.raises(pge.WrongObjectType):
        conn.execute(f"SET CONSTRAINTS {c}_rfk DEFERRED")
    conn.rollback()
    conn.execute(f"SET CONSTRAINTS {c}_pid_fkey DEFERRED")
    conn.execute(f"INSERT INTO {c} VALUES (2, 20, NULL)")
    conn.execute(f"INSERT INTO {p} VALUES (20)")
    conn.commit()


def test_generated_columns_in_copy_and_added_columns(conn, unique_name):
    t, a = unique_name("gc"), unique_name("ga")
    conn.execute(f"CREATE TABLE {t} (a int, b int GENERATED ALWAYS AS (a * 2) STORED)")
    with conn.cursor() as cur, cur.copy(f"COPY {t} FROM STDIN") as cp:
        cp.write_row((5,))  # generated columns are not in COPY's default column list
    with conn.cursor() as cur, cur.copy(f"COPY {t} TO STDOUT") as cp:
        assert list(cp.rows()) == [("5",)]
    assert conn.execute(f"SELECT * FROM {t}").fetchall() == [(5, 10)]
    conn.commit()
    with pytest.raises(pge.InvalidColumnReference), conn.cursor() as cur, \
            cur.copy(f"COPY {t} (a, b) FROM STDIN") as cp:
        cp.write_row((5, 1))
    conn.rollback()
    conn.execute(f"CREATE TABLE {a} (a int)")
    conn.execute(f"INSERT INTO {a} VALUES (1), (2)")
    conn.execute(f"ALTER TABLE {a} ADD COLUMN b int GENERATED ALWAYS AS (a + 10) STORED")
    conn.execute(f"ALTER TABLE {a} ADD COLUMN s serial")
    assert conn.execute(f"SELECT * FROM {a} ORDER BY a").fetchall() == [(1, 11, 1), (2, 12, 2)]
    conn.commit()


def test_insert_overriding_system_and_user_value(conn, unique_name):
    t = unique_name("ov")
    conn.execute(f"CREATE TABLE {t} (id int GENERATED ALWAYS AS IDENTITY, v text, "
                 "g int GENERATED ALWAYS AS (1) STORED)")
    assert conn.execute(f"INSERT INTO {t} (id, v) OVERRIDING SYSTEM VALUE VALUES (10, 'a') "
                        "RETURNING id").fetchone() == (10,)
    assert conn.execute(f"INSERT INTO {t} (id, v) OVERRIDING USER VALUE VALUES (99, 'b') "
                        "RETURNING id").fetchone() == (1,)
    with pytest.raises(pge.GeneratedAlways):
        conn.execute(f"INSERT INTO {t} (v, g) OVERRIDING SYSTEM VALUE VALUES ('c', 5)")
    conn.rollback()
