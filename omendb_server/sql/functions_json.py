"""json/jsonb operators and functions (->, ->>, #>, #>>, @>, <@, ?, ?|, ?&, ||, -, #-,
jsonb_build_object, jsonb_set, jsonb_each...).

Values of both types travel as text (jsonb in canonical form, see datatypes/jsonb.py);
each operator parses its input (cached) and re-serialises its result. ``json`` keeps
the input text, so json operators return the exact original slices' re-serialisation
the way PostgreSQL prints them.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes import TYPES_BY_OID, DataType
from omendb_server.datatypes import jsonb as J
from omendb_server.datatypes.misc import is_record
from omendb_server.sql import srf
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr
from omendb_server.sql.functions import Call, register

JSON = TYPES_BY_OID[114]
JSONB = TYPES_BY_OID[3802]
TEXT_ARRAY = TYPES_BY_OID[1009]
JSON_OIDS = (114, 3802)


def _dump(v: Any, oid: int) -> str:
    return J.jsonb_out(v) if oid == 3802 else J.dump_json_compact(v)


def _json_side(comp: Any, ce: CExpr, default: DataType = JSONB) -> CExpr:
    if ce.type.oid == 705:
        return comp.coerce(ce, default)
    return ce


def _path_node(node: exp.Expression) -> exp.Expression:
    """sqlglot turns ``-> 0`` / ``-> 'a'`` into a JSONPath; recover the literal."""
    if isinstance(node, exp.JSONPath):
        parts = [p for p in node.expressions if not isinstance(p, exp.JSONPathRoot)]
        if len(parts) == 1:
            p = parts[0]
            if isinstance(p, exp.JSONPathSubscript):
                return exp.Literal.number(p.this)
            if isinstance(p, exp.JSONPathKey):
                return exp.Literal.string(str(p.this))
        raise errors.FeatureNotSupported(f"json path not supported: {node.sql()}")
    return node


def _get(v: Any, key: Any) -> Any:
    """One step of -> : object key or array index (negative counts from the end)."""
    _MISSING = _Missing
    if isinstance(key, int):
        if isinstance(v, list):
            idx = key if key >= 0 else len(v) + key
            return v[idx] if 0 <= idx < len(v) else _MISSING
        if not isinstance(v, dict) and key in (0, -1):
            return v  # jsonb stores a scalar as a one-element array
        return _MISSING
    if isinstance(v, dict):
        return v.get(key, _MISSING)
    if isinstance(v, list):
        try:
            idx = int(key)
        except ValueError:
            return _MISSING
        idx = idx if idx >= 0 else len(v) + idx
        return v[idx] if 0 <= idx < len(v) else _MISSING
    return _MISSING


class _Missing:
    pass


def _as_text(v: Any) -> Any:
    """->> / #>> result: strings unquoted, JSON null -> SQL NULL."""
    if v is None:
        return None
    if isinstance(v, str):
        return v
    return J.dump_jsonb(v)


def extract(comp: Any, node: exp.Expression, as_text: bool, path: bool) -> CExpr:
    left = _json_side(comp, comp.compile(node.this))
    if left.type.oid not in JSON_OIDS:
        sym = ("#>>" if as_text else "#>") if path else ("->>" if as_text else "->")
        raise errors.UndefinedFunction(
            f"operator does not exist: {T.type_label(left.type)} {sym} unknown",
            hint="No operator matches the given name and argument types. "
            "You might need to add explicit type casts.")
    oid = left.type.oid
    key = comp.compile(_path_node(node.expression))
    if path:
        key = comp.coerce(key, TEXT_ARRAY)
    elif key.type.oid == 705 or T.is_string(key.type):
        key = comp.coerce(key, T.TEXT)
    elif T.is_integer(key.type):
        key = comp.coerce(key, T.INT4)
    else:
        raise errors.UndefinedFunction(
            f"operator does not exist: {T.type_label(left.type)} -> {T.type_label(key.type)}",
            hint="No operator matches the given name and argument types. "
            "You might need to add explicit type casts.")
    lf, kf = left.fn, key.fn
    if oid == 114:
        # json keeps the input text: members come back exactly as written
        def run_json(r: tuple, c: ExecContext) -> Any:
            text = lf(r, c)
            if text is None:
                return None
            k = kf(r, c)
            if k is None:
                return None
            for step in (k if path else [k]):
                if step is None or text is None:
                    return None
                text = J.json_get(text, step)
            if text is None:
                return None
            return J.json_text_value(text) if as_text else text

        return CExpr(run_json, T.TEXT if as_text else left.type)

    def run(r: tuple, c: ExecContext) -> Any:
        text = lf(r, c)
        if text is None:
            return None
        k = kf(r, c)
        if k is None:
            return None
        v = J.loads(text)
        if path:
            for step in k:
                if step is None:
                    return None
                v = _get(v, step)
                if v is _Missing:
                    return None
        else:
            v = _get(v, k)
            if v is _Missing:
                return None
        if as_text:
            return _as_text(v)
        return _dump(v, oid)

    return CExpr(run, T.TEXT if as_text else left.type)


def _jsonb_pair(comp: Any, node: exp.Expression) -> tuple[CExpr, CExpr]:
    left, right = comp.compile(node.this), comp.compile(node.expression)
    if left.type.oid == 705 and right.type.oid == 3802:
        left = comp.coerce(left, JSONB)
    elif right.type.oid == 705 and left.type.oid == 3802:
        right = comp.coerce(right, JSONB)
    return left, right


def containment(comp: Any, node: exp.Expression, reverse: bool) -> CExpr | None:
    """@> / <@ on jsonb; None when the operands are not jsonb (arrays handle it)."""
    left, right = _jsonb_pair(comp, node)
    if left.type.oid != 3802 or right.type.oid != 3802:
        return None
    lf, rf = left.fn, right.fn
    if reverse:
        lf, rf = rf, lf

    def run(r: tuple, c: ExecContext) -> Any:
        a, b = lf(r, c), rf(r, c)
        if a is None or b is None:
            return None
        return J.contains(J.loads(a), J.loads(b))

    return CExpr(run, T.BOOL)


def key_exists(comp: Any, node: exp.Expression, mode: str) -> CExpr:
    left = _json_side(comp, comp.compile(node.this))
    right = comp.compile(node.expression)
    right = comp.coerce(right, T.TEXT if mode == "one" else TEXT_ARRAY)
    if left.type.oid != 3802:
        raise errors.UndefinedFunction(
            f"operator does not exist: {T.type_label(left.type)} ? {T.type_label(right.type)}",
            hint="No operator matches the given name and argument types. "
            "You might need to add explicit type casts.")
    lf, rf = left.fn, right.fn

    def has(v: Any, k: str) -> bool:
        if isinstance(v, dict):
            return k in v
        if isinstance(v, list):
            return any(isinstance(x, str) and x == k for x in v)
        return isinstance(v, str) and v == k

    def run(r: tuple, c: ExecContext) -> Any:
        a, k = lf(r, c), rf(r, c)
        if a is None or k is None:
            return None
        v = J.loads(a)
        if mode == "one":
            return has(v, k)
        keys = [x for x in k if x is not None]
        if mode == "any":
            return any(has(v, x) for x in keys)
        return all(has(v, x) for x in keys)

    return CExpr(run, T.BOOL)


def concat_or_delete(comp: Any, sym: str, left: CExpr, right: CExpr) -> CExpr | None:
    """jsonb || jsonb, jsonb - text / int / text[], jsonb #- text[]."""
    if left.type.oid == 705 and right.type.oid == 3802:
        left = comp.coerce(left, JSONB)
    if left.type.oid != 3802:
        return None
    lf = left.fn
    if sym == "||":
        right = comp.coerce(right, JSONB) if right.type.oid == 705 else right
        if right.type.oid != 3802:
            return None
        rf = right.fn

        def concat(r: tuple, c: ExecContext) -> Any:
            a, b = lf(r, c), rf(r, c)
            if a is None or b is None:
                return None
            return J.jsonb_out(jsonb_concat(J.loads(a), J.loads(b)))

        return CExpr(concat, JSONB)
    if sym == "-":
        if right.type.oid == 705:
            right = comp.coerce(right, T.TEXT)
        rf = right.fn
        kind = "int" if T.is_integer(right.type) else "arr" if right.type.category == "A" else "text"

        def delete(r: tuple, c: ExecContext) -> Any:
            a, k = lf(r, c), rf(r, c)
            if a is None or k is None:
                return None
            v = J.loads(a)
            if kind == "int":
                if isinstance(v, dict):
                    raise errors.DBError("cannot delete from object using integer index", "22023")
                if not isinstance(v, list):
                    raise errors.DBError("cannot delete from scalar", "22023")
                idx = k if k >= 0 else len(v) + k
                return J.jsonb_out([x for i, x in enumerate(v) if i != idx])
            keys = {k} if kind == "text" else {x for x in k if x is not None}
            if isinstance(v, dict):
                return J.jsonb_out({kk: vv for kk, vv in v.items() if kk not in keys})
            if isinstance(v, list):
                return J.jsonb_out([x for x in v if not (isinstance(x, str) and x in keys)])
            raise errors.DBError("cannot delete from scalar", "22023")

        return CExpr(delete, JSONB)
    if sym == "#-":
        right = comp.coerce(right, TEXT_ARRAY)
        rf = right.fn

        def delete_path(r: tuple, c: ExecContext) -> Any:
            a, p = lf(r, c), rf(r, c)
            if a is None or p is None:
                return None
            v = copy.deepcopy(J.loads(a))
            _delete_path(v, p)
            return J.jsonb_out(v)

        return CExpr(delete_path, JSONB)
    return None


def _delete_path(v: Any, path: list[str]) -> None:
    if not path:
        return
    parent = v
    for step in path[:-1]:
        nxt = _get(parent, step)
        if nxt is _Missing or not isinstance(nxt, (dict, list)):
            return
        parent = nxt
    last = path[-1]
    if isinstance(parent, dict):
        parent.pop(last, None)
    elif isinstance(parent, list):
        try:
            idx = int(last)
        except ValueError:
            raise errors.DBError(f'path element at position {len(path)} is not an integer: "{last}"',
                                 "22P02") from None
        idx = idx if idx >= 0 else len(parent) + idx
        if 0 <= idx < len(parent):
            del parent[idx]


def jsonb_concat(a: Any, b: Any) -> Any:
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        out.update(b)
        return out
    la = a if isinstance(a, list) else [a]
    lb = b if isinstance(b, list) else [b]
    return la + lb


# -- builders -----------------------------------------------------------------------------
def _value_fns(call: Call, ces: list[CExpr]) -> list[Any]:
    """Closures giving each argument as a parsed JSON value (to_json conversion)."""
    out = []
    for ce in ces:
        if ce.type.oid == 705:
            ce = call.comp.coerce(ce, T.TEXT)
        oid = ce.type.oid
        eoid = ce.type.element.oid if ce.type.element is not None else 0
        f = ce.fn
        out.append(lambda r, c, f=f, oid=oid, eoid=eoid: J.to_json_value(f(r, c), oid, eoid))
    return out


@register("jsonb_build_object", "json_build_object")
def _build_object(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) % 2:
        raise errors.InvalidParameterValue(
            "argument list must have even number of elements",
            hint=f"The arguments of {call.name}() must consist of alternating keys and values.")
    keys = [_key_fn(call, ce) for ce in ces[0::2]]
    vals = _value_fns(call, ces[1::2])
    is_b = call.name.startswith("jsonb")

    def build(r: tuple, c: ExecContext) -> str:
        pairs = []
        for i, (kf, vf) in enumerate(zip(keys, vals)):
            k = kf(r, c)
            if k is None:
                raise errors.InvalidParameterValue(f"argument {2 * i + 1}: key must not be null"
                                                   if not is_b else "argument 1: key must not be null")
            pairs.append((k, vf(r, c)))
        if is_b:
            return J.jsonb_out(dict(pairs))
        return "{" + ", ".join(J.quote(k) + " : " + J.dump_json_compact(v) for k, v in pairs) + "}"

    return call.make(build, JSONB if is_b else JSON)


def _key_fn(call: Call, ce: CExpr) -> Any:
    if ce.type.oid in (705, 25, 1043, 19):
        return call.comp.coerce(ce, T.TEXT).fn
    out, f = ce.type.text_out, ce.fn
    return lambda r, c: None if (v := f(r, c)) is None else out(v, c.fmt)


@register("jsonb_build_array", "json_build_array")
def _build_array(call: Call) -> Any:
    vals = _value_fns(call, call.compiled())
    is_b = call.name.startswith("jsonb")

    def build(r: tuple, c: ExecContext) -> str:
        items = [vf(r, c) for vf in vals]
        if is_b:
            return J.jsonb_out(items)
        return "[" + ", ".join(J.dump_json_compact(v) for v in items) + "]"

    return call.make(build, JSONB if is_b else JSON)


@register("row_to_json")
def _row_to_json(call: Call) -> Any:
    ces = call.compiled()
    if not ces or not is_record(ces[0].type.oid):
        raise call.no_such_function(ces)
    (vf,) = _value_fns(call, ces[:1])
    f = ces[0].fn
    return call.make(lambda r, c: None if f(r, c) is None else J.dump_json_compact(vf(r, c)), JSON)


@register("to_json", "to_jsonb")
def _to_json(call: Call) -> Any:
    (a,) = call.compiled()
    if a.type.oid == 705:
        raise errors.IndeterminateDatatype("could not determine polymorphic type because input "
                                           "has type unknown")
    (vf,) = _value_fns(call, [a])
    f = a.fn
    is_b = call.name == "to_jsonb"
    if is_b:
        return call.make(lambda r, c: None if f(r, c) is None else J.jsonb_out(vf(r, c)), JSONB)
    if a.type.oid == 114:
        return call.make(lambda r, c: f(r, c), JSON)
    return call.make(lambda r, c: None if f(r, c) is None else J.dump_json_compact(vf(r, c)), JSON)


def _json_arg(call: Call, ce: CExpr, want: DataType | None = None) -> CExpr:
    if ce.type.oid == 705:
        return call.comp.coerce(ce, want or (JSON if call.name.startswith("json_") else JSONB))
    if ce.type.oid not in JSON_OIDS:
        raise call.no_such_function()
    return ce


@register("jsonb_typeof", "json_typeof")
def _typeof(call: Call) -> Any:
    a = _json_arg(call, call.compiled()[0])
    return call.strict([a], lambda t: J.typeof(J.loads(t)), T.TEXT)


@register("jsonb_array_length", "json_array_length")
def _array_length(call: Call) -> Any:
    a = _json_arg(call, call.compiled()[0])

    def length(t: str) -> int:
        v = J.loads(t)
        if not isinstance(v, list):
            raise errors.InvalidParameterValue(
                "cannot get array length of a scalar" if not isinstance(v, dict)
                else "cannot get array length of a non-array")
        return len(v)

    return call.strict([a], length, T.INT4)


@register("jsonb_strip_nulls", "json_strip_nulls")
def _strip_nulls(call: Call) -> Any:
    a = _json_arg(call, call.compiled()[0])
    oid = a.type.oid

    def strip(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: strip(x) for k, x in v.items() if x is not None}
        if isinstance(v, list):
            return [strip(x) for x in v]
        return v

    return call.strict([a], lambda t: _dump(strip(J.loads(t)), oid), a.type)


@register("jsonb_pretty")
def _pretty(call: Call) -> Any:
    a = _json_arg(call, call.compiled()[0], JSONB)
    return call.strict([a], lambda t: J.pretty(J.loads(t)), T.TEXT)


@register("jsonb_extract_path", "json_extract_path", "jsonb_extract_path_text",
          "json_extract_path_text")
def _extract_path(call: Call) -> Any:
    ces = call.compiled()
    a = _json_arg(call, ces[0])
    keys = [call.comp.coerce(k, T.TEXT).fn for k in ces[1:]]
    as_text = call.name.endswith("_text")
    oid = a.type.oid
    af = a.fn

    def run(r: tuple, c: ExecContext) -> Any:
        t = af(r, c)
        if t is None:
            return None
        v = J.loads(t)
        for kf in keys:
            k = kf(r, c)
            if k is None:
                return None
            v = _get(v, k)
            if v is _Missing:
                return None
        return _as_text(v) if as_text else _dump(v, oid)

    return call.make(run, T.TEXT if as_text else a.type)


def _set_path(target: Any, path: list[str], new: Any, create: bool, insert: bool = False,
              after: bool = False) -> Any:
    """jsonb_set / jsonb_insert on a deep copy of ``target``."""
    if not path:
        return target
    root = copy.deepcopy(target)
    parent = root
    for depth, step in enumerate(path[:-1]):
        nxt = _get(parent, step) if isinstance(parent, (dict, list)) else _Missing
        if nxt is _Missing or not isinstance(nxt, (dict, list)):
            return root
        parent = nxt
    last = path[-1]
    if isinstance(parent, dict):
        if insert and last in parent:
            raise errors.InvalidParameterValue("cannot replace existing key",
                                               hint="Try using the function jsonb_set to replace key value.")
        if last in parent or create or insert:
            parent[last] = new
        return root
    if isinstance(parent, list):
        try:
            idx = int(last)
        except ValueError:
            raise errors.InvalidTextRepresentation(
                f'path element at position {len(path)} is not an integer: "{last}"') from None
        n = len(parent)
        if idx < 0:
            idx += n
            if idx < 0:
                if create or insert:
                    parent.insert(0, new)
                return root
        if insert:
            pos = idx + 1 if after else idx
            parent.insert(min(pos, n), new)
        elif idx < n:
            parent[idx] = new
        elif create:
            parent.append(new)
        return root
    if isinstance(root, (dict, list)):
        return root
    raise errors.InvalidParameterValue("cannot set path in scalar")


@register("jsonb_set", "jsonb_set_lax", "jsonb_insert")
def _jsonb_set(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) not in (3, 4):
        raise call.no_such_function(ces)
    target = _json_arg(call, ces[0], JSONB)
    path = call.comp.coerce(ces[1], TEXT_ARRAY)
    new = call.comp.coerce(ces[2], JSONB) if ces[2].type.oid == 705 else ces[2]
    if new.type.oid != 3802:
        raise call.no_such_function(ces)
    flag = call.comp.coerce(ces[3], T.BOOL) if len(ces) == 4 else None
    insert = call.name == "jsonb_insert"
    tf, pf, nf = target.fn, path.fn, new.fn
    ff = flag.fn if flag is not None else (lambda r, c: not insert)

    def run(r: tuple, c: ExecContext) -> Any:
        t, p, n = tf(r, c), pf(r, c), nf(r, c)
        fl = ff(r, c)
        if t is None or p is None or n is None or fl is None:
            return None
        if any(x is None for x in p):
            raise errors.NullValueNotAllowed(f"path element at position {p.index(None) + 1} is null")
        v = J.loads(t)
        if not isinstance(v, (dict, list)):
            raise errors.InvalidParameterValue("cannot set path in scalar")
        out = _set_path(v, p, J.loads(n), create=bool(fl) and not insert, insert=insert,
                        after=bool(fl) and insert)
        return J.jsonb_out(out)

    return call.make(run, JSONB)


# -- set-returning functions (registered with the planner's SRF registry) -----------------------
def _srf_json_arg(comp: Any, args: list[CExpr], name: str) -> CExpr:
    if len(args) != 1:
        raise srf._no_function(name, args)
    a = args[0]
    if a.type.oid == 705:
        a = comp.coerce(a, JSON if name.startswith("json_") else JSONB)
    if a.type.oid not in JSON_OIDS:
        raise srf._no_function(name, args)
    return a


def _each(comp: Any, args: list[CExpr], name: str) -> Any:
    a = _srf_json_arg(comp, args, name)
    as_text = name.endswith("_text")
    oid = a.type.oid

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        t = values[0]
        if t is None:
            return
        if oid == 114:
            kind, items = J.split_json(t)
            if kind != "object":
                raise errors.InvalidParameterValue(f"cannot call {name} on a non-object")
            for k, x in items:
                yield (k, J.json_text_value(x) if as_text else x)
            return
        v = J.loads(t)
        if not isinstance(v, dict):
            raise errors.InvalidParameterValue(f"cannot call {name} on a non-object")
        for k in sorted(v, key=J._key_order):
            x = v[k]
            yield (k, _as_text(x) if as_text else _dump(x, oid))

    return srf.Srf([("key", T.TEXT), ("value", T.TEXT if as_text else a.type)], [a], produce)


def _elements(comp: Any, args: list[CExpr], name: str) -> Any:
    a = _srf_json_arg(comp, args, name)
    as_text = name.endswith("_text")
    oid = a.type.oid

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        t = values[0]
        if t is None:
            return
        if oid == 114:
            kind, items = J.split_json(t)
            if kind != "array":
                raise errors.InvalidParameterValue(
                    "cannot extract elements from a scalar" if kind == "scalar"
                    else "cannot extract elements from an object")
            for x in items:
                yield (J.json_text_value(x) if as_text else x,)
            return
        v = J.loads(t)
        if not isinstance(v, list):
            raise errors.InvalidParameterValue(
                "cannot extract elements from a scalar" if not isinstance(v, dict)
                else "cannot extract elements from an object")
        for x in v:
            yield (_as_text(x) if as_text else _dump(x, oid),)

    return srf.Srf([("value", T.TEXT if as_text else a.type)], [a], produce)


def _object_keys(comp: Any, args: list[CExpr], name: str) -> Any:
    a = _srf_json_arg(comp, args, name)
    oid = a.type.oid

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        t = values[0]
        if t is None:
            return
        v = J.loads(t)
        if not isinstance(v, dict):
            raise errors.InvalidParameterValue(
                f"cannot call {name} on " + ("an array" if isinstance(v, list) else "a scalar"))
        for k in (sorted(v, key=J._key_order) if oid == 3802 else v):
            yield (k,)

    return srf.Srf([(name, T.TEXT)], [a], produce)


def _regexp_matches(comp: Any, args: list[CExpr], name: str) -> Any:
    from omendb_server.sql.functions_string import regexp_matches_rows

    if len(args) not in (2, 3):
        raise srf._no_function(name, args)
    coerced = [comp.coerce(x, T.TEXT) for x in args]

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        if any(v is None for v in values):
            return
        for row in regexp_matches_rows(*values):
            yield (row,)

    return srf.Srf([(name, TEXT_ARRAY)], coerced, produce)


def _regexp_split_table(comp: Any, args: list[CExpr], name: str) -> Any:
    from omendb_server.sql.functions_string import regexp_split

    if len(args) not in (2, 3):
        raise srf._no_function(name, args)
    coerced = [comp.coerce(x, T.TEXT) for x in args]

    def produce(values: list[Any], ctx: ExecContext) -> Any:
        if any(v is None for v in values):
            return
        for part in regexp_split(*values):
            yield (part,)

    return srf.Srf([(name, T.TEXT)], coerced, produce)


for _name in ("jsonb_each", "jsonb_each_text", "json_each", "json_each_text"):
    srf.register(_name, _each)
for _name in ("jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements",
              "json_array_elements_text"):
    srf.register(_name, _elements)
for _name in ("jsonb_object_keys", "json_object_keys"):
    srf.register(_name, _object_keys)
srf.register("regexp_matches", _regexp_matches)
srf.register("regexp_split_to_table", _regexp_split_table)
