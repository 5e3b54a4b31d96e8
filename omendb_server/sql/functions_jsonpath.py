"""The jsonb_path_* functions and the @? / @@ operators over ``sql/jsonpath.py``.

``jsonb_path_query`` is a set-returning function (srf registry); the others are scalar.
Each takes (target jsonb, path, vars jsonb DEFAULT '{}', silent bool DEFAULT false);
``silent`` turns evaluation errors into "no result", as in PostgreSQL. There is no
jsonpath type here: the path is a text (or unknown literal) argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from omendb_server import errors
from omendb_server.datatypes import jsonb as J
from omendb_server.sql import jsonpath, srf
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.functions import Call, register


def _jsonb_type() -> Any:
    from omendb_server.datatypes import TYPES_BY_OID

    return TYPES_BY_OID[3802]


def _coerce_args(comp: Any, args: list[Any], name: str) -> list[Any]:
    if not 2 <= len(args) <= 4:
        raise srf._no_function(name, args)
    jsonb = _jsonb_type()
    target, path = args[0], args[1]
    if target.type.oid == 705:
        target = comp.coerce(target, jsonb)
    if target.type.oid != 3802 or not (path.type.oid == 705 or T.is_string(path.type)):
        raise srf._no_function(name, args)
    out = [target, comp.coerce(path, T.TEXT)]
    if len(args) > 2:
        out.append(comp.coerce(args[2], jsonb))
    if len(args) > 3:
        out.append(comp.coerce(args[3], T.BOOL))
    return out


def _run(values: list[Any]) -> list[Any] | None:
    """The items, or None when an error was silenced; NULL arguments give []."""
    target, path = values[0], values[1]
    variables = J.loads(values[2]) if len(values) > 2 and values[2] is not None else {}
    silent = bool(values[3]) if len(values) > 3 else False
    if not isinstance(variables, dict):
        raise errors.InvalidParameterValue('"vars" argument is not an object',
                                           detail="Jsonpath parameters should be encoded as key-value pairs of \"vars\" object.")
    try:
        return jsonpath.query(path, J.loads(target), variables)
    except jsonpath.PathError:
        if silent:
            return None
        raise


def _scalar(call: Call, body: Callable[[list[Any]], Any], rtype: Any) -> Any:
    ces = _coerce_args(call.comp, call.compiled(), call.name)
    fns = [c.fn for c in ces]

    def run(r: tuple, c: ExecContext) -> Any:
        vals = [f(r, c) for f in fns]
        if vals[0] is None or vals[1] is None:
            return None
        return body(vals)

    return call.make(run, rtype)


@register("jsonb_path_query_array")
def _query_array(call: Call) -> Any:
    def body(vals: list[Any]) -> Any:
        items = _run(vals)
        return J.jsonb_out(items or [])
    return _scalar(call, body, _jsonb_type())


@register("jsonb_path_query_first")
def _query_first(call: Call) -> Any:
    def body(vals: list[Any]) -> Any:
        items = _run(vals)
        return J.jsonb_out(items[0]) if items else None
    return _scalar(call, body, _jsonb_type())


@register("jsonb_path_exists", "j_s_o_n_b_path_exists")
def _exists(call: Call) -> Any:
    if call.name != "jsonb_path_exists":
        call.name = "?column?"  # the @? operator

    def body(vals: list[Any]) -> Any:
        items = _run(vals)
        return None if items is None else bool(items)
    return _scalar(call, body, T.BOOL)


@register("jsonb_path_match", "match_against")
def _match(call: Call) -> Any:
    if call.name == "match_against":  # jsonb @@ path (sqlglot's node holds them swapped)
        call.arg_nodes = list(reversed(call.arg_nodes))
        call.name = "?column?"

    def body(vals: list[Any]) -> Any:
        variables = J.loads(vals[2]) if len(vals) > 2 and vals[2] is not None else {}
        try:
            return jsonpath.match(vals[1], J.loads(vals[0]), variables)
        except jsonpath.PathError:
            if len(vals) > 3 and vals[3]:
                return None
            raise
    return _scalar(call, body, T.BOOL)


def _path_query(comp: Any, args: list[Any], name: str) -> srf.Srf:
    coerced = _coerce_args(comp, args, name)

    def produce(values: list[Any], ctx: ExecContext) -> Iterable[tuple[Any, ...]]:
        if values[0] is None or values[1] is None:
            return
        for item in _run(values) or []:
            yield (J.jsonb_out(item),)

    return srf.Srf([(name, _jsonb_type())], coerced, produce)


srf.register("jsonb_path_query", _path_query)
