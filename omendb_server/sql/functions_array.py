"""Array operators and functions: @>, <@, &&, ||, subscripts and slices, array_length,
array_append/prepend/cat/remove/replace/position(s), cardinality, array_upper/lower.

Arrays are Python lists (nested lists for more dimensions), 1-based in SQL. Only
one-dimensional arrays with lower bound 1 are produced, which is what every
constructor and function here yields in PostgreSQL too.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from omendb_server import errors
from omendb_server.datatypes import array_of
from omendb_server.datatypes.arrays import BoundedArray, PgArray, lower_bounds
from omendb_server.sql import types as T
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import CExpr
from omendb_server.sql.functions import Call, register


def _no_operator(sym: str, left: Any, right: Any) -> errors.DBError:
    return errors.UndefinedFunction(
        f"operator does not exist: {T.type_label(left.type)} {sym} {T.type_label(right.type)}",
        hint="No operator matches the given name and argument types. "
        "You might need to add explicit type casts.")


def _flat(v: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in v:
        if isinstance(x, list):
            out.extend(_flat(x))
        else:
            out.append(x)
    return out


def _array_pair(comp: Any, left: CExpr, right: CExpr) -> tuple[CExpr, CExpr]:
    if left.type.oid == 705 and right.type.category == "A":
        left = comp.coerce(left, right.type)
    elif right.type.oid == 705 and left.type.category == "A":
        right = comp.coerce(right, left.type)
    if left.type.category == "A" and right.type.category == "A" and left.type.oid != right.type.oid:
        et = T.common_type(left.type.element, right.type.element)
        left, right = comp.coerce(left, array_of(et)), comp.coerce(right, array_of(et))
    return left, right


def array_result(ce: CExpr) -> CExpr:
    """``ce`` with its array results as PgArray (plain lists compare with Python's rules,
    which fail on NULL elements; PgArray orders as PostgreSQL's array_cmp)."""
    f = ce.fn

    def wrapped(r: tuple, c: ExecContext) -> Any:
        v = f(r, c)
        return v if v is None or isinstance(v, PgArray) else PgArray(v)

    ce.fn = wrapped
    return ce


def container_operator(comp: Any, sym: str, left: CExpr, right: CExpr) -> CExpr | None:
    """``||`` and ``-`` when an operand is an array or jsonb; None when not applicable."""
    out = _container_operator(comp, sym, left, right)
    return array_result(out) if out is not None and out.type.category == "A" else out


def _container_operator(comp: Any, sym: str, left: CExpr, right: CExpr) -> CExpr | None:
    from omendb_server.sql.functions_json import concat_or_delete

    if 3802 in (left.type.oid, right.type.oid):
        hit = concat_or_delete(comp, sym, left, right)
        if hit is not None:
            return hit
        if sym in ("||", "-", "#-"):
            raise _no_operator(sym, left, right)
        return None
    if sym != "||" or (left.type.category != "A" and right.type.category != "A"):
        return None
    if left.type.category == "A" and right.type.category == "A" or \
            705 in (left.type.oid, right.type.oid):
        left, right = _array_pair(comp, left, right)
        lf, rf = left.fn, right.fn

        def cat(r: tuple, c: ExecContext) -> Any:
            a, b = lf(r, c), rf(r, c)
            if a is None:
                return b
            if b is None:
                return a
            return concat_arrays(a, b)

        return CExpr(cat, left.type)
    if left.type.category == "A":
        et = left.type.element
        right = comp.coerce(right, et) if right.type.oid != et.oid else right
        lf, rf = left.fn, right.fn

        def append(r: tuple, c: ExecContext) -> Any:
            a = lf(r, c)
            return (list(a) if a is not None else []) + [rf(r, c)]

        return CExpr(append, left.type)
    et = right.type.element
    left = comp.coerce(left, et) if left.type.oid != et.oid else left
    lf, rf = left.fn, right.fn

    def prepend(r: tuple, c: ExecContext) -> Any:
        b = rf(r, c)
        return [lf(r, c)] + (list(b) if b is not None else [])

    return CExpr(prepend, right.type)


def concat_arrays(a: list[Any], b: list[Any]) -> list[Any]:
    """array || array, also N-dimensional || (N-1)-dimensional (appended as an element)."""
    da, db = len(_dims(a)) if a else 0, len(_dims(b)) if b else 0
    if not a:
        return list(b)
    if not b:
        return list(a)
    if da + 1 == db:
        return [list(a)] + list(b)
    if da == db + 1:
        return list(a) + [list(b)]
    if da != db:
        raise errors.DBError("cannot concatenate incompatible arrays", "2202E",
                             detail=f"Arrays of {da} and {db} dimensions are not compatible "
                             "for concatenation.")
    return list(a) + list(b)


def _hashable_set(values: list[Any]) -> Any:
    try:
        return set(values)
    except TypeError:
        return values


def array_containment(comp: Any, node: exp.Expression, kind: str) -> CExpr:
    """@> ('contains'), <@ ('contained'), && ('overlaps') for arrays and jsonb."""
    from omendb_server.sql.functions_json import containment

    if kind != "overlaps":
        hit = containment(comp, node, reverse=(kind == "contained"))
        if hit is not None:
            return hit
    left, right = comp.compile(node.this), comp.compile(node.expression)
    left, right = _array_pair(comp, left, right)
    sym = {"contains": "@>", "contained": "<@", "overlaps": "&&"}[kind]
    if left.type.category != "A" or right.type.category != "A":
        raise _no_operator(sym, left, right)
    lf, rf = left.fn, right.fn
    if kind == "contained":
        lf, rf = rf, lf

    def run(r: tuple, c: ExecContext) -> Any:
        a, b = lf(r, c), rf(r, c)
        if a is None or b is None:
            return None
        fa, fb = _flat(a), _flat(b)
        if kind == "overlaps":
            sa = _hashable_set([x for x in fa if x is not None])
            return any(x is not None and x in sa for x in fb)
        sa = _hashable_set([x for x in fa if x is not None])
        return all(x is not None and x in sa for x in fb)

    return CExpr(run, T.BOOL)


def subscript(comp: Any, node: exp.Bracket) -> CExpr:
    """a[i], a[i][j], a[lo:hi] (either bound optional) with PostgreSQL's NULL-for-out-of-range."""
    # a[i][j]...: collect the chain of plain subscripts and walk nested lists at once
    chain = [node]
    while isinstance(chain[-1].this, exp.Bracket) and len(chain[-1].this.expressions) == 1:
        chain.append(chain[-1].this)
    if len(chain) > 1 and not any(isinstance(b.expressions[0], exp.Slice) for b in chain):
        return _subscript_chain(comp, chain[-1].this, [b.expressions[0] for b in reversed(chain)])
    base = comp.compile(node.this)
    if base.type.oid == 3802:
        return _subscript_chain(comp, node.this, [node.expressions[0]])
    if base.type.oid in (22, 30) and len(node.expressions) == 1 \
            and not isinstance(node.expressions[0], exp.Slice):
        return _vector_subscript(comp, node, base)
    if base.type.category != "A" or base.type.element is None:
        raise errors.DatatypeMismatch(
            f"cannot subscript type {T.type_label(base.type)} because it does not support subscripting")
    bf = base.fn
    et = base.type.element
    items = node.expressions
    if len(items) != 1:
        raise errors.FeatureNotSupported("multiple subscripts in one bracket are not supported")
    item = items[0]
    if isinstance(item, exp.Slice):
        lo = comp.coerce(comp.compile(item.this), T.INT4).fn if item.this is not None else None
        hi = comp.coerce(comp.compile(item.expression), T.INT4).fn \
            if item.expression is not None else None

        def slice_(r: tuple, c: ExecContext) -> Any:
            a = bf(r, c)
            if a is None:
                return None
            first = _lower(a)
            i = lo(r, c) if lo is not None else first
            j = hi(r, c) if hi is not None else first + len(a) - 1
            if i is None or j is None:
                return None
            i = max(i - first + 1, 1)
            j = min(j - first + 1, len(a))
            if i > j:
                return []
            return a[i - 1:j]  # a slice is 1-based again, as in PostgreSQL

        return CExpr(slice_, base.type, -1, base.name)
    idx = comp.coerce(comp.compile(item), T.INT4).fn
    # a[1][2] on a one-level Bracket chain: the inner Bracket already compiled to the element
    nested = isinstance(node.this, exp.Bracket) and not isinstance(node.this.expressions[0], exp.Slice)

    def at(r: tuple, c: ExecContext) -> Any:
        a = bf(r, c)
        if a is None:
            return None
        i = idx(r, c)
        if i is None:
            return None
        i -= _lower(a) - 1
        if i < 1 or i > len(a):
            return None
        v = a[i - 1]
        return None if isinstance(v, list) else v  # too few subscripts for the dimensions

    del nested
    return CExpr(at, et, -1, base.name)


def _vector_subscript(comp: Any, node: exp.Bracket, base: CExpr) -> CExpr:
    """int2vector/oidvector (pg_index.indkey, pg_publication_rel.prattrs): subscripts start
    at 0, as PostgreSQL's catalog vectors do."""
    from omendb_server.datatypes import TYPES_BY_OID

    et = TYPES_BY_OID[21 if base.type.oid == 22 else 26]
    bf = base.fn
    idx = comp.coerce(comp.compile(node.expressions[0]), T.INT4).fn

    def at(r: tuple, c: ExecContext) -> Any:
        a, i = bf(r, c), idx(r, c)
        if a is None or i is None or i < 0 or i >= len(a):
            return None
        return a[i]

    return CExpr(at, et, -1, base.name)


# -- functions -------------------------------------------------------------------------------
def _lower(a: list[Any]) -> int:
    """Lower bound of an array's first dimension (1 unless written '[0:2]={...}')."""
    return a.lbounds[0] if type(a) is BoundedArray else 1


def _array_arg(call: Call, ce: CExpr) -> CExpr:
    if ce.type.category != "A" or ce.type.element is None:
        if ce.type.oid == 705:
            raise errors.IndeterminateDatatype(
                "could not determine polymorphic type because input has type unknown")
        raise call.no_such_function()
    return ce


def _dims(a: list[Any]) -> list[int]:
    dims = []
    while isinstance(a, list):
        dims.append(len(a))
        if not a:
            break
        a = a[0]
    return dims


@register("array_size", "array_length", "array_upper", "array_lower")
def _array_length(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 2:
        raise call.no_such_function(ces)
    arr = _array_arg(call, ces[0])
    dim = call.comp.coerce(ces[1], T.INT4)
    name = "array_length" if call.name == "array_size" else call.name

    def run(a: list[Any], d: int) -> Any:
        dims = _dims(a)
        if not a or d < 1 or d > len(dims):
            return None
        lb = lower_bounds(a)[d - 1] if type(a) is BoundedArray else 1
        if name == "array_lower":
            return lb
        if name == "array_upper":
            return lb + dims[d - 1] - 1
        return dims[d - 1]

    return call.strict([arr, dim], run, T.INT4, name)


@register("cardinality")
def _cardinality(call: Call) -> Any:
    (a,) = call.compiled()
    a = _array_arg(call, a)
    return call.strict([a], lambda v: len(_flat(v)), T.INT4)


@register("array_ndims")
def _ndims(call: Call) -> Any:
    (a,) = call.compiled()
    a = _array_arg(call, a)
    return call.strict([a], lambda v: len(_dims(v)) if v else None, T.INT4)


@register("array_dims")
def _array_dims(call: Call) -> Any:
    (a,) = call.compiled()
    a = _array_arg(call, a)
    def dims(v: list[Any]) -> str | None:
        if not v:
            return None
        sizes = _dims(v)
        bounds = lower_bounds(v) if type(v) is BoundedArray else (1,) * len(sizes)
        return "".join(f"[{lb}:{lb + n - 1}]" for lb, n in zip(bounds, sizes))

    return call.strict([a], dims, T.TEXT)


def _elem_and_array(call: Call, arr: CExpr, elem: CExpr) -> tuple[CExpr, CExpr]:
    if arr.type.oid == 705 and elem.type.oid != 705:
        arr = call.comp.coerce(arr, array_of(elem.type))
    arr = _array_arg(call, arr)
    et = arr.type.element
    if elem.type.oid != et.oid:
        elem = call.comp.coerce(elem, et)
    return arr, elem


@register("array_append")
def _array_append(call: Call) -> Any:
    a, e = call.compiled()
    a, e = _elem_and_array(call, a, e)
    af, ef = a.fn, e.fn
    return call.make(lambda r, c: (list(v) if (v := af(r, c)) is not None else []) + [ef(r, c)],
                     a.type)


@register("array_prepend")
def _array_prepend(call: Call) -> Any:
    node = call.node
    if isinstance(node, exp.ArrayPrepend):
        # sqlglot stores array_prepend(elem, arr) as this=arr, expression=elem
        a, e = call.comp.compile(node.this), call.comp.compile(node.expression)
    else:
        e, a = call.compiled()
    a, e = _elem_and_array(call, a, e)
    af, ef = a.fn, e.fn
    return call.make(lambda r, c: [ef(r, c)] + (list(v) if (v := af(r, c)) is not None else []),
                     a.type, "array_prepend")


@register("array_concat", "array_cat")
def _array_cat(call: Call) -> Any:
    ces = call.compiled()
    if len(ces) != 2:
        raise call.no_such_function(ces)
    a, b = _array_pair(call.comp, ces[0], ces[1])
    a = _array_arg(call, a)
    af, bf = a.fn, b.fn

    def cat(r: tuple, c: ExecContext) -> Any:
        x, y = af(r, c), bf(r, c)
        if x is None:
            return y
        if y is None:
            return x
        return list(x) + list(y)

    return call.make(cat, a.type, "array_cat")


@register("array_remove")
def _array_remove(call: Call) -> Any:
    a, e = call.compiled()
    a, e = _elem_and_array(call, a, e)
    af, ef = a.fn, e.fn

    def remove(r: tuple, c: ExecContext) -> Any:
        v = af(r, c)
        if v is None:
            return None
        x = ef(r, c)
        if x is None:
            return [y for y in v if y is not None]
        return [y for y in v if y is None or y != x]

    return call.make(remove, a.type)


@register("array_replace")
def _array_replace(call: Call) -> Any:
    a, e, n = call.compiled()
    a, e = _elem_and_array(call, a, e)
    n = call.comp.coerce(n, a.type.element)
    af, ef, nf = a.fn, e.fn, n.fn

    def replace(r: tuple, c: ExecContext) -> Any:
        v = af(r, c)
        if v is None:
            return None
        x, y = ef(r, c), nf(r, c)
        return [y if (z is None and x is None) or (z is not None and z == x) else z for z in v]

    return call.make(replace, a.type)


@register("array_position", "array_positions")
def _array_position(call: Call) -> Any:
    ces = call.compiled()
    a, e = _elem_and_array(call, ces[0], ces[1])
    start = call.comp.coerce(ces[2], T.INT4).fn if len(ces) > 2 else (lambda r, c: 1)
    af, ef = a.fn, e.fn
    many = call.name == "array_positions"

    def position(r: tuple, c: ExecContext) -> Any:
        v = af(r, c)
        if v is None:
            return None
        x = ef(r, c)
        s = start(r, c)
        if s is None:
            raise errors.NullValueNotAllowed("initial position must not be null")
        hits = [i + 1 for i, z in enumerate(v) if i + 1 >= s and
                ((z is None and x is None) or (z is not None and x is not None and z == x))]
        if many:
            return hits
        return hits[0] if hits else None

    return call.make(position, array_of(T.INT4) if many else T.INT4, call.name)


@register("array_fill")
def _array_fill(call: Call) -> Any:
    v, dims = call.compiled()
    if v.type.oid == 705:
        raise errors.IndeterminateDatatype("could not determine polymorphic type because input "
                                           "has type unknown")
    dims = call.comp.coerce(dims, array_of(T.INT4))
    vf, df = v.fn, dims.fn

    def fill(r: tuple, c: ExecContext) -> Any:
        x, d = vf(r, c), df(r, c)
        if d is None:
            raise errors.NullValueNotAllowed("dimension array or low bound array cannot be null")

        def build(level: int) -> Any:
            if level == len(d) - 1:
                return [x] * d[level]
            return [build(level + 1) for _ in range(d[level])]

        return build(0) if d else []

    return call.make(fill, array_of(v.type))


def _subscript_chain(comp: Any, base_node: exp.Expression, idx_nodes: list[exp.Expression]) -> CExpr:
    """base[i1][i2]...: arrays walk nested lists; jsonb walks keys/indexes (PostgreSQL 14+)."""
    from omendb_server.datatypes import jsonb as J
    from omendb_server.sql.functions_json import _get, _Missing

    base = comp.compile(base_node)
    bf = base.fn
    if base.type.oid == 3802:
        keys = []
        for n in idx_nodes:
            k = comp.compile(n)
            k = comp.coerce(k, T.INT4 if T.is_integer(k.type) else T.TEXT)
            keys.append(k.fn)

        def jsub(r: tuple, c: ExecContext) -> Any:
            t = bf(r, c)
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
            return J.jsonb_out(v)

        return CExpr(jsub, base.type, -1, base.name)
    if base.type.category != "A" or base.type.element is None:
        raise errors.DatatypeMismatch(
            f"cannot subscript type {T.type_label(base.type)} because it does not support subscripting")
    fns = [comp.coerce(comp.compile(n), T.INT4).fn for n in idx_nodes]

    def at(r: tuple, c: ExecContext) -> Any:
        v = bf(r, c)
        bounds = lower_bounds(v) if type(v) is BoundedArray else ()
        for d, f in enumerate(fns):
            if v is None or not isinstance(v, list):
                return None
            i = f(r, c)
            if i is None:
                return None
            if d < len(bounds):
                i -= bounds[d] - 1
            if i < 1 or i > len(v):
                return None
            v = v[i - 1]
        return None if isinstance(v, list) else v

    return CExpr(at, base.type.element, -1, base.name)
