"""CREATE DATABASE and DROP DATABASE: parsed here, carried out by the cluster.

These statements act on the cluster, not on the database the session is in, and
PostgreSQL runs them outside any transaction (25001 inside a block). So the plan is a
``TxnControlPlan`` (the session runs those itself, outside the engine lock, as it does
VACUUM) whose ``run_in`` reaches the cluster through ``session.db.cluster``: the SQL
layer never imports the layers above it.

sqlglot parses neither statement the PostgreSQL way (options, ``WITH (FORCE)``), so a
small tokenizer does it; option values other than TEMPLATE are accepted and ignored
(one encoding, UTF8, and the C collation are all OmenDB has).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from omendb_server import errors
from omendb_server.sql.plan import Result, TxnControlPlan

_HEAD = re.compile(r"^\s*(CREATE|DROP)\s+DATABASE\b", re.IGNORECASE)
_TOKEN = re.compile(r"""\s*(?:("(?:[^"]|"")*")|('(?:[^']|'')*')|([A-Za-z_][A-Za-z0-9_$]*)|(-?\d+)|(\S))""")

#: CREATE DATABASE options whose name is two words.
_TWO_WORD = {("connection", "limit")}


def is_database_statement(sql: str) -> bool:
    return bool(_HEAD.match(sql))


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value) pairs: kind is 'ident' (case-folded or unquoted), 'string', 'number' or 'punct'."""
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip().rstrip(";")
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        if m.group(1):
            out.append(("ident", m.group(1)[1:-1].replace('""', '"')))
        elif m.group(2):
            out.append(("string", m.group(2)[1:-1].replace("''", "'")))
        elif m.group(3):
            out.append(("word", m.group(3).lower()))
        elif m.group(4):
            out.append(("number", m.group(4)))
        elif m.group(5):
            out.append(("punct", m.group(5)))
    return out


def _syntax_error(tok: tuple[str, str] | None) -> errors.DBError:
    if tok is None:
        return errors.SyntaxError("syntax error at end of input")
    return errors.SyntaxError(f'syntax error at or near "{tok[1]}"')


def _raw(sql: str, tok: tuple[str, str] | None) -> tuple[str, str] | None:
    """The token as the user wrote it (words are case-folded in ``_tokens``), for messages."""
    if tok is None or tok[0] != "word":
        return tok
    m = re.search(rf"\b{re.escape(tok[1])}\b", sql, re.IGNORECASE)
    return (tok[0], m.group(0)) if m else tok


def _name(tok: tuple[str, str] | None) -> str:
    if tok is None or tok[0] not in ("ident", "word"):
        raise _syntax_error(tok)
    return tok[1]


@dataclass
class DatabasePlan(TxnControlPlan):
    """One CREATE/DROP DATABASE, run by the session outside any transaction."""

    database: str = ""
    template: str | None = None
    if_exists: bool = False
    force: bool = False

    def run_in(self, session: Any) -> Result:
        cluster = getattr(session.db, "cluster", None)
        if cluster is None:
            raise errors.FeatureNotSupported(f"{self.name} needs a server (no cluster is attached)")
        if self.action == "create_database":
            cluster.create_database(self.database, self.template, current=session.database)
            return Result("CREATE DATABASE")
        dropped = cluster.drop_database(self.database, session.database, force=self.force,
                                        keep=session)
        if not dropped:
            if not self.if_exists:
                raise errors.InvalidCatalogName(f'database "{self.database}" does not exist')
            session.notice(errors.DBError(f'database "{self.database}" does not exist, skipping',
                                          "00000", severity="NOTICE"))
        return Result("DROP DATABASE")


def plan_database_statement(sql: str) -> DatabasePlan:
    toks = _tokens(sql)
    verb = toks[0][1]
    rest = toks[2:]
    i = 0

    def peek(k: int = 0) -> tuple[str, str] | None:
        return rest[i + k] if i + k < len(rest) else None

    if verb == "drop":
        if_exists = False
        if peek() == ("word", "if"):
            if peek(1) != ("word", "exists"):
                raise _syntax_error(peek(1))
            if_exists = True
            i += 2
        name = _name(peek())
        i += 1
        force = False
        if peek() == ("word", "with"):
            i += 1
        if peek() == ("punct", "("):
            i += 1
            while True:
                tok = peek()
                if tok == ("word", "force"):
                    force = True
                else:  # PostgreSQL's grammar knows only FORCE here: a plain syntax error
                    raise _syntax_error(_raw(sql, tok))
                i += 1
                if peek() == ("punct", ","):
                    i += 1
                    continue
                if peek() != ("punct", ")"):
                    raise _syntax_error(peek())
                i += 1
                break
        if peek() is not None:
            raise _syntax_error(peek())
        return DatabasePlan(columns=None, kind="utility", action="drop_database",
                            name="DROP DATABASE", database=name, if_exists=if_exists, force=force)

    name = _name(peek())
    i += 1
    if peek() == ("word", "with"):
        i += 1
    template: str | None = None
    while peek() is not None:
        tok = peek()
        assert tok is not None
        if tok[0] != "word":
            raise _syntax_error(tok)
        option = tok[1]
        i += 1
        if peek() is not None and (option, peek()[1]) in _TWO_WORD:  # type: ignore[index]
            i += 1
        if peek() == ("punct", "="):
            i += 1
        value = peek()
        if value is None or value[0] == "punct":
            raise _syntax_error(value)
        i += 1
        if option == "template":
            template = value[1]
        elif option not in ("owner", "encoding", "locale", "lc_collate", "lc_ctype", "tablespace",
                            "allow_connections", "connection", "is_template", "strategy", "oid",
                            "icu_locale", "locale_provider", "collation_version"):
            raise errors.SyntaxError(f'option "{option}" not recognized')
    return DatabasePlan(columns=None, kind="utility", action="create_database",
                        name="CREATE DATABASE", database=name, template=template)
