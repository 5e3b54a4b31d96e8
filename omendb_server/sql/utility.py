"""Statements sqlglot does not parse the PostgreSQL way, with a small parser of their own.

Transaction control (BEGIN/START TRANSACTION/COMMIT/END/ROLLBACK/ABORT,
SAVEPOINT/RELEASE/ROLLBACK TO), SET/SHOW/RESET, DEALLOCATE and DISCARD are
recognised here before sqlglot sees the text: sqlglot parses ``SAVEPOINT x`` as
a column alias and ``SHOW`` as an opaque command, and these statements are on
every client's connect path, so they must be exact and cheap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from omendb_server import errors
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.plan import CallablePlan, OutputColumn, Plan, Result, TxnControlPlan

_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_ISO = r"(?:ISOLATION\s+LEVEL\s+(SERIALIZABLE|REPEATABLE\s+READ|READ\s+COMMITTED|READ\s+UNCOMMITTED))"
_MODES = rf"((?:\s*,?\s*(?:{_ISO[3:-1]}|READ\s+WRITE|READ\s+ONLY|NOT\s+DEFERRABLE|DEFERRABLE))*)"

_BEGIN = re.compile(rf"^(?:BEGIN(?:\s+(?:WORK|TRANSACTION))?|START\s+TRANSACTION){_MODES}\s*$", re.I)
_COMMIT = re.compile(r"^(?:COMMIT|END)(?:\s+(?:WORK|TRANSACTION))?(\s+AND\s+(?:NO\s+)?CHAIN)?\s*$", re.I)
_ROLLBACK = re.compile(r"^(?:ROLLBACK|ABORT)(?:\s+(?:WORK|TRANSACTION))?(\s+AND\s+(?:NO\s+)?CHAIN)?\s*$", re.I)
_SAVEPOINT = re.compile(rf"^SAVEPOINT\s+({_IDENT})\s*$", re.I)
_RELEASE = re.compile(rf"^RELEASE(?:\s+SAVEPOINT)?\s+({_IDENT})\s*$", re.I)
_ROLLBACK_TO = re.compile(
    rf"^ROLLBACK(?:\s+(?:WORK|TRANSACTION))?\s+TO(?:\s+SAVEPOINT)?\s+({_IDENT})\s*$", re.I)
_SET_TXN = re.compile(rf"^SET\s+(?:SESSION\s+CHARACTERISTICS\s+AS\s+)?TRANSACTION{_MODES}\s*$", re.I)
_SET = re.compile(r"^SET\s+(?:(SESSION|LOCAL)\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=|\s+TO\s+|\s+)\s*(.+?)\s*$", re.I | re.S)
_SET_TZ = re.compile(r"^SET\s+(?:(SESSION|LOCAL)\s+)?TIME\s+ZONE\s+(.+?)\s*$", re.I)
_SET_CONSTRAINTS = re.compile(
    r"^SET\s+CONSTRAINTS\s+(ALL|[\w\".]+(?:\s*,\s*[\w\".]+)*)\s+(DEFERRED|IMMEDIATE)\s*$",
    re.IGNORECASE)
_SHOW = re.compile(r"^SHOW\s+(.+?)\s*$", re.I)
_RESET = re.compile(r"^RESET\s+(ALL|[A-Za-z_][A-Za-z0-9_.]*)\s*$", re.I)
_DEALLOCATE = re.compile(rf"^DEALLOCATE(?:\s+PREPARE)?\s+(ALL|{_IDENT})\s*$", re.I)
_PREPARE = re.compile(rf"^PREPARE\s+({_IDENT})\s*(?:\((.*?)\))?\s*AS\s+(.+)$", re.I | re.S)
_EXECUTE = re.compile(rf"^EXECUTE\s+({_IDENT})\s*(?:\((.*)\))?\s*$", re.I | re.S)
_VACUUM = re.compile(r"^VACUUM\b.*$", re.I | re.S)
_ANALYZE = re.compile(r"^ANALY[SZ]E\b.*$", re.I | re.S)
_CHECKPOINT = re.compile(r"^CHECKPOINT\s*$", re.I)
_DISCARD = re.compile(r"^DISCARD\s+(ALL|PLANS|SEQUENCES|TEMP|TEMPORARY)\s*$", re.I)
_SHOW_NAMES = {
    "transaction isolation level": "transaction_isolation",
    "time zone": "timezone",
    "session authorization": "session_authorization",
}


def _unquote(ident: str) -> str:
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident.lower()


def _isolation(modes: str | None) -> str | None:
    if not modes:
        return None
    m = re.search(r"ISOLATION\s+LEVEL\s+(SERIALIZABLE|REPEATABLE\s+READ|READ\s+COMMITTED|READ\s+UNCOMMITTED)",
                  modes, re.I)
    if not m:
        return None
    return " ".join(m.group(1).lower().split())


def _setting_value(raw: str) -> str:
    """SET's value list: quoted strings, identifiers or numbers, comma-separated."""
    parts = []
    for m in re.finditer(r"'((?:[^']|'')*)'|([^,\s][^,]*)", raw):
        if m.group(1) is not None:
            parts.append(m.group(1).replace("''", "'"))
        else:
            parts.append(m.group(2).strip())
    value = ", ".join(parts)
    if value.upper() == "DEFAULT":
        return "DEFAULT"
    return value


def parse_utility(sql: str) -> Plan | None:
    """Return a plan for a utility statement, or None if sqlglot should parse it."""
    text = sql.strip().rstrip(";").strip()
    head = text[:12].upper()
    if not head:
        return None
    first = head.split(None, 1)[0] if head.split() else ""
    if first in ("CREATE", "DROP", "ALTER", "COMMENT"):
        # DDL forms sqlglot does not parse the PostgreSQL way (H-ddl's sql/ddl_objects.py)
        from omendb_server.sql.ddl_objects import parse_text

        return parse_text(text)
    if first not in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT",
                     "RELEASE", "SET", "SHOW", "RESET", "DEALLOCATE", "DISCARD", "VACUUM",
                     "CHECKPOINT", "ANALYZE", "ANALYSE", "PREPARE", "EXECUTE"):
        return None
    if first in ("PREPARE", "EXECUTE") and (m := _PREPARE.match(text) or _EXECUTE.match(text)) \
            and m.group(2) is not None and not m.group(2).strip():
        raise errors.SyntaxError('syntax error at or near ")"')
    if first == "PREPARE" and (m := _PREPARE.match(text)):
        types = [t.strip() for t in split_top_level(m.group(2))] if m.group(2) else []
        return SqlPreparePlan(columns=None, kind="utility", action="prepare",
                              name=_unquote(m.group(1)), type_names=types,
                              statement=m.group(3).strip())
    if first == "EXECUTE" and (m := _EXECUTE.match(text)):
        args = [a.strip() for a in split_top_level(m.group(2))] if m.group(2) else []
        return SqlPreparePlan(columns=None, kind="utility", action="execute",
                              name=_unquote(m.group(1)), arguments=args)
    if first in ("PREPARE", "EXECUTE"):
        return None  # PREPARE TRANSACTION and the like: sqlglot reports them
    if _VACUUM.match(text):
        return TxnControlPlan(columns=None, kind="utility", action="vacuum", name="VACUUM")
    if _CHECKPOINT.match(text):
        return TxnControlPlan(columns=None, kind="utility", action="checkpoint", name="CHECKPOINT")
    if _ANALYZE.match(text):
        return TxnControlPlan(columns=None, kind="utility", action="analyze", name="ANALYZE")
    if m := _BEGIN.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="begin", isolation=_isolation(m.group(1)))
    if m := _COMMIT.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="commit")
    if m := _ROLLBACK.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="rollback")
    if m := _SAVEPOINT.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="savepoint", name=_unquote(m.group(1)))
    if m := _RELEASE.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="release", name=_unquote(m.group(1)))
    if m := _ROLLBACK_TO.match(text):
        return TxnControlPlan(columns=None, kind="txn", action="rollback_to", name=_unquote(m.group(1)))
    if m := _SET_TXN.match(text):
        iso = _isolation(m.group(1))
        session_level = "SESSION" in text.upper().split("TRANSACTION")[0]
        return TxnControlPlan(columns=None, kind="txn", action="set_transaction", isolation=iso,
                              chain=session_level)
    if m := _SET_CONSTRAINTS.match(text):
        from omendb_server.sql.constraints import plan_set_constraints

        targets = None if m.group(1).upper() == "ALL" else [
            _unquote(n.strip().split(".")[-1]) for n in m.group(1).split(",")]
        return plan_set_constraints(targets, m.group(2).upper() == "DEFERRED")
    if m := _SET_TZ.match(text):
        value = _setting_value(m.group(2))
        if value.upper() == "LOCAL":
            value = "DEFAULT"
        return _set_plan("timezone", value, (m.group(1) or "").upper() == "LOCAL")
    if m := _SET.match(text):
        return _set_plan(m.group(2).lower(), _setting_value(m.group(3)),
                         (m.group(1) or "").upper() == "LOCAL")
    if m := _SHOW.match(text):
        name = " ".join(m.group(1).lower().split())
        name = _SHOW_NAMES.get(name, name)
        if name.startswith('"'):
            name = _unquote(name)
        return _show_plan(name)
    if m := _RESET.match(text):
        name = m.group(1).lower()
        return _set_plan(name if name != "all" else "all", "DEFAULT", False, tag="RESET")
    if m := _DEALLOCATE.match(text):
        target = m.group(1)
        return TxnControlPlan(columns=None, kind="utility", action="deallocate",
                              name="" if target.upper() == "ALL" else _unquote(target))
    if m := _DISCARD.match(text):
        return TxnControlPlan(columns=None, kind="utility", action="discard",
                              name=m.group(1).upper())
    if first in ("BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE",
                 "DEALLOCATE", "DISCARD", "SHOW", "RESET"):
        raise errors.SyntaxError(f'syntax error at or near "{text.split()[1] if len(text.split()) > 1 else text}"')
    return None  # other SET forms: let sqlglot try


@dataclass
class SqlPreparePlan(TxnControlPlan):
    """PREPARE name [(types)] AS statement / EXECUTE name [(arguments)]: the SQL form of
    the protocol's named prepared statements (one namespace, as in PostgreSQL), carried
    out by the session that owns them."""

    statement: str = ""
    type_names: list[str] = field(default_factory=list)
    arguments: list[str] = field(default_factory=list)


def split_top_level(text: str) -> list[str]:
    """``a, f(b, c), 'x,y'`` → ``['a', ' f(b, c)', " 'x,y'"]``: commas outside
    parentheses, brackets and quotes."""
    out: list[str] = []
    depth, start, i, n = 0, 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            j = text.find(ch, i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == ch:  # doubled quote
                j = text.find(ch, j + 2)
            i = n if j == -1 else j + 1
            continue
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append(text[start:i])
            start = i + 1
        i += 1
    out.append(text[start:])
    return out


def _set_plan(name: str, value: str, is_local: bool, tag: str = "SET") -> Plan:
    def run(ctx: ExecContext) -> Result:
        if name == "all":
            ctx.session.reset_all()  # type: ignore[attr-defined]
        else:
            ctx.session.set_setting(name, value, is_local)
        return Result(tag)

    return CallablePlan(columns=None, kind="utility", run=run)


def _show_plan(name: str) -> Plan:
    if name == "all":
        cols = [OutputColumn("name", T.TEXT), OutputColumn("setting", T.TEXT),
                OutputColumn("description", T.TEXT)]

        def run_all(ctx: ExecContext) -> Result:
            rows = [(k, v, "") for k, v in ctx.session.all_settings()]  # type: ignore[attr-defined]
            return Result("SHOW", rows, cols)

        return CallablePlan(columns=cols, kind="utility", run=run_all)
    cols = [OutputColumn(name, T.TEXT)]

    def run(ctx: ExecContext) -> Result:
        return Result("SHOW", [(ctx.session.get_setting(name),)], cols)

    return CallablePlan(columns=cols, kind="utility", run=run)


_PARAM = re.compile(r"\$[0-9]+")


def space_out_parameters(sql: str) -> str:
    """Put a space after every ``$n`` that touches the next token outside quotes.

    sqlglot's tokenizer reads ``$1,$2`` as the start of a dollar-quoted string and
    fails; ``VALUES ($1,$2)`` is what many drivers send, so it is normalized here."""
    if "$" not in sql:
        return sql
    out: list[str] = []
    last = 0
    for start, end in _code_spans(sql):
        for m in _PARAM.finditer(sql, start, end):
            nxt = m.end()
            if nxt < len(sql) and not sql[nxt].isspace():
                out.append(sql[last:nxt])
                out.append(" ")
                last = nxt
    if not out:
        return sql
    out.append(sql[last:])
    return "".join(out)


_OID_ARRAY = re.compile(
    r"(::\s*|\bAS\s+)(oid|regclass|regtype|regproc|regprocedure|regnamespace|regrole|regoper)"
    r"(\s*\[\])", re.IGNORECASE)


def qualify_oid_arrays(sql: str) -> str:
    """``x::oid[]`` → ``x::pg_catalog.oid[]`` outside quotes (H-catalog).

    sqlglot parses oid/regclass/regtype... as object identifiers that cannot take ``[]``
    and fails on ``any($1::oid[])``, which asyncpg's type introspection sends; the
    qualified spelling is the same type and parses."""
    if "[]" not in sql:
        return sql
    out: list[str] = []
    last = 0
    for start, end in _code_spans(sql):
        for m in _OID_ARRAY.finditer(sql, start, end):
            out.append(sql[last:m.start(2)])
            out.append("pg_catalog.")
            last = m.start(2)
    if not out:
        return sql
    out.append(sql[last:])
    return "".join(out)


def _code_spans(sql: str) -> list[tuple[int, int]]:
    """(start, end) ranges of ``sql`` that are neither quoted text nor comments."""
    spans: list[tuple[int, int]] = []
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch in "'\"" or (ch == "-" and sql.startswith("--", i)) or (
                ch == "/" and sql.startswith("/*", i)) or (
                ch == "$" and re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:i + 64])):
            spans.append((start, i))
            if ch == "'":
                j = i + 1
                while j < n:
                    if sql[j] == "\\" and i > 0 and sql[i - 1] in "eE":
                        j += 2
                        continue
                    if sql[j] == "'":
                        if j + 1 < n and sql[j + 1] == "'":
                            j += 2
                            continue
                        break
                    j += 1
                i = j + 1
            elif ch == '"':
                j = sql.find('"', i + 1)
                i = n if j < 0 else j + 1
            elif ch == "-":
                j = sql.find("\n", i)
                i = n if j < 0 else j + 1
            elif ch == "/":
                j = sql.find("*/", i + 2)
                i = n if j < 0 else j + 2
            else:
                tag = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:i + 64]).group(0)  # type: ignore[union-attr]
                j = sql.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag)
            start = i
            continue
        i += 1
    spans.append((start, n))
    return spans


def split_statements(sql: str) -> list[str]:
    """Split a simple-Query string on top-level semicolons (quotes, dollar quotes,
    comments and E'' escapes respected). Empty statements are dropped.

    Cached by text: clients repeat the same statements, and this scan is Python code."""
    if len(sql) > 4096:
        return _split(sql)
    return list(_split_cached(sql))


@lru_cache(maxsize=8192)
def _split_cached(sql: str) -> tuple[str, ...]:
    return tuple(_split(sql))


def _split(sql: str) -> list[str]:
    out: list[str] = []
    i, n = 0, len(sql)
    start = 0
    depth = 0
    while i < n:
        ch = sql[i]
        if ch == "'":
            escaped = i > 0 and sql[i - 1] in "eE" and (i < 2 or not (sql[i - 2].isalnum() or sql[i - 2] == "_"))
            i += 1
            while i < n:
                c = sql[i]
                if escaped and c == "\\":
                    i += 2
                    continue
                if c == "'":
                    if i + 1 < n and sql[i + 1] == "'":
                        i += 2
                        continue
                    break
                i += 1
            i += 1
            continue
        if ch == '"':
            i = sql.find('"', i + 1)
            i = n if i < 0 else i + 1
            continue
        if ch == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if ch == "/" and sql.startswith("/*", i):
            level = 1
            i += 2
            while i < n and level:
                if sql.startswith("/*", i):
                    level += 1
                    i += 2
                elif sql.startswith("*/", i):
                    level -= 1
                    i += 2
                else:
                    i += 1
            continue
        if ch == "$":
            m = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if m and (i == 0 or not (sql[i - 1].isalnum() or sql[i - 1] == "_")):
                tag = m.group(0)
                j = sql.find(tag, i + len(tag))
                i = n if j < 0 else j + len(tag)
                continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == ";" and depth <= 0:
            stmt = sql[start:i].strip()
            if stmt and not _only_comments(stmt):
                out.append(stmt)
            start = i + 1
        i += 1
    stmt = sql[start:].strip()
    if stmt and not _only_comments(stmt):
        out.append(stmt)
    return out


def _only_comments(stmt: str) -> bool:
    s = re.sub(r"--[^\n]*", "", stmt)
    s = re.sub(r"/\*.*?\*/", "", s, flags=re.S)
    return not s.strip()


_AUTOPARAM_HEADS = ("SELECT", "UPDATE", "DELETE", "INSERT")
_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      |(?P<comment>--[^\n]*|/\*.*?\*/)
      |(?P<estr>[eE]'(?:[^'\\]|\\.|'')*')
      |(?P<str>'(?:[^']|'')*')
      |(?P<num>-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
      |(?P<ident>"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)
      |(?P<param>\$\d+)
      |(?P<jop>->>|->|\#>>|\#>|@>|<@|\|\|)
      |(?P<op><>|!=|<=|>=|::|[=<>])
      |(?P<other>.)""",
    re.S | re.X,
)
_COMPARISONS = {"=", "<>", "!=", "<", ">", "<=", ">="}


@lru_cache(maxsize=4096)
def _autoparam_cached(sql: str) -> tuple[str, tuple[tuple[str, int], ...]] | None:
    found = _autoparam_spans(sql)
    if found is None:
        return None
    return found[0], tuple((text, oid) for text, oid, _ in found[1])


def _literal_oid(digits: str) -> int:
    """int4, int8 or numeric: the type PostgreSQL gives an integer literal."""
    if len(digits) < 10:
        return 23
    v = int(digits)
    return 23 if -(2**31) <= v < 2**31 else 20 if -(2**63) <= v < 2**63 else 1700


def _autoparam_spans(sql: str) -> tuple[str, list[tuple[str, int, int]]] | None:
    """``auto_parameterize``'s scan: the lifted text and, per literal, (value text,
    parameter type OID, start offset of the literal in ``sql``)."""
    head = sql.lstrip()[:6].upper()
    if not head.startswith(_AUTOPARAM_HEADS) or "$" in sql:
        return None
    tokens = [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(sql)]
    out: list[str] = []
    literals: list[tuple[str, int, int]] = []
    prev_sig: str | None = None  # previous non-whitespace token text
    n = len(tokens)
    for i, (kind, text, start) in enumerate(tokens):
        if kind in ("str", "num") and prev_sig in _COMPARISONS:
            # the next significant token must end the operand (no cast, no arithmetic)
            j = i + 1
            while j < n and tokens[j][0] in ("ws", "comment"):
                j += 1
            nxt = tokens[j][1].upper() if j < n else ""
            if nxt in ("", ")", ";", ",", "AND", "OR", "ORDER", "GROUP", "LIMIT", "OFFSET",
                       "RETURNING", "THEN", "ELSE", "END", "WHEN", "FOR", "WHERE", "FROM"):
                if kind == "str":
                    literals.append((text[1:-1].replace("''", "'"), 0, start))
                elif re.fullmatch(r"-?\d+", text):
                    literals.append((text, _literal_oid(text), start))
                else:
                    literals.append((text, 1700, start))
                out.append(f"${len(literals)}")
                prev_sig = "$"
                continue
        out.append(text)
        if kind not in ("ws", "comment"):
            prev_sig = text
    if not literals:
        return None
    return "".join(out), literals


def auto_parameterize(sql: str) -> tuple[str, list[tuple[str, int]]] | None:
    """Turn ``col = <literal>`` comparisons of a simple-protocol DML/SELECT into ``$n``
    parameters, so statements that differ only in those literals share one cached
    plan (pgbench -S, Django's inlined parameters). Only literals that stand alone
    right of a comparison are replaced; anything else keeps its literal, so
    positional ORDER BY, typed literals and casts are untouched. Returns
    (text, [(literal text, parameter type OID)]) or None when nothing applies."""
    if len(sql) > 2000:
        return None
    found = _autoparam_cached(sql)
    if found is None:
        return None
    return found[0], list(found[1])

