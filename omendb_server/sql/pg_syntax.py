"""PostgreSQL's grammar where sqlglot's differs, fixed around the (compiled) parser.

sqlglot accepts some statements PostgreSQL rejects and reads a few others differently;
its parser is compiled, so instead of overriding it this module works on the tokens before
parsing and on the tree after it. Everything here runs only on parse-cache misses, and
the token pass only when a cheap text test says it could matter.

Before parsing (``prepare``):
- ``date '2024-01-01'::text`` casts the *date* (sqlglot casts the string, then types it):
  the typed literal gets parentheses.
- ``interval '1 day' + 1`` is interval + integer (sqlglot turns the 1 into an interval):
  the number gets parentheses, so the operator is resolved (and refused) as PostgreSQL does.
- ``ARRAY[1, 2][1]`` (subscript right after an ARRAY constructor), ``""`` (zero-length
  quoted identifier) and ``'a' 'b'`` on one line are syntax errors; across a newline
  adjacent strings are one constant (sqlglot makes them a concat() call).

After parsing (``check_tree``): ``CROSS JOIN ... ON``, ``NATURAL JOIN ... USING``,
``IS OF (...)`` and ``agg(DISTINCT *)`` are syntax errors; ``rewrite_tree`` makes
PostgreSQL's parse-time rewrites (BETWEEN SYMMETRIC).
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import TokenError
from sqlglot.tokens import TokenType

from omendb_server import errors

_MAY_NEED_TOKENS = re.compile(r"::|\"\"|\]\s*\[|'\s+'|interval", re.IGNORECASE)
_INTERVAL_WORDS = frozenset((
    "year", "years", "month", "months", "day", "days", "hour", "hours", "minute", "minutes",
    "second", "seconds", "to"))


def _error_at(token_text: str, sql: str, start: int) -> errors.DBError:
    return errors.SyntaxError(f'syntax error at or near "{token_text}"', position=start + 1)


def prepare(sql: str) -> str:
    """The statement text sqlglot should parse; raises 42601 where PostgreSQL would."""
    if _MAY_NEED_TOKENS.search(sql) is None:
        return sql
    try:
        tokens = Postgres().tokenize(sql)
    except TokenError:
        return sql  # the parser reports it
    type_tokens = Postgres.Parser.TYPE_TOKENS
    spans: list[tuple[int, int]] = []  # (start, end) to wrap in parentheses
    joins: list[tuple[int, int, str]] = []  # (start, end, replacement): adjacent strings
    n = len(tokens)
    for j, tok in enumerate(tokens):
        tt = tok.token_type
        if tt == TokenType.IDENTIFIER and tok.text == "":
            raise errors.SyntaxError('zero-length delimited identifier at or near """"',
                                     position=tok.start + 1)
        if tt == TokenType.STRING:
            if j + 1 < n and tokens[j + 1].token_type == TokenType.STRING:
                nxt = tokens[j + 1]
                if "\n" not in sql[tok.end + 1:nxt.start]:
                    raise _error_at(sql[nxt.start:nxt.end + 1], sql, nxt.start)
                if sql[tok.start] == "'" and sql[nxt.start] == "'":
                    # one constant, as PostgreSQL reads it (sqlglot would call concat())
                    merged = tok.text + nxt.text
                    joins.append((tok.start, nxt.end + 1, "'" + merged.replace("'", "''") + "'"))
            if j + 1 < n and tokens[j + 1].token_type == TokenType.DCOLON and j > 0:
                start = _typed_literal_start(tokens, j, type_tokens)
                if start is not None:
                    spans.append((tokens[start].start, tok.end + 1))
        elif tt == TokenType.ARRAY and j + 1 < n and tokens[j + 1].token_type == TokenType.L_BRACKET:
            close = _matching(tokens, j + 1, TokenType.L_BRACKET, TokenType.R_BRACKET)
            if close is not None and close + 1 < n and tokens[close + 1].token_type == TokenType.L_BRACKET:
                raise _error_at("[", sql, tokens[close + 1].start)
        elif tt == TokenType.INTERVAL and j + 1 < n and tokens[j + 1].token_type == TokenType.STRING:
            k = j + 2
            while k < n and tokens[k].text.lower() in _INTERVAL_WORDS:
                k += 1
            if k + 1 < n and tokens[k].token_type in (TokenType.PLUS, TokenType.DASH) and \
                    tokens[k + 1].token_type == TokenType.NUMBER:
                spans.append((tokens[k + 1].start, tokens[k + 1].end + 1))
    edits = [(b, e, f"({sql[b:e]})") for b, e in spans] + joins
    for begin, end, text in sorted(edits, reverse=True):
        sql = f"{sql[:begin]}{text}{sql[end:]}"
    return sql


def _typed_literal_start(tokens: list[Any], j: int, type_tokens: Any) -> int | None:
    """Index of the type name before string token ``j`` (``timestamp with time zone 'x'``)."""
    start = j - 1
    words = [t.text.lower() for t in tokens[max(0, j - 4):j]]
    if len(words) == 4 and words[1:] in (["with", "time", "zone"], ["without", "time", "zone"]):
        start = j - 4
    if tokens[start].token_type not in type_tokens:
        return None
    if start > 0 and tokens[start - 1].token_type in (TokenType.DCOLON, TokenType.DOT):
        return None
    return start


def _matching(tokens: list[Any], i: int, open_t: Any, close_t: Any) -> int | None:
    depth = 0
    for k in range(i, len(tokens)):
        if tokens[k].token_type == open_t:
            depth += 1
        elif tokens[k].token_type == close_t:
            depth -= 1
            if depth == 0:
                return k
    return None


def rewrite_tree(tree: exp.Expression) -> exp.Expression:
    """PostgreSQL's own parse-time rewrites: ``x BETWEEN SYMMETRIC a AND b`` is
    ``x BETWEEN a AND b OR x BETWEEN b AND a`` (its gram.y does exactly this), so every
    later stage (expressions, key ranges, the vectorized path) sees plain BETWEENs."""
    for node in list(tree.find_all(exp.Between)):
        if node.args.get("symmetric"):
            x, lo, hi = node.this, node.args["low"], node.args["high"]
            plain = exp.Between(this=x.copy(), low=lo.copy(), high=hi.copy())
            swapped = exp.Between(this=x.copy(), low=hi.copy(), high=lo.copy())
            replacement = exp.Paren(this=exp.Or(this=plain, expression=swapped))
            if node is tree:
                return replacement
            node.replace(replacement)
    return tree


def check_tree(tree: exp.Expression) -> None:
    """Raise 42601 for constructs sqlglot parses and PostgreSQL's grammar does not have."""
    for node in tree.find_all(exp.Join, exp.Is, exp.Distinct):
        if isinstance(node, exp.Join):
            if node.args.get("kind") == "CROSS" or node.args.get("method") == "NATURAL":
                if node.args.get("on") is not None:
                    raise errors.SyntaxError('syntax error at or near "ON"')
                if node.args.get("using"):
                    raise errors.SyntaxError('syntax error at or near "USING"')
        elif isinstance(node, exp.Is):
            target = node.expression
            if isinstance(target, exp.Anonymous):
                raise errors.SyntaxError(f'syntax error at or near "{target.name}"')
        elif isinstance(node.parent, exp.Func) and any(isinstance(e, exp.Star) for e in node.expressions):
            raise errors.SyntaxError('syntax error at or near "*"')
