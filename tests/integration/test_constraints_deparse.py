"""CHECK expressions printed as PostgreSQL 15's pg_get_constraintdef(oid[, pretty]) prints
them (expected strings taken from a real PostgreSQL 15 for the same DDL)."""

from __future__ import annotations

import pytest
import sqlglot

from omendb_server.catalog.deparse import check_text
from omendb_server.datatypes import type_by_name

COLUMNS = {n: type_by_name(t) for n, t in {
    "a": "int4", "b": "int4", "c": "text", "d": "varchar", "price": "numeric", "f": "float8",
    "n": "numeric", "k": "int4", "v": "varchar"}.items()}

CASES = [
    ("a + 1 > b * 2", "((a + 1) > (b * 2))", "(a + 1) > (b * 2)"),
    ("a - (b - 1) > 0", "((a - (b - 1)) > 0)", "(a - (b - 1)) > 0"),
    ("(a + b) * 2 < 100", "(((a + b) * 2) < 100)", "((a + b) * 2) < 100"),
    ("not (a > 1 and b > 1)", "(NOT ((a > 1) AND (b > 1)))", "NOT (a > 1 AND b > 1)"),
    ("a > 0 and (b > 0 or c is null)", "((a > 0) AND ((b > 0) OR (c IS NULL)))",
     "a > 0 AND (b > 0 OR c IS NULL)"),
    ("c like 'x%' or c ilike 'y%'", "((c ~~ 'x%'::text) OR (c ~~* 'y%'::text))",
     "c ~~ 'x%'::text OR c ~~* 'y%'::text"),
    ("c not in ('q')", "(c <> 'q'::text)", "c <> 'q'::text"),
    ("d <> ''", "((d)::text <> ''::text)", "d::text <> ''::text"),
    ("a is not null", "(a IS NOT NULL)", "a IS NOT NULL"),
    ("c ~ 'a' and c !~ 'b'", "((c ~ 'a'::text) AND (c !~ 'b'::text))",
     "c ~ 'a'::text AND c !~ 'b'::text"),
    ("a * -1 < 5", "((a * '-1'::integer) < 5)", "(a * '-1'::integer) < 5"),
    ("price > 0", "(price > (0)::numeric)", "price > 0::numeric"),
    ("f > 1.5", "(f > (1.5)::double precision)", "f > 1.5::double precision"),
    ("n between 1 and 2.5", "((n >= (1)::numeric) AND (n <= 2.5))",
     "n >= 1::numeric AND n <= 2.5"),
    ("k > 0 and k < 10 or k = 100", "(((k > 0) AND (k < 10)) OR (k = 100))",
     "k > 0 AND k < 10 OR k = 100"),
    ("v in ('a','b')",
     "((v)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
     "v::text = ANY (ARRAY['a'::character varying, 'b'::character varying]::text[])"),
]


@pytest.mark.parametrize(("source", "plain", "pretty"), CASES)
def test_check_deparse_matches_postgres(source, plain, pretty):
    node = sqlglot.parse_one(source, read="postgres")
    assert check_text(node, COLUMNS) == plain
    assert check_text(node, COLUMNS, pretty=True) == pretty
