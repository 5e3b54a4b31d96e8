"""Differential testing against PostgreSQL 15: corpus loading, running a query, comparing results.

PostgreSQL is the spec, so the oracle for a query is simply what a real PostgreSQL 15 returns for
it. This module is shared by the pytest module (``test_differential.py``) and the script that
rewrites ``known_failures.txt`` (``update_known_failures.py``), so both judge a query the same way.

What counts as "the same result":

* Both fail: the SQLSTATEs are equal (messages are not compared: wording is checked elsewhere).
* Both succeed: the same column names, type OIDs and type modifiers (e.g. varchar(20),
  numeric(10,2) as RowDescription reports them), and the same rows in PostgreSQL's *text*
  output format (we read raw libpq values, so date/float/bool/array formatting is compared too).
  Rows are compared as a multiset unless the top-level statement has an ORDER BY (the corpus
  only uses ORDER BY lists that fully determine the order). In queries that call a float
  aggregate (sum, avg, stddev...), float4/float8 values are compared to 12 significant digits,
  because summation order legitimately changes the last digits; elsewhere they must match exactly.

Queries go through the extended protocol (Parse/Bind/Describe/Execute, as psycopg and most drivers
send them) and, on OmenDB, also through the simple protocol (psql's way, and a different plan-cache
path in OmenDB), with a per-query timeout, so a hang in one query fails that query only.
"""

from __future__ import annotations

import contextlib
import math
import re
import select
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import pq

HERE = Path(__file__).resolve().parent
CORPUS_DIR = HERE / "corpus"
SCHEMA_FILE = HERE / "schema.sql"
OPTIONAL_SCHEMA_FILE = HERE / "schema_optional.sql"
KNOWN_FAILURES_FILE = HERE / "known_failures.txt"

#: Seconds one query may take on either server before it counts as a failure (hang).
QUERY_TIMEOUT = 10.0

#: Session settings applied to both servers so output does not depend on server defaults.
SESSION_SETUP = ("SET TimeZone = 'UTC'", "SET DateStyle = 'ISO, MDY'", "SET extra_float_digits = 1")

FLOAT_OIDS = {700, 701}  # float4, float8
#: Aggregates whose float result depends on the order rows are added in: only queries calling one
#: get the 12-digit float tolerance; everywhere else float output must match PostgreSQL's exactly.
FLOAT_AGGREGATE = re.compile(
    r"\b(sum|avg|stddev\w*|var_\w+|variance|corr|covar_\w+|regr_\w+|percentile_\w+)\s*\(", re.IGNORECASE)
FIRST_NORMAL_OID = 16384  # OIDs from here on are user objects: compared by type name instead


@dataclass(frozen=True)
class Query:
    """One corpus statement: ``id`` is ``<file stem>-<1-based position>`` (e.g. ``joins-007``)."""

    id: str
    sql: str
    ordered: bool
    #: Run inside BEGIN ... ROLLBACK (corpus files named dml*.sql), so writes leave no trace.
    rollback: bool = False
    #: float values compared to 12 significant digits instead of exactly (aggregates only).
    float_tolerance: bool = False


@dataclass
class Result:
    """What one server answered: an error SQLSTATE, or columns and text rows."""

    #: (name, type OID, typmod); a user-defined type's OID is replaced by its name (Runner.run)
    columns: list[tuple[str, int | str, int]] = field(default_factory=list)
    rows: list[tuple[str | None, ...]] = field(default_factory=list)
    sqlstate: str | None = None
    message: str = ""

    def describe(self) -> str:
        if self.sqlstate:
            return f"ERROR {self.sqlstate}: {self.message}"
        return f"{len(self.rows)} rows, columns {self.columns}"


# -- corpus -------------------------------------------------------------------------------------
def split_statements(text: str) -> list[str]:
    """Split SQL text at top-level ``;`` (not inside quotes, dollar quotes or comments).

    Comments are dropped; a statement is kept as written otherwise.
    """
    out: list[str] = []
    buf: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "-" and text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if ch == "/" and text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
            buf.append(" ")
            continue
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if text[j] == ch:
                    if j + 1 < n and text[j + 1] == ch:  # doubled quote
                        j += 2
                        continue
                    break
                j += 1
            buf.append(text[i:j + 1])
            i = j + 1
            continue
        if ch == "$":
            m = re.match(r"\$([A-Za-z_]*)\$", text[i:])
            if m:
                tag = m.group(0)
                j = text.find(tag, i + len(tag))
                j = n if j < 0 else j + len(tag)
                buf.append(text[i:j])
                i = j
                continue
        if ch == ";":
            stmt = "".join(buf).strip()
            if stmt:
                out.append(stmt)
            buf = []
            i += 1
            continue
        buf.append(ch)
        i += 1
    stmt = "".join(buf).strip()
    if stmt:
        out.append(stmt)
    return out


def has_top_level_order_by(sql: str) -> bool:
    """True when the outermost query ends in ORDER BY (window/subquery ORDER BYs do not count)."""
    import sqlglot
    from sqlglot import exp

    try:
        tree = sqlglot.parse_one(sql, read="postgres")
    except sqlglot.errors.SqlglotError:  # unparsable by sqlglot: fall back to a textual check of the tail
        tail = re.sub(r"\([^()]*\)", "", sql)  # crude: drop innermost parentheses
        return bool(re.search(r"\border\s+by\b", tail, re.IGNORECASE))
    return isinstance(tree, exp.Query) and bool(tree.args.get("order"))


def load_corpus(corpus_dir: Path = CORPUS_DIR) -> list[Query]:
    queries: list[Query] = []
    for path in sorted(corpus_dir.glob("*.sql")):
        for n, sql in enumerate(split_statements(path.read_text()), start=1):
            queries.append(Query(f"{path.stem}-{n:03d}", sql, has_top_level_order_by(sql),
                                 rollback=path.stem.startswith("dml"),
                                 float_tolerance=bool(FLOAT_AGGREGATE.search(sql))))
    return queries


def load_known_failures(path: Path = KNOWN_FAILURES_FILE) -> dict[str, str]:
    """``id reason...`` per line; ``#`` starts a comment line."""
    known: dict[str, str] = {}
    if not path.exists():
        return known
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        qid, _, reason = line.partition(" ")
        known[qid] = reason.strip()
    return known


# -- running ------------------------------------------------------------------------------------
def connect(dsn: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    for stmt in SESSION_SETUP:
        try:
            conn.execute(stmt)
        except psycopg.Error:
            pass  # a server without the setting still runs the corpus; mismatches will show
    return conn


class QueryTimeout(Exception):
    pass


def run(conn: psycopg.Connection, sql: str, timeout: float = QUERY_TIMEOUT, simple: bool = False) -> Result:
    """Run one statement and return its raw text result: through the extended protocol
    (Parse/Bind/Describe/Execute), or the simple Query message when ``simple``.

    Raises :class:`QueryTimeout` (after trying a cancel) when the server does not answer in
    ``timeout`` seconds; the connection is then unusable and the caller should reconnect.
    """
    pgconn = conn.pgconn
    if simple:
        pgconn.send_query(sql.encode())
    else:
        pgconn.send_query_params(sql.encode(), None)
    deadline = time.monotonic() + timeout
    while True:
        pgconn.consume_input()
        if not pgconn.is_busy():
            break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            with contextlib.suppress(psycopg.Error, OSError):
                pgconn.get_cancel().cancel()
            raise QueryTimeout(f"no answer within {timeout:g} s")
        select.select([pgconn.socket], [], [], min(remaining, 1.0))
    results = []
    while (res := pgconn.get_result()) is not None:
        results.append(res)
    if not results:
        return Result(sqlstate="?????", message="no result")
    for res in results:
        if res.status == pq.ExecStatus.FATAL_ERROR:
            state = res.error_field(pq.DiagnosticField.SQLSTATE)
            msg = res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
            return Result(sqlstate=state.decode() if state else "?????",
                          message=msg.decode("utf-8", "replace") if msg else "")
    res = results[-1]
    cols = [(res.fname(i).decode("utf-8", "replace"), res.ftype(i), res.fmod(i)) for i in range(res.nfields)]
    rows = []
    for r in range(res.ntuples):
        row = []
        for c in range(res.nfields):
            v = res.get_value(r, c)
            row.append(None if v is None else v.decode("utf-8", "replace"))
        rows.append(tuple(row))
    return Result(columns=cols, rows=rows)


# -- comparing ----------------------------------------------------------------------------------
def _norm_float(v: str | None) -> str | None:
    if v is None:
        return None
    try:
        f = float(v)
    except ValueError:
        return v
    if not math.isfinite(f):
        return v
    return f"{f:.12g}"


def _normalize(res: Result, float_cols: set[int]) -> list[tuple[str | None, ...]]:
    if not float_cols:
        return res.rows
    return [tuple(_norm_float(v) if i in float_cols else v for i, v in enumerate(row))
            for row in res.rows]


def _sort_key(row: tuple[str | None, ...]):
    return tuple((v is None, v or "") for v in row)


def compare(expected: Result, actual: Result, ordered: bool, float_tolerance: bool = True) -> str | None:
    """None when ``actual`` (OmenDB) matches ``expected`` (PostgreSQL), else a one-line reason."""
    if expected.sqlstate or actual.sqlstate:
        if expected.sqlstate == actual.sqlstate:
            return None
        if expected.sqlstate is None:
            return f"PostgreSQL ok, OmenDB error {actual.sqlstate}: {actual.message}"[:300]
        if actual.sqlstate is None:
            return f"PostgreSQL error {expected.sqlstate} ({expected.message}), OmenDB ok"[:300]
        return (f"SQLSTATE {actual.sqlstate} ({actual.message}) instead of "
                f"{expected.sqlstate} ({expected.message})")[:300]
    if [c[0] for c in expected.columns] != [c[0] for c in actual.columns]:
        return f"column names {[c[0] for c in actual.columns]} instead of {[c[0] for c in expected.columns]}"
    if [c[1] for c in expected.columns] != [c[1] for c in actual.columns]:
        return f"column type OIDs {[c[1] for c in actual.columns]} instead of {[c[1] for c in expected.columns]}"
    if [c[2] for c in expected.columns] != [c[2] for c in actual.columns]:
        return f"column typmods {[c[2] for c in actual.columns]} instead of {[c[2] for c in expected.columns]}"
    float_cols = {i for i, (_, oid, _) in enumerate(expected.columns) if oid in FLOAT_OIDS} if float_tolerance else set()
    exp_rows, act_rows = _normalize(expected, float_cols), _normalize(actual, float_cols)
    if not ordered:
        exp_rows, act_rows = sorted(exp_rows, key=_sort_key), sorted(act_rows, key=_sort_key)
    if exp_rows == act_rows:
        return None
    if len(exp_rows) != len(act_rows):
        return f"{len(act_rows)} rows instead of {len(exp_rows)}"
    for i, (e, a) in enumerate(zip(exp_rows, act_rows)):
        if e != a:
            what = "row" if ordered else "sorted row"
            return f"{what} {i}: {a!r} instead of {e!r}"[:300]
    return "rows differ"  # unreachable


class Runner:
    """A connection to one server that survives a hung or dropped query (it reconnects)."""

    def __init__(self, dsn: str):
        self.dsn = dsn
        self.conn = connect(dsn)
        self._type_names: dict[int, str] = {}

    def _reconnect(self) -> None:
        with contextlib.suppress(psycopg.Error, OSError):
            self.conn.close()
        self.conn = connect(self.dsn)

    def run(self, sql: str, timeout: float = QUERY_TIMEOUT, simple: bool = False) -> Result:
        try:
            res = run(self.conn, sql, timeout, simple)
            if any(c[1] >= FIRST_NORMAL_OID for c in res.columns):
                res.columns = [(n, self._type_name(oid) if oid >= FIRST_NORMAL_OID else oid, mod)
                               for n, oid, mod in res.columns]
            return res
        except QueryTimeout as e:
            self._reconnect()
            return Result(sqlstate="TIMEOUT", message=str(e))
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            self._reconnect()
            return Result(sqlstate="CONNECTION", message=" ".join(str(e).split())[:200])

    def run_rolled_back(self, sql: str, simple: bool = False) -> Result:
        """``sql`` inside BEGIN ... ROLLBACK: writes and their RETURNING rows, then no trace."""
        begin = self.run("BEGIN")
        if begin.sqlstate:
            return begin
        try:
            return self.run(sql, simple=simple)
        finally:
            self.run("ROLLBACK")

    def _type_name(self, oid: int) -> str:
        """User-defined types (enums...) get different OIDs on each server: compare their names."""
        if oid not in self._type_names:
            res = run(self.conn, f"SELECT typname FROM pg_type WHERE oid = {int(oid)}")
            name = res.rows[0][0] if res.rows and not res.sqlstate else f"?{oid}"
            self._type_names[oid] = f"user type {name}"
        return self._type_names[oid]

    def load_schema(self, path: Path = SCHEMA_FILE) -> list[tuple[str, Result]]:
        """Run every statement of ``path``; returns (statement, result) of the ones that failed."""
        failures = []
        for stmt in split_statements(path.read_text()):
            res = self.run(stmt, timeout=60)
            if res.sqlstate:
                failures.append((stmt, res))
        return failures

    def close(self) -> None:
        self.conn.close()


def compare_query(pg: Runner, om: Runner, q: Query) -> str | None:
    """Run ``q`` on both servers; None when OmenDB matches PostgreSQL, else the reason.

    OmenDB runs it twice, through the extended and the simple protocol: they take different paths
    there (the simple protocol turns literals into parameters to share cached plans).
    """
    run_one = Runner.run_rolled_back if q.rollback else Runner.run
    expected = run_one(pg, q.sql)
    reason = compare(expected, run_one(om, q.sql), q.ordered, q.float_tolerance)
    if reason is None:
        simple = compare(expected, run_one(om, q.sql, simple=True), q.ordered, q.float_tolerance)
        if simple is not None:
            reason = f"simple protocol only: {simple}"
    return reason
