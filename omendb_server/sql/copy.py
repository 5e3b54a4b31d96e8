"""COPY ... FROM STDIN / TO STDOUT in text, CSV and binary formats.

The wire layer streams CopyData to the plan in chunks (``execute`` with
``params=[chunk, final]``), so a bulk load never holds the whole input in memory;
each chunk is cut at a row boundary and inserted inside the statement's
transaction. Formats follow PostgreSQL's COPY documentation: text escapes and
``\\N``, CSV quoting with unquoted-empty = NULL, and the PGCOPY binary header.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator

from omendb_server import errors
from omendb_server.catalog import Table
from omendb_server.datatypes import DataType
from omendb_server.sql.context import ExecContext
from omendb_server.sql.plan import OutputColumn, Plan, QueryPlan, Result

BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_I16 = struct.Struct("!h")
_I32 = struct.Struct("!i")

_COPY = re.compile(
    r"""^COPY\s+
        (?:\((?P<query>.*)\)|(?P<table>(?:"[^"]+"|[A-Za-z_][\w$]*)(?:\.(?:"[^"]+"|[A-Za-z_][\w$]*))?)
           \s*(?:\((?P<cols>[^)]*)\))?)
        \s+(?P<dir>FROM|TO)\s+(?P<target>STDIN|STDOUT|'[^']*')
        \s*(?P<opts>.*)$""",
    re.I | re.S | re.X,
)


@dataclass
class CopyOptions:
    format: str = "text"
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    quote: str = '"'
    escape: str = '"'


def _unquote_ident(name: str) -> str:
    return name[1:-1] if name.startswith('"') else name.lower()


def parse_options(text: str) -> CopyOptions:
    """Both the ``WITH (FORMAT csv, ...)`` form and the pre-9.0 ``CSV HEADER`` form."""
    opts = CopyOptions()
    text = text.strip().rstrip(";").strip()
    if text.upper().startswith("WITH"):
        text = text[4:].strip()
    items: list[tuple[str, str | None]] = []
    if text.startswith("("):
        body = text[1:text.rfind(")")]
        for part in re.findall(r"(?:[^,']|'(?:[^']|'')*')+", body):
            words = part.strip().split(None, 1)
            if words:
                items.append((words[0].lower(), words[1].strip() if len(words) > 1 else None))
    else:
        tokens = re.findall(r"'(?:[^']|'')*'|\S+", text)
        i = 0
        while i < len(tokens):
            word = tokens[i].lower()
            if word in ("binary", "csv", "text"):
                items.append(("format", word))
            elif word == "header":
                items.append(("header", None))
            elif word in ("delimiter", "null", "quote", "escape") and i + 1 < len(tokens):
                if tokens[i + 1].lower() == "as" and i + 2 < len(tokens):
                    i += 1
                items.append((word, tokens[i + 1]))
                i += 1
            elif word in ("freeze", "oids"):
                pass
            i += 1
    for key, raw in items:
        value = raw
        if value is not None and value.startswith("'"):
            value = value[1:-1].replace("''", "'")
        if key == "format":
            fmt = (value or "").lower()
            if fmt not in ("text", "csv", "binary"):
                raise errors.InvalidParameterValue(f'COPY format "{fmt}" not recognized')
            opts.format = fmt
            if fmt == "csv":
                if opts.delimiter == "\t":
                    opts.delimiter = ","
                if opts.null == "\\N":
                    opts.null = ""
        elif key == "header":
            opts.header = value is None or value.lower() in ("true", "on", "1", "match")
        elif key == "delimiter" and value is not None:
            if len(value) != 1:
                raise errors.FeatureNotSupported("COPY delimiter must be a single one-byte character")
            opts.delimiter = value
        elif key == "null" and value is not None:
            opts.null = value
        elif key == "quote" and value is not None:
            opts.quote = value
        elif key == "escape" and value is not None:
            opts.escape = value
        elif key in ("freeze", "encoding", "force_not_null", "force_null", "force_quote"):
            continue
        else:
            raise errors.SyntaxError(f'option "{key}" not recognized')
    return opts


# -- text format --------------------------------------------------------------------------
_TEXT_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unescape_text(field: str) -> str:
    if "\\" not in field:
        return field
    out = []
    i, n = 0, len(field)
    while i < n:
        ch = field[i]
        if ch != "\\" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = field[i + 1]
        if nxt in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[nxt])
            i += 2
        elif nxt in "01234567":
            m = re.match(r"[0-7]{1,3}", field[i + 1:])
            assert m
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        elif nxt == "x" and i + 2 < n and field[i + 2] in "0123456789abcdefABCDEF":
            m = re.match(r"[0-9a-fA-F]{1,2}", field[i + 2:])
            assert m
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def parse_text_rows(text: str, opts: CopyOptions) -> Iterator[list[str | None]]:
    delim, null = opts.delimiter, opts.null
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if line == "\\." or line == "":
            continue
        fields = line.split(delim)
        yield [None if f == null else _unescape_text(f) for f in fields]


def _escape_text(value: str, delim: str) -> str:
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
            .replace("\t", "\\t").replace(delim, "\\" + delim) if delim != "\t" else
            value.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t"))


# -- CSV format ----------------------------------------------------------------------------
def parse_csv_rows(text: str, opts: CopyOptions) -> Iterator[list[str | None]]:
    delim, quote, escape, null = opts.delimiter, opts.quote, opts.escape, opts.null
    i, n = 0, len(text)
    row: list[str | None] = []
    while i < n:
        # one field
        if text[i] == quote:
            i += 1
            buf = []
            while True:
                if i >= n:
                    raise errors.DBError("unterminated CSV quoted field", "22P04")
                ch = text[i]
                if ch == escape and i + 1 < n and text[i + 1] == quote:
                    buf.append(quote)  # "" (or ESCAPE followed by a quote) is a literal quote
                    i += 2
                    continue
                if ch == quote:
                    i += 1
                    break
                buf.append(ch)
                i += 1
            row.append("".join(buf))
        else:
            j = i
            while j < n and text[j] not in (delim, "\n", "\r"):
                j += 1
            raw = text[i:j]
            row.append(None if raw == null else raw)
            i = j
        if i >= n:
            yield row
            return
        ch = text[i]
        if ch == delim:
            i += 1
            if i >= n:
                row.append(None if null == "" else "")
                yield row
                return
            continue
        # end of line
        if ch == "\r" and i + 1 < n and text[i + 1] == "\n":
            i += 1
        i += 1
        if not (len(row) == 1 and row[0] == "\\."):
            yield row
        row = []


def _csv_field(value: str, opts: CopyOptions) -> str:
    q = opts.quote
    if (value == "" and opts.null == "") or any(c in value for c in (opts.delimiter, q, "\n", "\r")) \
            or value == opts.null:
        return q + value.replace(q, q + q) + q
    return value


@dataclass
class CopyPlan(Plan):
    """A COPY statement; ``direction`` is 'in' (FROM STDIN) or 'out' (TO STDOUT)."""

    #: Runs without flushing the transaction's staged bulk rows (it may stage more).
    bulk_ok = True
    direction: str = "in"
    table: Table | None = None
    target_cols: list[int] = field(default_factory=list)
    opts: CopyOptions = field(default_factory=CopyOptions)
    query: QueryPlan | None = None
    out_columns: list[OutputColumn] = field(default_factory=list)

    def column_formats(self) -> list[int]:
        n = len(self.target_cols) if self.direction == "in" else len(self.out_columns)
        return [1 if self.opts.format == "binary" else 0] * n

    # -- FROM STDIN ---------------------------------------------------------------------------
    def execute(self, ctx: ExecContext) -> Result:
        """params = [chunk bytes, final flag, state dict shared across chunks]."""
        chunk, final, state = ctx.params
        if self.direction == "out":
            raise errors.FeatureNotSupported("COPY TO is driven by copy_out")
        buf: bytes = state.get("rest", b"") + chunk
        if self.opts.format == "binary" and not state.get("trailer"):
            loaded = self._load_binary_columnar(ctx, buf, state)
            if loaded is not None:
                if final and state["rest"] and not state.get("trailer"):
                    raise errors.DBError("unexpected EOF in COPY data", "22P04")
                state["count"] = state.get("count", 0) + loaded
                return Result(f"COPY {state['count']}")
        if self.opts.format == "binary":
            rows, rest = self._binary_rows(buf, state, ctx)
        else:
            cut = len(buf) if final else self._cut(buf)
            text_part, rest = buf[:cut], buf[cut:]
            try:
                text = text_part.decode("utf-8")
            except UnicodeDecodeError as e:
                raise errors.CharacterNotInRepertoire(
                    f'invalid byte sequence for encoding "UTF8": 0x{text_part[e.start]:02x}') from None
            loaded = self._load_columnar(ctx, text_part, state) if text_part else None
            if loaded is not None:
                state["rest"] = rest
                if final and rest:
                    raise errors.DBError("unexpected end of COPY data", "22P04")
                state["count"] = state.get("count", 0) + loaded
                return Result(f"COPY {state['count']}")
            parser = parse_csv_rows if self.opts.format == "csv" else parse_text_rows
            rows = parser(text, self.opts)
            if self.opts.header and not state.get("header_done"):
                state["header_done"] = True
                rows = _skip_first(rows)
        state["rest"] = rest
        if final and rest and self.opts.format != "binary":
            raise errors.DBError("unexpected end of COPY data", "22P04")
        count = self._insert(ctx, rows, state)
        state["count"] = state.get("count", 0) + count
        return Result(f"COPY {state['count']}")

    def _load_columnar(self, ctx: ExecContext, chunk: bytes, state: dict[str, Any]) -> int | None:
        """Stage the chunk as Arrow columns (sql/copy_columnar.py); None → the row path.

        Once a chunk needs the row path, the rows staged so far become ordinary rows and
        the rest of the COPY stays on the row path, so key checks see every row."""
        from omendb_server.sql.copy_columnar import NotColumnar, columnar_copy
        from omendb_server.sql.dml import unique_violation
        from omendb_server.txn.manager import BulkConflict

        conv = state.get("columnar")
        if conv is None:
            conv = state["columnar"] = columnar_copy(self, ctx, self._writer(ctx, state)) or False
        if not conv:
            return None
        table = self.table
        assert table is not None
        skip = self.opts.header and not state.get("header_done")
        txn = ctx.txn
        try:
            cols = conv.convert_chunk(chunk, skip)
            if txn.bulk_conflict is None:
                def conflict(t: Table, index_oid: int, key: tuple[Any, ...]) -> None:
                    raise unique_violation(t, index_oid, key, ctx)

                txn.bulk_conflict = conflict
            n = ctx.tm.bulk_stage(txn, ctx.tm.table_data(table), table, cols)
        except (NotColumnar, BulkConflict):
            state["columnar"] = False
            if txn.bulk:
                ctx.tm.flush_bulk(txn)
            return None
        if skip:
            state["header_done"] = True
        state["line"] = state.get("line", 0) + n
        return n

    def _load_binary_columnar(self, ctx: ExecContext, buf: bytes, state: dict[str, Any]) -> int | None:
        """Binary COPY chunk → Arrow columns (sql/copy_binary.py) → staged rows; None → the
        row path takes this buffer (and the rest of the COPY)."""
        from omendb_server.sql.copy_binary import decode_chunk
        from omendb_server.sql.copy_columnar import NotColumnar, columnar_copy
        from omendb_server.sql.dml import unique_violation
        from omendb_server.txn.manager import BulkConflict

        conv = state.get("columnar")
        if conv is None:
            conv = state["columnar"] = columnar_copy(self, ctx, self._writer(ctx, state)) or False
        if not conv or not getattr(conv, "binary", False):
            return None
        table = self.table
        assert table is not None
        txn = ctx.txn
        try:
            cols, rest, done = decode_chunk(buf, state, table.columns)
            if cols.num_columns and any(
                    cols.column(i).null_count for i, nn in enumerate(conv.not_null) if nn):
                raise NotColumnar  # 23502 with the failing row: row path
            if txn.bulk_conflict is None:
                def conflict(t: Table, index_oid: int, key: tuple[Any, ...]) -> None:
                    raise unique_violation(t, index_oid, key, ctx)

                txn.bulk_conflict = conflict
            n = ctx.tm.bulk_stage(txn, ctx.tm.table_data(table), table, cols) if cols.num_rows else 0
        except (NotColumnar, BulkConflict):
            state["columnar"] = False
            if txn.bulk:
                ctx.tm.flush_bulk(txn)
            return None
        if len(buf) >= 19:
            state["header_done"] = True
        state["rest"] = rest
        if done:
            state["trailer"] = True
        state["line"] = state.get("line", 0) + n
        return n

    def _writer(self, ctx: ExecContext, state: dict[str, Any]) -> Any:
        from omendb_server.sql.constraints import RowWriter

        writer = state.get("writer")
        if writer is None:
            from omendb_server.sql.planner import Planner

            writer = state["writer"] = RowWriter(Planner(ctx.catalog, []), self.table)
        return writer

    def _cut(self, buf: bytes) -> int:
        """End of the last complete row in ``buf`` (CSV: outside quotes)."""
        last = buf.rfind(b"\n")
        if last < 0:
            return 0
        if self.opts.format == "csv":
            q = self.opts.quote.encode()
            while last >= 0 and buf.count(q, 0, last) % 2:
                last = buf.rfind(b"\n", 0, last)
            if last < 0:
                return 0
        return last + 1

    def _binary_rows(self, buf: bytes, state: dict[str, Any], ctx: ExecContext
                     ) -> tuple[list[list[Any]], bytes]:
        pos = 0
        if not state.get("header_done"):
            if len(buf) < 19:
                return [], buf
            if buf[:11] != BINARY_SIGNATURE:
                raise errors.DBError("COPY file signature not recognized", "22P04")
            ext = _I32.unpack_from(buf, 15)[0]
            pos = 19 + ext
            state["header_done"] = True
        types = [self.table.columns[i].type for i in self.target_cols]  # type: ignore[union-attr]
        rows: list[list[Any]] = []
        n = len(buf)
        while pos + 2 <= n:
            (nfields,) = _I16.unpack_from(buf, pos)
            if nfields == -1:
                state["trailer"] = True
                pos = n
                break
            if nfields != len(types):
                raise errors.DBError(
                    f"row field count is {nfields}, expected {len(types)}", "22P04")
            p = pos + 2
            values: list[Any] = []
            complete = True
            for t in types:
                if p + 4 > n:
                    complete = False
                    break
                (length,) = _I32.unpack_from(buf, p)
                p += 4
                if length == -1:
                    values.append(None)
                    continue
                if p + length > n:
                    complete = False
                    break
                values.append(t.binary_in(buf[p:p + length], -1, ctx.fmt))
                p += length
            if not complete:
                break
            rows.append(values)
            pos = p
        return rows, buf[pos:]

    def _insert(self, ctx: ExecContext, rows: Any, state: dict[str, Any]) -> int:
        from omendb_server.sql.dml import check_not_null, unique_violation

        table = self.table
        assert table is not None
        tm = ctx.tm
        data = tm.table_data(table)
        ncols = len(table.columns)
        targets = self.target_cols
        convert = state.get("convert")
        if convert is None:
            convert = state["convert"] = [_text_reader(table.columns[i].type, table.columns[i].typmod)
                                          for i in targets]
        defaults = state.get("defaults")
        if defaults is None:
            defaults = state["defaults"] = _default_fns(ctx, table, targets)
        uniques = tuple(i.oid for i in ctx.catalog.indexes_of(table.oid) if i.unique)
        binary = self.opts.format == "binary"
        typmods = [(k, table.columns[i]) for k, i in enumerate(targets)
                   if table.columns[i].typmod >= 0] if binary else []

        def conflict(index_oid: int, key: tuple[Any, ...]) -> None:
            raise unique_violation(table, index_oid, key, ctx)

        # CHECK / FOREIGN KEY / generated columns go through the row writer (H-ddl hook)
        from omendb_server.sql.constraints import StatementState, finish_statement

        writer = self._writer(ctx, state)
        st = StatementState()
        count = 0
        line = state.get("line", 0)
        batch: list[tuple[Any, ...]] = []
        for fields in rows:
            line += 1
            if len(fields) != len(targets):
                what = "extra data after last expected column" if len(fields) > len(targets) \
                    else f'missing data for column "{table.columns[targets[len(fields)]].name}"'
                raise errors.DBError(what, "22P04",
                                     detail=f"COPY {table.name}, line {line}")
            values: list[Any] = [None] * ncols
            try:
                if binary:
                    for k, col in typmods:
                        if fields[k] is not None:
                            fields[k] = col.type.apply_typmod(fields[k], col.typmod)
                    for pos, v in zip(targets, fields):
                        values[pos] = v
                else:
                    for pos, conv, v in zip(targets, convert, fields):
                        values[pos] = None if v is None else conv(v, ctx)
            except errors.DBError as e:
                e.detail = e.detail or f"COPY {table.name}, line {line}"
                raise
            for pos, fn in defaults:
                values[pos] = fn((), ctx)
            if not writer.simple:
                writer.insert(ctx, st, values, conflict)
                count += 1
                continue
            row = tuple(values)
            check_not_null(table, row, ctx)
            batch.append(row)
            if len(batch) >= 4096:
                count += tm.insert_many(ctx.txn, data, batch, conflict, uniques)
                batch = []
        if batch:
            count += tm.insert_many(ctx.txn, data, batch, conflict, uniques)
        if not writer.simple:
            finish_statement(ctx, st)
        state["line"] = line
        return count

    # -- TO STDOUT --------------------------------------------------------------------------------
    def copy_out(self, ctx: ExecContext) -> Iterator[bytes]:
        opts = self.opts
        cols = self.out_columns
        if self.query is not None:
            rows = self.query.rows(ctx)
        else:
            from omendb_server.sql.operators import SeqScan

            table = self.table
            assert table is not None
            idx = self.target_cols
            rows = (tuple(r[i] for i in idx) for r in SeqScan(table.oid, table.name).rows(ctx))
        fmt = ctx.fmt
        if opts.format == "binary":
            # the header travels with the first row, as PostgreSQL sends it (clients expect it)
            header = BINARY_SIGNATURE + _I32.pack(0) + _I32.pack(0)
            outs = [c.type.binary_out for c in cols]
            for row in rows:
                parts = [header, _I16.pack(len(row))]
                header = b""
                for v, out in zip(row, outs):
                    if v is None:
                        parts.append(_I32.pack(-1))
                    else:
                        b = out(v, fmt)
                        parts.append(_I32.pack(len(b)) + b)
                yield b"".join(parts)
            yield header + _I16.pack(-1)
            return
        writers = [_text_writer(c.type) for c in cols]
        if opts.format == "csv":
            if opts.header:
                yield (opts.delimiter.join(_csv_field(c.name, opts) for c in cols) + "\n").encode()
            for row in rows:
                yield (opts.delimiter.join(
                    opts.null if v is None else _csv_field(w(v, fmt), opts)
                    for v, w in zip(row, writers)) + "\n").encode()
            return
        delim, null = opts.delimiter, opts.null
        for row in rows:
            yield (delim.join(null if v is None else _escape_text(w(v, fmt), delim)
                              for v, w in zip(row, writers)) + "\n").encode()


def _skip_first(rows: Iterator[Any]) -> Iterator[Any]:
    first = True
    for r in rows:
        if first:
            first = False
            continue
        yield r


def _text_reader(t: DataType, typmod: int):  # type: ignore[no-untyped-def]
    if t.oid in (25, 1043, 19) and typmod < 0:
        return lambda v, ctx: v
    if t.oid in (20, 21, 23) and typmod < 0:
        inp = t.text_in

        lo, hi = {21: (-2**15, 2**15), 23: (-2**31, 2**31), 20: (-2**63, 2**63)}[t.oid]

        def read_int(v: str, ctx: ExecContext) -> int:
            try:
                n = int(v)
            except ValueError:
                return inp(v, typmod, ctx.fmt)
            # out of range: the type's input function words the error as PostgreSQL does
            return n if lo <= n < hi else inp(v, typmod, ctx.fmt)

        return read_int
    inp = t.text_in
    return lambda v, ctx: inp(v, typmod, ctx.fmt)


def _text_writer(t: DataType):  # type: ignore[no-untyped-def]
    if t.oid in (20, 21, 23, 26):
        return lambda v, fmt: str(v)
    if t.oid in (25, 1043, 19):
        return lambda v, fmt: v
    if t.oid == 16:
        return lambda v, fmt: "t" if v else "f"
    out = t.text_out
    return lambda v, fmt: out(v, fmt)


def _default_fns(ctx: ExecContext, table: Table, targets: list[int]) -> list[tuple[int, Any]]:
    from omendb_server.sql.dml import default_exprs
    from omendb_server.sql.planner import Planner

    planner = Planner(ctx.catalog, [])
    out = []
    for pos, d in enumerate(default_exprs(planner, table)):
        if pos not in targets and d is not None:
            out.append((pos, d.fn))
    return out


def plan_copy(sql: str, planner: Any) -> CopyPlan | None:
    m = _COPY.match(sql.strip().rstrip(";"))
    if m is None:
        return None
    direction = "in" if m.group("dir").upper() == "FROM" else "out"
    target = m.group("target").upper()
    if target not in ("STDIN", "STDOUT"):
        raise errors.InsufficientPrivilege(
            "COPY to or from a file is not allowed; use COPY ... STDIN/STDOUT (psql's \\copy)")
    if (direction == "in") != (target == "STDIN"):
        raise errors.SyntaxError(f'syntax error at or near "{m.group("target")}"')
    opts = parse_options(m.group("opts") or "")
    if m.group("query"):
        if direction == "in":
            raise errors.SyntaxError('syntax error at or near "FROM"')

        from omendb_server.sql.compile import parse_sql

        tree = parse_sql(m.group("query"))
        query = planner.plan_query(tree, None)
        return CopyPlan(columns=None, kind="copy", writes=False, direction="out", opts=opts,
                        query=query, out_columns=list(query.columns or []))
    name = m.group("table")
    schema = None
    if "." in name and not name.startswith('"'):
        schema, name = name.split(".", 1)
    table = planner.catalog.get_table(_unquote_ident(name), _unquote_ident(schema) if schema else None)
    if m.group("cols"):
        targets = [table.column_index(_unquote_ident(c.strip())) for c in m.group("cols").split(",")]
        for i in targets:  # GENERATED ... STORED columns (H-ddl)
            if table.columns[i].generated:
                raise errors.DBError(f'column "{table.columns[i].name}" is a generated column',
                                     "42P10", detail="Generated columns cannot be used in COPY.")
    else:
        targets = [i for i, c in enumerate(table.columns) if not c.generated]
    out_cols = [OutputColumn(table.columns[i].name, table.columns[i].type, table.columns[i].typmod,
                             table.oid, i + 1) for i in targets]
    return CopyPlan(columns=None, kind="copy", writes=direction == "in", direction=direction,
                    table=table, target_cols=targets, opts=opts, out_columns=out_cols)
