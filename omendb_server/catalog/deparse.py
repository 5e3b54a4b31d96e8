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

_OPS: dict[type, str] = {
    exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%",
    exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">=",
    exp.Like: "~~", exp.ILike: "~~*", exp.RegexpLike: "~", exp.DPipe: "||",
}
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


class _Deparser:
    def __init__(self, columns: dict[str, DataType]) -> None:
        self.columns = columns

    def type_of(self, node: exp.Expression) -> DataType | None:
        if isinstance(node, exp.Column):
            return self.columns.get(node.name)
        if isinstance(node, exp.Cast):
            return _cast_type(node)
        if isinstance(node, exp.Paren):
            return self.type_of(node.this)
        return None

    def literal(self, node: exp.Expression, ctx: DataType | None) -> str | None:
        """A constant as PostgreSQL shows it, or None if ``node`` is not one."""
        if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and \
                not node.this.is_string:
            text = "-" + node.this.this
            t = ctx if ctx is not None and ctx.category == "N" else _number_type(text)
            return f"'{text}'::{_type_name(t)}"
        if isinstance(node, exp.Literal):
            if not node.is_string:
                return node.this
            t = ctx if ctx is not None else None
            name = _type_name(t) if t is not None else "text"
            if t is not None and t.oid in (1043, 1042) and ctx is not None:
                name = _type_name(t)
            return "'" + node.this.replace("'", "''") + "'::" + name
        if isinstance(node, exp.Boolean):
            return "true" if node.this else "false"
        if isinstance(node, exp.Null):
            return "NULL"
        return None

    def operand(self, node: exp.Expression, other: exp.Expression) -> str:
        """One side of a binary operator: literals take the other side's type; a
        varchar column compared with text is shown cast to text, as PostgreSQL does."""
        other_t = self.type_of(other)
        lit = self.literal(node, other_t if other_t is None or other_t.oid not in (1043, 1042)
                           else type_by_name("text"))
        if lit is not None:
            return lit
        t = self.type_of(node)
        text = self.expr(node)
        if t is not None and t.oid in (1043, 1042) and (
                isinstance(other, exp.Literal) and other.is_string
                or (self.type_of(other) is not None and self.type_of(other).oid == 25)):  # type: ignore[union-attr]
            return f"({text})::text"
        return text

    def expr(self, node: exp.Expression, ctx: DataType | None = None) -> str:
        lit = self.literal(node, ctx)
        if lit is not None:
            return lit
        if isinstance(node, exp.Paren):
            return self.expr(node.this, ctx)
        if isinstance(node, exp.Column):
            return _ident(node.name)
        if isinstance(node, (exp.And, exp.Or)):
            word = "AND" if isinstance(node, exp.And) else "OR"
            parts = [self.expr(p) for p in _operands(node, type(node))]
            return "(" + f" {word} ".join(parts) + ")"
        if isinstance(node, exp.Not):
            inner = node.this
            if isinstance(inner, exp.Is):
                return f"({self.expr(inner.this)} IS NOT {self.expr(inner.expression)})"
            if isinstance(inner, exp.Like):
                return f"({self.operand(inner.this, inner.expression)} !~~ " \
                       f"{self.operand(inner.expression, inner.this)})"
            if isinstance(inner, exp.In):
                return self._in(inner, negate=True)
            return f"(NOT {self.expr(inner)})"
        if isinstance(node, exp.Is):
            word = "IS NOT" if node.args.get("negate") else "IS"
            return f"({self.expr(node.this)} {word} {self.expr(node.expression)})"
        if isinstance(node, exp.In):
            return self._in(node, negate=False)
        if isinstance(node, exp.Between):
            lo = exp.GTE(this=node.this, expression=node.args["low"])
            hi = exp.LTE(this=node.this, expression=node.args["high"])
            return f"({self.expr(lo)} AND {self.expr(hi)})"
        op = _OPS.get(type(node))
        if op is not None:
            left, right = node.this, node.expression
            return f"({self.operand(left, right)} {op} {self.operand(right, left)})"
        if isinstance(node, exp.Cast):
            t = _cast_type(node)
            inner = node.this
            if isinstance(inner, exp.Literal) and inner.is_string:
                return "'" + inner.this.replace("'", "''") + "'::" + _type_name(t)
            return f"({self.expr(inner)})::{_type_name(t)}"
        if isinstance(node, exp.CurrentTimestamp):
            span = _name_span(node)
            return "now()" if span == 3 else "CURRENT_TIMESTAMP"
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
                args = [self._arg(name, a) for a in node.args.values()
                        if isinstance(a, exp.Expression)]
                return f"{name}({', '.join(args)})"
        return node.sql(dialect="postgres")

    def _arg(self, fname: str, node: exp.Expression) -> str:
        if fname == "nextval" and isinstance(node, exp.Literal) and node.is_string:
            return "'" + node.this.replace("'", "''") + "'::regclass"
        return self.expr(node)

    def _in(self, node: exp.In, negate: bool) -> str:
        target = node.this
        t = self.type_of(target)
        if t is not None and t.oid in (1043, 1042):
            t = type_by_name("text")
            left = f"({self.expr(target)})::text"
        else:
            left = self.expr(target)
        items = [self.literal(e, t) or self.expr(e) for e in node.expressions]
        op = "<> ALL" if negate else "= ANY"
        return f"({left} {op} (ARRAY[{', '.join(items)}]))"


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
              target: DataType | None = None) -> str:
    """PostgreSQL's display of a parsed expression. ``target`` is the type a default
    is assigned to (its literals print with that type)."""
    d = _Deparser(columns)
    if target is not None:
        lit = d.literal(node, target)
        if lit is not None:
            return lit
    return d.expr(node, target)


def expr_text(sql: str, columns: dict[str, DataType], target: DataType | None = None) -> str:
    try:
        node = sqlglot.parse_one(sql, read="postgres")
    except Exception:  # noqa: BLE001 - keep what we have
        return sql
    return node_text(node, columns, target)


def check_text(node: exp.Expression | str, columns: dict[str, DataType]) -> str:
    """The body PostgreSQL prints inside ``CHECK (...)``: the expression, parenthesized."""
    return expr_text(node, columns) if isinstance(node, str) else node_text(node, columns)


def columns_of(table: Any) -> dict[str, DataType]:
    return {c.name: c.type for c in table.columns}
