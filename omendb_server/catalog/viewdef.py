"""pg_get_viewdef text: a view's query printed the way PostgreSQL 15 prints it.

PostgreSQL stores the parsed query and prints it back with every column qualified,
``*`` expanded, expressions deparsed (see ``deparse``) and one clause per line:

     SELECT b.id,
        upper(b.title) AS t
       FROM (books b
         JOIN authors a ON ((a.id = b.author_id)))
      WHERE (b.price > (10)::numeric);

psql's ``\\d+`` and ORM reflection read it. Shapes this module does not know
(subqueries in FROM, set operations, CTEs, window clauses) return None and the
caller falls back to the view's SQL as written.
"""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from omendb_server.catalog.deparse import _Deparser, _ident
from omendb_server.datatypes import DataType

_AGGS = {exp.Count: "count", exp.Sum: "sum", exp.Avg: "avg", exp.Min: "min", exp.Max: "max"}


class _Unsupported(Exception):
    pass


class _Rel:
    def __init__(self, label: str, columns: list[tuple[str, DataType]]) -> None:
        self.label = label
        self.columns = columns


class _ViewDeparser(_Deparser):
    def __init__(self, rels: list[_Rel], pretty: bool) -> None:
        super().__init__({}, pretty)
        self.rels = rels

    def resolve(self, node: exp.Column) -> tuple[_Rel, DataType]:
        qual = node.table or None
        for rel in self.rels:
            if qual is not None and rel.label != qual:
                continue
            for name, t in rel.columns:
                if name == node.name:
                    return rel, t
        raise _Unsupported(node.sql())

    def type_of(self, node: exp.Expression) -> DataType | None:
        if isinstance(node, exp.Column):
            return self.resolve(node)[1]
        return super().type_of(node)

    def expr(self, node: exp.Expression, ctx: DataType | None = None,
             parent: str = "top") -> str:
        if isinstance(node, exp.Column):
            rel, _ = self.resolve(node)
            return f"{_ident(rel.label)}.{_ident(node.name)}"
        agg = _AGGS.get(type(node))
        if agg is not None:
            arg = node.this
            if isinstance(arg, exp.Star) or arg is None:
                return f"{agg}(*)"
            if isinstance(arg, exp.Distinct):
                inner = ", ".join(self.expr(e) for e in arg.expressions)
                return f"{agg}(DISTINCT {inner})"
            return f"{agg}({self.expr(arg)})"
        if isinstance(node, (exp.Subquery, exp.Select, exp.Window, exp.Exists)):
            raise _Unsupported(type(node).__name__)
        return super().expr(node, ctx, parent)


def _figured_name(node: exp.Expression) -> str:
    """PostgreSQL's FigureColname for an unaliased select item."""
    base = node
    while isinstance(base, (exp.Cast, exp.Paren)):
        if isinstance(base, exp.Cast) and not isinstance(base.this, (exp.Column, exp.Func)):
            return base.to.sql(dialect="postgres").lower()
        base = base.this
    if isinstance(base, exp.Column):
        return base.name
    agg = _AGGS.get(type(base))
    if agg is not None:
        return agg
    if isinstance(base, exp.Anonymous):
        return str(base.this).lower()
    if isinstance(base, exp.Func):
        return type(base).__name__.lower()
    return "?column?"


def view_definition(sql: str, catalog: Any, pretty: bool = False) -> str | None:
    try:
        tree = sqlglot.parse_one(sql, read="postgres")
        if not isinstance(tree, exp.Select):
            return None
        return _select(tree, catalog, pretty)
    except _Unsupported:
        return None
    except Exception:  # noqa: BLE001 - printing must never fail CREATE VIEW
        return None


def _rel_of(item: exp.Expression, catalog: Any) -> _Rel:
    if not isinstance(item, exp.Table) or not isinstance(item.this, exp.Identifier):
        raise _Unsupported("FROM item")
    table = catalog.find_table(item.name, item.db or None)
    cols: list[tuple[str, DataType]]
    if table is not None:
        cols = [(c.name, c.type) for c in table.columns]
    else:
        view = catalog.find_view(item.name, item.db or None)
        if view is None:
            raise _Unsupported("relation")
        cols = [(c.name, c.type) for c in view.columns]
    return _Rel(item.alias or item.name, cols)


def _from_text(item: exp.Table) -> str:
    name = _ident(item.name)
    if item.db and item.db != "public":
        name = f"{_ident(item.db)}.{name}"
    return f"{name} {_ident(item.alias)}" if item.alias else name


def _select(tree: exp.Select, catalog: Any, pretty: bool) -> str:
    if tree.args.get("with") or tree.args.get("with_") or tree.args.get("distinct") \
            or tree.args.get("windows"):
        raise _Unsupported("clause")
    from_ = tree.args.get("from") or tree.args.get("from_")
    rels: list[_Rel] = []
    joins = list(tree.args.get("joins") or [])
    if from_ is not None:
        rels.append(_rel_of(from_.this, catalog))
        for j in joins:
            rels.append(_rel_of(j.this, catalog))
    d = _ViewDeparser(rels, pretty)
    items: list[str] = []
    for item in tree.expressions:
        if isinstance(item, exp.Star) or (isinstance(item, exp.Column)
                                          and isinstance(item.this, exp.Star)):
            qual = item.table if isinstance(item, exp.Column) else None
            for rel in rels:
                if qual and rel.label != qual:
                    continue
                items.extend(f"{_ident(rel.label)}.{_ident(n)}" for n, _ in rel.columns)
            continue
        alias = item.alias if isinstance(item, exp.Alias) else None
        node = item.this if isinstance(item, exp.Alias) else item
        text = d.expr(node)
        name = alias or _figured_name(node)
        if not (isinstance(node, exp.Column) and node.name == name):
            text += f" AS {_ident(name)}"
        items.append(text)
    out = " SELECT " + ",\n    ".join(items)
    if from_ is not None:
        parts = _from_text(from_.this)
        for j in joins:
            side = (j.args.get("side") or "").upper()
            kind = (j.args.get("kind") or "").upper()
            on = j.args.get("on")
            if kind != "CROSS" and on is None and not j.args.get("using"):
                parts = f"{parts},\n    {_from_text(j.this)}"  # FROM a, b
                continue
            if kind == "CROSS":
                word = "CROSS JOIN"
                cond = ""
            else:
                if j.args.get("using"):
                    raise _Unsupported("USING")
                word = f"{side} JOIN".strip() if side else "JOIN"
                cond = f" ON {d.expr(on, parent='on')}" if pretty else f" ON ({d.expr(on)})"
            joined = f"{parts}\n     {word} {_from_text(j.this)}{cond}"
            parts = joined if pretty else f"({joined})"
        out += f"\n   FROM {parts}"
    where = tree.args.get("where")
    if where is not None:
        out += f"\n  WHERE {d.expr(where.this)}"
    group = tree.args.get("group")
    if group is not None:
        out += "\n  GROUP BY " + ", ".join(d.expr(g) for g in group.expressions)
    having = tree.args.get("having")
    if having is not None:
        out += f"\n HAVING {d.expr(having.this)}"
    order = tree.args.get("order")
    if order is not None:
        keys = []
        for o in order.expressions:
            text = d.expr(o.this)
            if o.args.get("desc"):
                text += " DESC"
            nf = o.args.get("nulls_first")
            if nf and not o.args.get("desc"):
                text += " NULLS FIRST"
            keys.append(text)
        out += "\n  ORDER BY " + ", ".join(keys)
    limit = tree.args.get("limit")
    if limit is not None:
        out += f"\n LIMIT {limit.expression.sql(dialect='postgres')}"
    offset = tree.args.get("offset")
    if offset is not None:
        out += f"\n OFFSET {offset.expression.sql(dialect='postgres')}"
    return out + ";"
