"""Expressions printed the way PostgreSQL's ruleutils prints stored expressions.

pg_get_expr (column defaults, generation expressions) and pg_get_constraintdef
(CHECK) show the *parsed* expression, not the text the user typed: operators in
parentheses, literals with their resolved type (``'x'::text``, ``'-1'::integer``),
``IN (...)`` as ``= ANY (ARRAY[...])``, ``LIKE`` as ``~~``. psql's ``\\d`` and ORM
reflection read these strings, so they should match PostgreSQL 15 byte for byte
for the common forms; anything unknown falls back to sqlglot's rendering.
"""

from __future__ import annotations

import re
from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server.datatypes import DataType, format_type, type_by_name

_STRINGY = {25, 1043, 1042, 19}
_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_$]*$")


def _ident(name: str) -> str:
    return name if _SAFE_IDENT.match(name) else '"' + name.replace('"', '""') + '"'


def _type_name(t: DataType | None, typmod: int = -1) -> str:
    if t is None:
        return "text"
    try:
        return format_type(t, typmod)
    except Exception:  # noqa: BLE001 - enum/user types: their name
        return t.name


_ARITH = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%",
          exp.DPipe: "||"}
_CMP = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=",
        exp.Like: "~~", exp.ILike: "~~*", exp.RegexpLike: "~"}
_NUMERIC_CATS = {"N"}


class _Deparser:
    """``pretty`` follows pg_get_*(..., true) (psql's \\d): parentheses only where
    precedence needs them; otherwise every operator is parenthesized."""

    def __init__(self, columns: dict[str, DataType], pretty: bool = False) -> None:
        self.columns = columns
        self.pretty = pretty

    # -- types ---------------------------------------------------------------------
    def type_of(self, node: exp.Expression) -> DataType | None:
        if isinstance(node, exp.Column):
            return self.columns.get(node.name)
        if isinstance(node, exp.Cast):
            return _cast_type(node)
        if isinstance(node, exp.Paren):
            return self.type_of(node.this)
        if isinstance(node, exp.Literal):
            return None if node.is_string else _number_type(node.this)
        return None

    def _cast(self, inner: str, simple: bool, type_name: str) -> str:
        if self.pretty or not simple:
            return f"{inner}::{type_name}"
        return f"({inner})::{type_name}"

    def literal(self, node: exp.Expression, ctx: DataType | None) -> str | None:
        """A constant as PostgreSQL shows it (typed by context), or None."""
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and \
                not node.this.is_string:
            text = "-" + node.this.this
            natural = _number_type(text)
            shown = f"'{text}'::{_type_name(natural)}"
            if ctx is not None and ctx.category in _NUMERIC_CATS and ctx.oid != natural.oid \
                    and not _int_compatible(natural, ctx):
                return f"({shown})::{_type_name(ctx)}"
            return shown
        if isinstance(node, exp.Literal):
            if not node.is_string:
                natural = _number_type(node.this)
                if ctx is not None and ctx.category in _NUMERIC_CATS and \
                        ctx.oid != natural.oid and not _int_compatible(natural, ctx):
                    return self._cast(node.this, True, _type_name(ctx))
                return node.this
            name = _type_name(ctx) if ctx is not None else "text"
            return "'" + node.this.replace("'", "''") + "'::" + name
        if isinstance(node, exp.Boolean):
            return "true" if node.this else "false"
        if isinstance(node, exp.Null):
            return "NULL"
        return None

    # -- operators -------------------------------------------------------------------
    def _wrap(self, text: str, need: bool) -> str:
        return f"({text})" if need or not self.pretty else text

    def operand(self, node: exp.Expression, other: exp.Expression, parent: str) -> str:
        """One side of a binary operator: literals take the other side's type; a
        varchar column compared with text is shown cast to text, as PostgreSQL does."""
        other_t = self.type_of(other)
        ctx = other_t
        if ctx is not None and ctx.oid in (1043, 1042):
            ctx = type_by_name("text")
        if isinstance(other, exp.Literal) and not other.is_string and \
                isinstance(node, exp.Literal) and not node.is_string:
            ctx = None
        lit = self.literal(node, ctx)
        if lit is not None:
            return lit
        t = self.type_of(node)
        text = self.expr(node, parent=parent)
        if t is not None and t.oid in (1043, 1042) and (
                (isinstance(other, exp.Literal) and other.is_string)
                or (other_t is not None and other_t.oid == 25)):
            return self._cast(text, isinstance(node, exp.Column), "text")
        if t is not None and _is_int(t) and isinstance(other, exp.Literal) and \
                not other.is_string and "." in other.this:
            return self._cast(text, isinstance(node, exp.Column), "numeric")
        return text

    def expr(self, node: exp.Expression, ctx: DataType | None = None,
             parent: str = "top") -> str:
        lit = self.literal(node, ctx)
        if lit is not None:
            return lit
        pretty = self.pretty
        if isinstance(node, exp.Paren):
            return self.expr(node.this, ctx, parent)
        if isinstance(node, exp.Column):
            return _ident(node.name)
        if isinstance(node, (exp.And, exp.Or)):
            is_and = isinstance(node, exp.And)
            word = "AND" if is_and else "OR"
            me = "and" if is_and else "or"
            parts = [self.expr(p, parent=me) for p in _operands(node, type(node))]
            need = parent in ("not", "arith", "cmp", "cast") or (not is_and and parent == "and")
            return self._wrap(f" {word} ".join(parts), need)
        if isinstance(node, exp.Not):
            inner = node.this
            if isinstance(inner, exp.Paren):
                inner = inner.this
            if isinstance(inner, exp.Is):
                return self._is(inner, not inner.args.get("negate"), parent)
            negated = {exp.Like: "!~~", exp.ILike: "!~~*", exp.RegexpLike: "!~"}.get(type(inner))
            if negated is not None:
                left = self.operand(inner.this, inner.expression, "cmp")
                right = self.operand(inner.expression, inner.this, "cmp")
                return self._wrap(f"{left} {negated} {right}", parent in ("arith", "cmp", "cast"))
            if isinstance(inner, exp.In):
                return self._in(inner, negate=True, parent=parent)
            text = "NOT " + self.expr(inner, parent="not")
            return self._wrap(text, parent in ("arith", "cmp", "cast"))
        if isinstance(node, exp.Is):
            return self._is(node, bool(node.args.get("negate")), parent)
        if isinstance(node, exp.In):
            return self._in(node, negate=False, parent=parent)
        if isinstance(node, exp.Between):
            lo = exp.GTE(this=node.this, expression=node.args["low"])
            hi = exp.LTE(this=node.this, expression=node.args["high"])
            return self.expr(exp.And(this=lo, expression=hi), parent=parent)
        op = _ARITH.get(type(node))
        if op is not None:
            left = self.operand(node.this, node.expression, "arith")
            right = self.operand(node.expression, node.this, "arith")
            return self._wrap(f"{left} {op} {right}", parent != "top")
        op = _CMP.get(type(node))
        if op is not None:
            left = self.operand(node.this, node.expression, "cmp")
            right = self.operand(node.expression, node.this, "cmp")
            return self._wrap(f"{left} {op} {right}", parent in ("arith", "cmp", "cast"))
        if isinstance(node, exp.Cast):
            t = _cast_type(node)
            inner = node.this
            if isinstance(inner, exp.Literal) and inner.is_string:
                return "'" + inner.this.replace("'", "''") + "'::" + _type_name(t)
            text = self.expr(inner, parent="cast")
            simple = isinstance(inner, (exp.Column, exp.Literal, exp.Anonymous, exp.Func))
            return self._cast(text, simple or not pretty, _type_name(t)) if not pretty \
                else f"{text}::{_type_name(t)}"
        if isinstance(node, exp.CurrentTimestamp):
            return "now()" if _name_span(node) == 3 else "CURRENT_TIMESTAMP"
        if isinstance(node, exp.Length):
            return ("length" if _name_span(node) == 6 else "char_length") + \
                f"({self.expr(node.this)})"
        if isinstance(node, exp.CurrentDate):
            return "CURRENT_DATE"
        if isinstance(node, exp.Uuid):
            return "gen_random_uuid()"
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            args = [self._arg(name, a) for a in node.expressions]
            return f"{name}({', '.join(args)})"
        if isinstance(node, exp.Func):
            name = _func_name(node)
            if name is not None:
                operands = [a for v in node.args.values()
                            for a in (v if isinstance(v, list) else [v])
                            if isinstance(a, exp.Expression)]
                if name == "COALESCE" and operands:
                    # constants take the type of the first operand: 'x'::character varying
                    t = self.type_of(operands[0])
                    args = [self.expr(operands[0])] + [
                        (self.literal(a, t) if t is not None else None) or self.expr(a)
                        for a in operands[1:]]
                else:
                    args = [self._arg(name, a) for a in operands]
                return f"{name}({', '.join(args)})"
        return node.sql(dialect="postgres")

    def _is(self, node: exp.Is, negate: bool, parent: str) -> str:
        word = "IS NOT" if negate else "IS"
        text = f"{self.expr(node.this, parent='cmp')} {word} {self.expr(node.expression)}"
        return self._wrap(text, parent in ("arith", "cmp", "cast"))

    def _arg(self, fname: str, node: exp.Expression) -> str:
        if fname == "nextval" and isinstance(node, exp.Literal) and node.is_string:
            return "'" + node.this.replace("'", "''") + "'::regclass"
        return self.expr(node)

    def _in(self, node: exp.In, negate: bool, parent: str) -> str:
        target = node.this
        if len(node.expressions) == 1:  # x IN (a) is parsed as x = a
            cls = exp.NEQ if negate else exp.EQ
            return self.expr(cls(this=target, expression=node.expressions[0]), parent=parent)
        t = self.type_of(target)
        varchar = t is not None and t.oid in (1043, 1042)
        left = self.expr(target, parent="cmp")
        if varchar:
            left = self._cast(left, isinstance(target, exp.Column), "text")
        items = [self.literal(e, t) or self.expr(e) for e in node.expressions]
        array = f"ARRAY[{', '.join(items)}]"
        if varchar:
            array = self._cast(array, True, "text[]")
        op = "<> ALL" if negate else "= ANY"
        return self._wrap(f"{left} {op} ({array})", parent in ("arith", "cmp", "cast"))


def _is_int(t: DataType) -> bool:
    return t.oid in (20, 21, 23)


def _int_compatible(natural: DataType, ctx: DataType) -> bool:
    """An integer constant next to any integer type is not cast (cross-type operators)."""
    return _is_int(natural) and _is_int(ctx)


def _operands(node: exp.Expression, cls: type) -> list[exp.Expression]:
    """Operands of a chain of AND (or OR), which PostgreSQL prints as one flat list."""
    while isinstance(node, exp.Paren) and isinstance(node.this, cls):
        node = node.this
    if isinstance(node, cls):
        return _operands(node.this, cls) + _operands(node.expression, cls)
    return [node]


def _name_span(node: exp.Expression) -> int | None:
    """Length of the function-name token sqlglot parsed ``node`` from (None if it was
    built without one), which tells now() from CURRENT_TIMESTAMP and length from
    char_length after sqlglot folded them into one node type."""
    meta = node.meta
    if "start" in meta and "end" in meta:
        return meta["end"] - meta["start"] + 1
    return None


def _number_type(text: str) -> DataType:
    return type_by_name("numeric" if "." in text or "e" in text.lower() else "int4")


def _cast_type(node: exp.Cast) -> DataType | None:
    try:
        from omendb_server.datatypes import type_by_name as by_name

        return by_name(node.to.sql(dialect="postgres").lower())
    except Exception:  # noqa: BLE001 - unknown to the registry
        return None


_FUNC_NAMES = {"Lower": "lower", "Upper": "upper", "Abs": "abs",
               "Coalesce": "COALESCE", "Trim": "btrim", "Round": "round"}


def _func_name(node: exp.Func) -> str | None:
    return _FUNC_NAMES.get(type(node).__name__)


def node_text(node: exp.Expression, columns: dict[str, DataType],
              target: DataType | None = None, pretty: bool = False) -> str:
    """PostgreSQL's display of a parsed expression. ``target`` is the type a default
    is assigned to (its literals print with that type)."""
    d = _Deparser(columns, pretty)
    if target is not None:
        lit = d.literal(node, target)
        if lit is not None:
            return lit
    return d.expr(node, target)


def expr_text(sql: str, columns: dict[str, DataType], target: DataType | None = None,
              pretty: bool = False) -> str:
    try:
        node = sqlglot.parse_one(sql, read="postgres")
    except Exception:  # noqa: BLE001 - keep what we have
        return sql
    return node_text(node, columns, target, pretty)


def check_text(node: exp.Expression | str, columns: dict[str, DataType],
               pretty: bool = False) -> str:
    """The body PostgreSQL prints inside ``CHECK (...)``."""
    if isinstance(node, str):
        return expr_text(node, columns, pretty=pretty)
    return node_text(node, columns, pretty=pretty)


def default_display(column: Any, table: Any, pretty: bool = False) -> str | None:
    """pg_get_expr(adbin, adrelid[, pretty]) of a column's DEFAULT / generation expression."""
    if column.default is None:
        return None
    if not pretty:
        return column.default
    # re-read the stored display text: it keeps what the source text lost (now() vs
    # CURRENT_TIMESTAMP, char_length vs length) and its literals are already typed
    return expr_text(column.default, columns_of(table), None, pretty=True)


def columns_of(table: Any) -> dict[str, DataType]:
    return {c.name: c.type for c in table.columns}
