"""Statement text → Plan, with the parse cached by text.

sqlglot costs ~45 µs for a simple SELECT, more than the rest of a point query,
so parsed trees are cached by statement text; plans are cached one level up
(the engine), keyed also by parameter types and catalog version.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from omendb_server import errors
from omendb_server.catalog import Catalog
from omendb_server.datatypes import DataType
from omendb_server.sql import pg_syntax
from omendb_server.sql.databases import is_database_statement, plan_database_statement
from omendb_server.sql.plan import Plan
from omendb_server.sql.planner import Planner
from omendb_server.sql.utility import (
    parse_utility,
    qualify_oid_arrays,
    space_out_parameters,
)

_OVERRIDING = re.compile(r"\bOVERRIDING\s+(SYSTEM|USER)\s+VALUE\b", re.IGNORECASE)


_IDENTITY_OPTS = re.compile(r"(\bAS\s+IDENTITY\s*)\(([^)]*)\)", re.IGNORECASE)
_SEQ_OPTION = re.compile(
    r"(START\s+(?:WITH\s+)?[-+]?\d+|INCREMENT\s+(?:BY\s+)?[-+]?\d+|NO\s+MINVALUE|"
    r"NO\s+MAXVALUE|NO\s+CYCLE|MINVALUE\s+[-+]?\d+|MAXVALUE\s+[-+]?\d+|CYCLE|CACHE\s+\d+)",
    re.IGNORECASE)
_SEQ_ORDER = ("START", "INCREMENT", "MINVALUE", "MAXVALUE", "CYCLE")


def _identity_options(m: "re.Match[str]", caches: list[int | None]) -> str:
    """Identity options in the one order sqlglot parses (PostgreSQL takes any order);
    the NO ... forms are the defaults, so they go. sqlglot does not parse CACHE: its value
    is cut out and appended to ``caches`` (one entry per identity clause), to be put back
    on the tree."""
    opts = _SEQ_OPTION.findall(m.group(2))
    if " ".join(opts).split() != m.group(2).split():
        caches.append(None)
        return m.group(0)  # something else in there: let the parser report it
    cache = [int(o.split()[1]) for o in opts if o.upper().startswith("CACHE")]
    caches.append(cache[-1] if cache else None)
    kept = [o for o in opts if not o.upper().startswith(("NO ", "CACHE"))]
    kept.sort(key=lambda o: _SEQ_ORDER.index(o.split()[0].upper()))
    return f"{m.group(1)}({' '.join(kept)})" if kept else m.group(1).rstrip()


@lru_cache(maxsize=4096)
def parse_sql(sql: str) -> exp.Expression:
    caches: list[int | None] = []
    if "IDENTITY" in sql.upper() and "(" in sql:
        sql = _IDENTITY_OPTS.sub(lambda m: _identity_options(m, caches), sql)
    overriding = None
    if sql[:6].upper() == "INSERT" or sql.lstrip()[:6].upper() == "INSERT":
        m = _OVERRIDING.search(sql)  # INSERT ... OVERRIDING {SYSTEM|USER} VALUE (H-ddl)
        if m:  # sqlglot does not parse it: cut it out, keep it on the tree
            overriding = m.group(1).upper()
            sql = sql[:m.start()] + sql[m.end():]
    tree = _parse_one(sql)
    if overriding is not None and isinstance(tree, exp.Insert):
        tree.set("overriding", overriding)
    if any(c is not None for c in caches):
        for node, cache in zip(tree.find_all(exp.GeneratedAsIdentityColumnConstraint,
                                             bfs=False), caches):
            if cache is not None:
                node.set("cache", exp.Literal.number(cache))
    return tree


def _parse_one(sql: str) -> exp.Expression:
    text = qualify_oid_arrays(space_out_parameters(pg_syntax.prepare(sql)))
    first: Exception | None = None
    for _ in range(8):
        try:
            trees = sqlglot.parse(text, read="postgres")
            break
        except (ParseError, TokenError) as e:
            first = first or e
            renamed = _rename_misparsed_call(text, e)
            if renamed is None:
                raise _syntax_error(sql, first) from None
            text = renamed
    else:
        raise _syntax_error(sql, first)  # type: ignore[arg-type]
    if text is not sql and _RENAMED in text:
        for trees_node in trees:
            for call in (trees_node.find_all(exp.Anonymous) if trees_node is not None else ()):
                if call.name.startswith(_RENAMED):
                    call.set("this", call.name[len(_RENAMED):])
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise errors.SyntaxError("cannot insert multiple commands into a prepared statement",
                                 "42601")
    tree = trees[0]
    if isinstance(tree, exp.Command):
        word = str(tree.this).split()[0] if tree.this else sql.split()[0]
        raise errors.SyntaxError(f'syntax error at or near "{word}"')
    pg_syntax.check_tree(tree)
    tree = pg_syntax.rewrite_tree(tree)
    # PostgreSQL folds unquoted identifiers to lower case (CREATE TABLE Foo is "foo")
    return normalize_identifiers(tree, dialect="postgres")


_RENAMED = "omendb_wrong_arity__"
_ARITY_ERRORS = ("Required keyword: ", "The number of provided arguments")


def _rename_misparsed_call(text: str, e: Exception) -> str | None:
    """sqlglot refuses a known function called with the wrong number of arguments
    (``repeat('x', 3, 4)``, ``max()``); PostgreSQL parses it and then finds no such
    function (42883). Renaming the call (back after parsing) makes sqlglot parse a plain
    call, which function resolution then rejects with PostgreSQL's message."""
    details = getattr(e, "errors", None) or []
    description = str(details[0].get("description", "")) if details else ""
    if not description.startswith(_ARITY_ERRORS):
        return None
    m = re.search(r"<class 'sqlglot\.expressions\.[\w.]*?(\w+)'>", description)
    if m is not None and not issubclass(getattr(exp, m.group(1), exp.Expression), exp.Func):
        return None  # a missing part of some other construct: a plain syntax error
    line, col = details[0].get("line"), details[0].get("col")
    if not line or not col:
        return None
    lines = text.split("\n")
    end = sum(len(x) + 1 for x in lines[: line - 1]) + col  # just past the call's ")"
    depth = 0
    for i in range(min(end, len(text)) - 1, -1, -1):
        ch = text[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", text[:i])
                if m is None:
                    return None
                return f"{text[:m.start()]}{_RENAMED}{m.group(1).lower()}{text[m.end():]}"
    return None


def _syntax_error(sql: str, e: Exception) -> errors.DBError:
    details = getattr(e, "errors", None) or []
    token = None
    position = None
    if details:
        d = details[0]
        token = (d.get("highlight") or "").strip() or None
        line, col = d.get("line"), d.get("col")
        if line and col:
            lines = sql.split("\n")
            position = sum(len(x) + 1 for x in lines[: line - 1]) + col - (len(token or "") - 1)
    if token:
        return errors.SyntaxError(f'syntax error at or near "{token}"',
                                  position=max(1, position) if position else None)
    return errors.SyntaxError("syntax error at end of input")


_EXPLAIN = re.compile(
    r"^\s*EXPLAIN\b(?:\s*\(([^)]*)\))?\s*(ANALY[SZ]E\b)?\s*(VERBOSE\b)?\s*(.*)$", re.I | re.S)


def _explain(m: "re.Match[str]", catalog: Catalog, param_types: list[DataType | None]) -> Plan:
    import time

    from omendb_server.sql.explain import COLUMNS, ExplainPlan

    analyze = bool(m.group(2))
    for option in (m.group(1) or "").split(","):
        words = option.strip().lower().split()
        if words and words[0] in ("analyze", "analyse"):
            analyze = len(words) == 1 or words[1] in ("true", "on", "1")
    start = time.perf_counter()
    inner = compile_statement(m.group(4), catalog, param_types)
    planning_ms = (time.perf_counter() - start) * 1000
    return ExplainPlan(columns=COLUMNS, param_types=inner.param_types, kind=inner.kind,
                       writes=inner.writes and analyze, inner=inner, analyze=analyze,
                       planning_ms=planning_ms)


def compile_statement(sql: str, catalog: Catalog, param_types: list[DataType | None]) -> Plan:
    """One statement's text → an executable plan (utility statements short-circuit)."""
    if sql[:8].upper().lstrip().startswith("EXPLAIN"):
        m = _EXPLAIN.match(sql)
        if m:
            return _explain(m, catalog, param_types)
    plan = parse_utility(sql)
    if plan is not None:
        return plan
    if sql.lstrip()[:4].upper() in ("CREA", "DROP") and is_database_statement(sql):
        return plan_database_statement(sql)
    if sql.lstrip()[:4].upper() in ("DECL", "FETC", "MOVE", "CLOS"):
        from omendb_server.sql.cursors import is_cursor_statement, plan_cursor_statement

        if is_cursor_statement(sql):
            return plan_cursor_statement(
                sql, lambda query: compile_statement(query, catalog, param_types))
    if sql.lstrip()[:4].upper() in ("CREA", "REFR"):
        from omendb_server.sql.matviews import is_matview_statement, plan_matview_statement

        if is_matview_statement(sql):
            return plan_matview_statement(sql, Planner(catalog, param_types))
    if sql[:5].upper() == "COPY " or sql[:5].upper() == "COPY\t" or sql[:5].upper() == "COPY\n":
        from omendb_server.sql.copy import plan_copy

        copy_plan = plan_copy(sql, Planner(catalog, param_types))
        if copy_plan is not None:
            return copy_plan
    tree = parse_sql(sql)
    return Planner(catalog, param_types).plan(tree)
