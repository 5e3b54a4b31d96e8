"""The differential harness's own rules (no servers): splitting, ORDER BY detection, comparison.

A bug here would make the differential tests pass or fail for the wrong reason, so the rules the
corpus relies on are pinned down.
"""

from __future__ import annotations

from differential.harness import (
    FLOAT_AGGREGATE,
    Result,
    compare,
    has_top_level_order_by,
    split_statements,
)


def test_split_statements_respects_quotes_comments_and_dollar_quotes():
    text = """
    -- a comment; with a semicolon
    SELECT ';' AS a, "x;y" FROM t;  /* block; comment */ SELECT 'it''s;';
    SELECT $$ ; $$, $tag$ ;; $tag$;
    SELECT 1
    """
    assert split_statements(text) == [
        "SELECT ';' AS a, \"x;y\" FROM t",
        "SELECT 'it''s;'",
        "SELECT $$ ; $$, $tag$ ;; $tag$",
        "SELECT 1",
    ]


def test_float_tolerance_only_for_queries_with_float_aggregates():
    assert FLOAT_AGGREGATE.search("SELECT sum(f8) FROM t")
    assert FLOAT_AGGREGATE.search("SELECT stddev_pop(x), 1 FROM t")
    assert not FLOAT_AGGREGATE.search("SELECT 0.1::float8 + 0.2, summary FROM t")


def test_only_an_outermost_order_by_makes_a_query_ordered():
    assert has_top_level_order_by("SELECT a FROM t ORDER BY a")
    assert has_top_level_order_by("SELECT a FROM t UNION SELECT b FROM u ORDER BY 1")
    assert not has_top_level_order_by("SELECT row_number() OVER (ORDER BY a) FROM t")
    assert not has_top_level_order_by("SELECT * FROM (SELECT a FROM t ORDER BY a LIMIT 2) s")
    assert not has_top_level_order_by("SELECT string_agg(a, ',' ORDER BY a) FROM t")


def _ok(rows, cols=(("a", 23, -1),)):
    return Result(columns=list(cols), rows=[tuple(r) for r in rows])


def test_unordered_results_compare_as_multisets_ordered_ones_row_by_row():
    pg, om = _ok([["1"], ["2"], [None]]), _ok([[None], ["2"], ["1"]])
    assert compare(pg, om, ordered=False) is None
    assert compare(pg, om, ordered=True) is not None
    assert compare(_ok([["1"], ["1"]]), _ok([["1"]]), ordered=False) == "1 rows instead of 2"


def test_errors_compare_by_sqlstate_only():
    assert compare(Result(sqlstate="22012", message="division by zero"),
                   Result(sqlstate="22012", message="other words"), ordered=False) is None
    assert "22003" in compare(Result(sqlstate="22012"), Result(sqlstate="22003"), ordered=False)
    assert "OmenDB ok" in compare(Result(sqlstate="22012"), _ok([["1"]]), ordered=False)


def test_column_names_types_and_typmods_must_match():
    assert "names" in compare(_ok([], [("a", 23, -1)]), _ok([], [("b", 23, -1)]), ordered=False)
    assert "OIDs" in compare(_ok([], [("a", 23, -1)]), _ok([], [("a", 20, -1)]), ordered=False)
    assert "typmods" in compare(_ok([], [("a", 1043, 24)]), _ok([], [("a", 1043, -1)]), ordered=False)


def test_floats_compare_to_12_digits_only_with_the_aggregate_tolerance():
    f8 = (("f", 701, -1),)
    assert compare(_ok([["0.30000000000000004"]], f8), _ok([["0.3"]], f8), ordered=False) is None
    assert compare(_ok([["0.3"]], f8), _ok([["0.300000004"]], f8), ordered=False) is not None
    assert compare(_ok([["NaN"]], f8), _ok([["NaN"]], f8), ordered=False) is None
    exact = compare(_ok([["0.30000000000000004"]], f8), _ok([["0.3"]], f8), ordered=False, float_tolerance=False)
    assert exact is not None
    numeric = (("n", 1700, -1),)
    assert compare(_ok([["1.0"]], numeric), _ok([["1"]], numeric), ordered=False) is not None
