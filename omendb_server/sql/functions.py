"""Scalar functions by PostgreSQL name: each entry resolves its argument types and
returns a compiled closure. sqlglot turns many calls into its own node classes
(``Lower``, ``CurrentTimestamp``...); ``_args`` flattens any of them back to the
positional arguments PostgreSQL would see.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from omendb_server import config, errors
from omendb_server.datatypes import TYPES_BY_OID, format_type, type_by_name
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext

if TYPE_CHECKING:
    from omendb_server.sql.expr import CExpr, ExprCompiler


def _args(node: exp.Expression) -> list[exp.Expression]:
    if isinstance(node, exp.Anonymous):
        return list(node.expressions)
    out: list[exp.Expression] = []
    for key in node.arg_types:
        v = node.args.get(key)
        if v is None or isinstance(v, bool):
            continue
        if isinstance(v, list):
            out.extend(x for x in v if isinstance(x, exp.Expression))
        elif isinstance(v, exp.Expression):
            out.append(v)
    return out


def _strict(fns: list[Callable[..., Any]], body: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in → NULL out, as for PostgreSQL's STRICT functions."""
    if len(fns) == 1:
        f0 = fns[0]
        return lambda r, c: None if (a := f0(r, c)) is None else body(a)
    if len(fns) == 2:
        f0, f1 = fns

        def two(r: tuple, c: ExecContext) -> Any:
            a = f0(r, c)
            if a is None:
                return None
            b = f1(r, c)
            if b is None:
                return None
            return body(a, b)

        return two

    def many(r: tuple, c: ExecContext) -> Any:
        vals = [f(r, c) for f in fns]
        if any(v is None for v in vals):
            return None
        return body(*vals)

    return many


class Call:
    """One function call being compiled: its node, argument nodes and helpers.

    Handlers in the ``functions_*`` modules receive this instead of the raw sqlglot
    node so each stays a few lines: ``call.args([T.TEXT, T.INT4])`` compiles and coerces
    the arguments, ``call.make(fn, type)`` wraps the closure with the output name.
    """

    def __init__(self, comp: ExprCompiler, node: exp.Expression, name: str,
                 arg_nodes: list[exp.Expression]) -> None:
        self.comp = comp
        self.node = node
        self.name = name
        self.arg_nodes = arg_nodes
        self.n = len(arg_nodes)

    def compiled(self) -> list[CExpr]:
        return [self.comp.compile(a) for a in self.arg_nodes]

    def args(self, types: list[Any] | None = None) -> list[CExpr]:
        ces = self.compiled()
        if types is not None:
            ces = [self.comp.coerce(ce, t) if t is not None else ce for ce, t in zip(ces, types)]
        return ces

    def text_args(self) -> list[CExpr]:
        """Arguments that PostgreSQL resolves as text (unknown literals become text)."""
        return [self.comp.coerce(ce, T.TEXT) if ce.type.oid in (705, 1043, 19) else ce
                for ce in self.compiled()]

    def make(self, fn: Callable[..., Any], t: Any, fname: str | None = None) -> CExpr:
        from omendb_server.sql.expr import CExpr

        return CExpr(fn, t, -1, fname or self.name)

    def strict(self, ces: list[CExpr], body: Callable[..., Any], t: Any,
               fname: str | None = None) -> CExpr:
        return self.make(_strict([c.fn for c in ces], body), t, fname)

    def no_such_function(self, ces: list[CExpr] | None = None) -> errors.DBError:
        return undefined_function(self.name, [c.type for c in (ces if ces is not None else self.compiled())])


def undefined_function(name: str, types: list[Any]) -> errors.DBError:
    """42883 with PostgreSQL's wording and HINT."""
    return errors.UndefinedFunction(
        f"function {name}({', '.join(format_type(t, -1) for t in types)}) does not exist",
        hint="No function matches the given name and argument types. "
        "You might need to add explicit type casts.",
    )


Handler = Callable[[Call], "CExpr"]
#: PostgreSQL (or sqlglot) function name -> handler; filled by the functions_* modules.
REGISTRY: dict[str, Handler] = {}


def register(*names: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        for n in names:
            REGISTRY[n] = fn
        return fn
    return deco


def _load_modules() -> None:
    from omendb_server.sql import (  # noqa: F401  (registration side effects)
        catalog_functions,
        functions_array,
        functions_bits,
        functions_datetime,
        functions_json,
        functions_jsonpath,
        functions_math,
        functions_string,
    )


#: PostgreSQL 15 built-ins declared with VARIADIC or DEFAULT arguments (pg_proc's
#: provariadic <> 0 or pronargdefaults > 0): their argument count is not fixed.
_FLEXIBLE_ARITY = frozenset((
    "concat", "concat_ws", "cume_dist", "dense_rank", "format", "is_normalized",
    "json_build_array", "json_build_object", "json_extract_path", "json_extract_path_text",
    "json_populate_record", "json_populate_recordset", "jsonb_build_array", "jsonb_build_object",
    "jsonb_delete", "jsonb_extract_path", "jsonb_extract_path_text", "jsonb_insert",
    "jsonb_path_exists", "jsonb_path_exists_tz", "jsonb_path_match", "jsonb_path_match_tz",
    "jsonb_path_query", "jsonb_path_query_array", "jsonb_path_query_array_tz",
    "jsonb_path_query_first", "jsonb_path_query_first_tz", "jsonb_path_query_tz", "jsonb_set",
    "jsonb_set_lax", "make_interval", "normalize", "num_nonnulls", "num_nulls", "parse_ident",
    "percent_rank", "rank", "pg_terminate_backend", "pg_promote"))
_ARITIES: dict[str, frozenset[int]] = {}


def _arities() -> dict[str, frozenset[int]]:
    """Built-in function name → its argument counts, from PostgreSQL's pg_proc rows."""
    if not _ARITIES:
        from omendb_server.catalog.pg_catalog_data import PG_PROC_ROWS

        counts: dict[str, set[int]] = {}
        for row in PG_PROC_ROWS:
            if row[2] == "f":  # plain functions; aggregates and windows are resolved elsewhere
                counts.setdefault(row[1], set()).add(row[5])
        _ARITIES.update({k: frozenset(v) for k, v in counts.items() if k not in _FLEXIBLE_ARITY})
    return _ARITIES


def compile_function(comp: ExprCompiler, node: exp.Expression, name: str) -> CExpr:
    from omendb_server.sql.expr import CExpr

    if not REGISTRY:
        _load_modules()
    arg_nodes = _args(node)
    if name.startswith("omendb_outer_aggregate__"):
        from omendb_server.sql.outer_aggs import compile_placeholder

        return compile_placeholder(comp, name)
    # A plain call (sqlglot's own nodes check their arguments, and may add defaults) that no
    # overload takes this many arguments for: PostgreSQL's 42883, whatever the handler does.
    allowed = _arities().get(name) if isinstance(node, exp.Anonymous) else None
    if allowed is not None and len(arg_nodes) not in allowed:
        raise undefined_function(name, [comp.compile(a).type for a in arg_nodes])
    handler = REGISTRY.get(name)
    if handler is not None:
        out = handler(Call(comp, node, name, arg_nodes))
        if out.type.category == "A" and out.type.oid not in (22, 30) and not out.const:
            from omendb_server.sql.functions_array import array_result

            return array_result(out)  # array functions build plain lists
        return out
    if isinstance(node, exp.Trim) and node.args.get("expression") is not None:
        arg_nodes = [node.this, node.args["expression"]]

    def compiled(types: list[Any] | None = None) -> list[CExpr]:
        ces = [comp.compile(a) for a in arg_nodes]
        if types is not None:
            ces = [comp.coerce(ce, t) if t is not None else ce for ce, t in zip(ces, types)]
        return ces

    def make(fn: Callable[..., Any], t: Any, fname: str | None = None) -> CExpr:
        return CExpr(fn, t, -1, fname or name)

    n = len(arg_nodes)
    planner = comp.planner

    # -- session and server information --------------------------------------------------
    if name in ("version", "currentversion", "current_version"):
        return make(lambda r, c: config.VERSION_STRING, T.TEXT, "version")
    if name in ("current_schema", "currentschema"):
        return make(lambda r, c: planner.current_schema(c), T.NAME, "current_schema")
    if name in ("current_database", "currentdatabase", "current_catalog"):
        return make(lambda r, c: c.session.database, T.NAME, "current_database")
    if name in ("current_user", "currentuser", "user", "current_role", "session_user",
                "sessionuser"):
        label = "session_user" if "session" in name else "current_user"
        if name == "current_role":
            label = "current_role"
        return make(lambda r, c: c.session.user, T.NAME, label)
    if name == "current_schemas":
        return make(lambda r, c: (["pg_catalog"] if (compiled()[0].fn(r, c)) else []) + ["public"],
                    TYPES_BY_OID[1003], "current_schemas")
    if name == "pg_backend_pid":
        return make(lambda r, c: c.session.pid, T.INT4)
    if name in ("now", "currenttimestamp", "current_timestamp", "transaction_timestamp",
                "statement_timestamp"):
        return make(lambda r, c: c.stmt_ts, T.TIMESTAMPTZ, "now" if name != "currenttimestamp" else "current_timestamp")
    if name == "clock_timestamp":
        return make(lambda r, c: _dt.datetime.now(_dt.UTC), T.TIMESTAMPTZ)
    if name in ("currentdate", "current_date"):
        return make(lambda r, c: c.stmt_ts.astimezone(_zone(c)).date(), T.DATE, "current_date")
    if name in ("localtimestamp",):
        return make(lambda r, c: c.stmt_ts.astimezone(_zone(c)).replace(tzinfo=None),
                    T.TIMESTAMP, "localtimestamp")
    if name == "current_setting":
        args = compiled([T.TEXT] * n)
        f0 = args[0].fn
        missing_ok = args[1].fn if n > 1 else (lambda r, c: False)

        def current_setting(r: tuple, c: ExecContext) -> Any:
            key = f0(r, c)
            if key is None:
                return None
            try:
                return c.session.get_setting(key)
            except errors.UndefinedObject:
                if missing_ok(r, c):
                    return None
                raise

        return make(current_setting, T.TEXT)
    if name == "set_config":
        args = compiled([T.TEXT, T.TEXT, T.BOOL])
        f0, f1, f2 = (a.fn for a in args)

        def set_config(r: tuple, c: ExecContext) -> Any:
            key, value = f0(r, c), f1(r, c)
            c.session.set_setting(key, value or "", bool(f2(r, c)))
            return c.session.get_setting(key)

        return make(set_config, T.TEXT)

    # -- catalog helpers -------------------------------------------------------------------
    if name == "to_regtype":
        (a,) = compiled([T.TEXT])

        def to_regtype(v: str) -> Any:
            try:
                return type_by_name(v.strip()).oid
            except errors.DBError:
                return None

        return make(_strict([a.fn], to_regtype), T.REGTYPE)
    if name == "to_regclass":
        (a,) = compiled([T.TEXT])

        def to_regclass(r: tuple, c: ExecContext) -> Any:
            v = a.fn(r, c)
            if v is None:
                return None
            try:
                return planner.regclass_lookup(v)
            except errors.DBError:
                return None

        return make(to_regclass, T.REGCLASS)
    if name in ("pg_table_is_visible", "pg_type_is_visible", "pg_function_is_visible",
                "pg_collation_is_visible", "pg_opclass_is_visible", "pg_conversion_is_visible"):
        args = compiled([T.OID])
        return make(_strict([args[0].fn], lambda v: True), T.BOOL)
    if name == "format_type":
        args = compiled([T.OID, T.INT4])
        f0, f1 = args[0].fn, args[1].fn

        def fmt_type(r: tuple, c: ExecContext) -> Any:
            oid, typmod = f0(r, c), f1(r, c)
            if oid is None:
                return None
            t = TYPES_BY_OID.get(oid)
            if t is None:
                return "???"
            return format_type(t, -1 if typmod is None else typmod)

        return make(fmt_type, T.TEXT)
    if name == "pg_get_userbyid":
        args = compiled([T.OID])
        return make(_strict([args[0].fn], lambda v: config.DEFAULT_SUPERUSER if v == 10
                            else f"unknown (OID={v})"), T.NAME)
    if name == "pg_encoding_to_char":
        args = compiled([T.INT4])
        return make(_strict([args[0].fn], lambda v: "UTF8" if v == 6 else ""), T.NAME)
    if name in ("obj_description", "col_description", "shobj_description"):
        compiled()
        return make(lambda r, c: None, T.TEXT)
    if name.startswith("has_") and name.endswith("_privilege"):
        compiled()
        return make(lambda r, c: True, T.BOOL)

    # -- sequences --------------------------------------------------------------------------
    if name in ("nextval", "setval", "set_config"):
        planner.volatile = True
    if name in ("nextval", "currval", "setval"):
        args = compiled([T.REGCLASS] + ([T.INT8] if n > 1 else []) + ([T.BOOL] if n > 2 else []))
        seqf = args[0].fn
        if name == "nextval":
            return make(lambda r, c: planner.nextval(c, seqf(r, c)), T.INT8)
        if name == "currval":
            return make(lambda r, c: planner.currval(c, seqf(r, c)), T.INT8)
        valf = args[1].fn
        calledf = args[2].fn if n > 2 else (lambda r, c: True)
        return make(lambda r, c: planner.setval(c, seqf(r, c), valf(r, c), calledf(r, c)), T.INT8)
    # strings, math, date/time, json and arrays: the functions_* modules (REGISTRY)
    if name == "pg_advisory_unlock_all":
        return make(lambda r, c: None, T.VOID)
    raise errors.UndefinedFunction(
        f"function {name}({', '.join(format_type(a.type, -1) for a in compiled())}) does not exist",
        hint="No function matches the given name and argument types. "
        "You might need to add explicit type casts.",
    )


def _zone(c: ExecContext) -> _dt.tzinfo:
    from zoneinfo import ZoneInfo

    try:
        return ZoneInfo(c.fmt.timezone)
    except (ValueError, OSError):
        return _dt.UTC
