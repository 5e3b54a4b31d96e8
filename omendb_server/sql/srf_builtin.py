"""Set-returning functions over jsonb and text, registered in ``srf.REGISTRY``.

They reuse the value helpers of their types (jsonb is stored as canonical text and
parsed with ``jsonb.loads``; the regular-expression helpers come from
``functions_string``), so only the row-producing part lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID
from omendb_server.datatypes import jsonb as J
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.srf import Srf, _no_function, register

if TYPE_CHECKING:
    from omendb_server.sql.expr import CExpr, ExprCompiler

JSONB = TYPES_BY_OID[3802]
JSON = TYPES_BY_OID[114]
Rows = Iterable[tuple[Any, ...]]


def _json_arg(comp: ExprCompiler, args: list[CExpr], name: str) -> CExpr:
    if len(args) != 1:
        raise _no_function(name, args)
    a = args[0]
    want = JSONB if name.startswith("jsonb") else JSON
    if a.type.oid == 705:
        return comp.coerce(a, want)
    if a.type.oid != want.oid:
        raise _no_function(name, args)
    return a


def _kind(v: Any) -> str:
    return "object" if isinstance(v, dict) else "array" if isinstance(v, list) else "scalar"


def _as_text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return J.dump_jsonb(v)


def _array_elements(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    a = _json_arg(comp, args, name)
    as_text = name.endswith("_text")
    out_type = T.TEXT if as_text else (JSONB if name.startswith("jsonb") else JSON)

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        if values[0] is None:
            return
        v = J.loads(values[0])
        if not isinstance(v, list):
            raise errors.InvalidParameterValue(
                f"cannot extract elements from {'an object' if isinstance(v, dict) else 'a scalar'}")
        for item in v:
            if as_text:
                yield (_as_text(item),)
            else:
                yield (J.dump_jsonb(item),)

    return Srf([("value", out_type)], [a], produce)


def _each(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    a = _json_arg(comp, args, name)
    as_text = name.endswith("_text")
    out_type = T.TEXT if as_text else (JSONB if name.startswith("jsonb") else JSON)

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        if values[0] is None:
            return
        v = J.loads(values[0])
        if not isinstance(v, dict):
            raise errors.InvalidParameterValue(
                f"cannot call {name} on a non-object")
        for k in sorted(v, key=J._key_order) if name.startswith("jsonb") else v:
            yield (k, _as_text(v[k]) if as_text else J.dump_jsonb(v[k]))

    return Srf([("key", T.TEXT), ("value", out_type)], [a], produce)


def _object_keys(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    a = _json_arg(comp, args, name)

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        if values[0] is None:
            return
        v = J.loads(values[0])
        if not isinstance(v, dict):
            raise errors.InvalidParameterValue(
                f"cannot call {name} on {'an array' if isinstance(v, list) else 'a scalar'}")
        for k in sorted(v, key=J._key_order) if name.startswith("jsonb") else v:
            yield (k,)

    return Srf([(name, T.TEXT)], [a], produce)


def _texts(comp: ExprCompiler, args: list[CExpr], name: str, n: tuple[int, ...]) -> list[CExpr]:
    if len(args) not in n:
        raise _no_function(name, args)
    out = []
    for a in args:
        if a.type.oid != 705 and not T.is_string(a.type):
            raise _no_function(name, args)
        out.append(comp.coerce(a, T.TEXT))
    return out


def _regexp_matches(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    from omendb_server.sql.functions_string import regexp_matches_rows

    coerced = _texts(comp, args, name, (2, 3))

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        if any(v is None for v in values):
            return
        for groups in regexp_matches_rows(*values):
            yield (groups,)

    return Srf([(name, T.TEXT_ARRAY)], coerced, produce)


def _regexp_split_to_table(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    from omendb_server.sql.functions_string import regexp_split

    coerced = _texts(comp, args, name, (2, 3))

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        if any(v is None for v in values):
            return
        for part in regexp_split(*values):
            yield (part,)

    return Srf([(name, T.TEXT)], coerced, produce)


def _string_to_table(comp: ExprCompiler, args: list[CExpr], name: str) -> Srf:
    coerced = _texts(comp, args, name, (2, 3))

    def produce(values: list[Any], ctx: ExecContext) -> Rows:
        s, sep = values[0], values[1]
        null = values[2] if len(values) > 2 else None
        if s is None:
            return
        if sep is None:
            parts: list[str] = list(s)
        elif sep == "":
            parts = [s] if s != "" else []
        else:
            parts = s.split(sep) if s != "" else []
        for p in parts:
            yield (None if null is not None and p == null else p,)

    return Srf([(name, T.TEXT)], coerced, produce)


for _name in ("jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements",
              "json_array_elements_text"):
    register(_name, _array_elements)
for _name in ("jsonb_each", "jsonb_each_text", "json_each", "json_each_text"):
    register(_name, _each)
for _name in ("jsonb_object_keys", "json_object_keys"):
    register(_name, _object_keys)
register("regexp_matches", _regexp_matches)
register("regexp_split_to_table", _regexp_split_to_table)
register("string_to_table", _string_to_table)
