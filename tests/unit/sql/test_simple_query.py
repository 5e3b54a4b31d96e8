"""split_and_lift: the shape cache must give exactly what split_statements and
auto_parameterize give for every text, whatever texts of the same shape came before."""

from __future__ import annotations

import pytest

from omendb_server.sql.simple_query import split_and_lift
from omendb_server.sql.utility import auto_parameterize, split_statements


def reference(sql: str):
    return [(s, auto_parameterize(s)) for s in split_statements(sql)]


SERIES = [
    # (texts of one shape, in order: the first teaches the cache, the rest must match the reference)
    ["SELECT abalance FROM pgbench_accounts WHERE aid = 1;",
     "SELECT abalance FROM pgbench_accounts WHERE aid = 987654;",
     "SELECT abalance FROM pgbench_accounts WHERE aid = 3000000000;",  # int8 now
     "SELECT abalance FROM pgbench_accounts WHERE aid = 99999999999999999999;",  # numeric
     "SELECT abalance FROM pgbench_accounts WHERE aid = 0007;"],
    ["SELECT * FROM t WHERE id = 5 LIMIT 10", "SELECT * FROM t WHERE id = 6 LIMIT 10",
     "SELECT * FROM t WHERE id = 6 LIMIT 11"],  # a kept number changed: not the cached text
    ["SELECT * FROM t2 WHERE name = 'n 12' AND id = 3", "SELECT * FROM t2 WHERE name = 'n 13' AND id = 4",
     "SELECT * FROM t2 WHERE name = 'n 12' AND id = 4"],
    ["SELECT * FROM t3 WHERE x = 1.5 AND y = 2", "SELECT * FROM t3 WHERE x = 1.5 AND y = 3",
     "SELECT * FROM t3 WHERE x = 1.6 AND y = 3"],
    ["SELECT * FROM t4 WHERE x = -5 AND c1 = 7", "SELECT * FROM t4 WHERE x = -6 AND c1 = 8"],
    ["SELECT 1", "SELECT 2"],
    ["SELECT 1; SELECT 2", "SELECT 3; SELECT 4"],
    ["  update t5 set v = 3 where id = 4 ;  ", "  update t5 set v = 5 where id = 6 ;  "],
    ["SELECT * FROM t6 WHERE id = 1 -- 5\n", "SELECT * FROM t6 WHERE id = 2 -- 5\n",
     "SELECT * FROM t6 WHERE id = 2 -- 6\n"],
    ["SELECT * FROM t7 WHERE id = $1", "SELECT * FROM t7 WHERE id = $2"],
    ["SELECT * FROM t8 WHERE id = 1e5", "SELECT * FROM t8 WHERE id = 2e5"],
    ["SELECT * FROM t9 WHERE id IN (1, 2)", "SELECT * FROM t9 WHERE id IN (3, 4)"],
    ["", ";", " ; ; "],
]


@pytest.mark.parametrize("texts", SERIES, ids=[s[0][:40] or "empty" for s in SERIES])
def test_same_answer_as_the_scanners(texts):
    for sql in texts:
        assert split_and_lift(sql) == reference(sql), sql


def test_a_learned_shape_lifts_the_new_digits():
    split_and_lift("SELECT v FROM acc WHERE id = 41")
    [(core, lifted)] = split_and_lift("SELECT v FROM acc WHERE id = 42")
    assert core == "SELECT v FROM acc WHERE id = 42"
    assert lifted == ("SELECT v FROM acc WHERE id = $1", [("42", 23)])
