"""Name scopes for FROM clauses: which column a name means, and what ``*`` expands to.

``expr.Scope`` resolves a name by scanning columns. FROM clauses need more than that,
as PostgreSQL defines them:

* ``JOIN ... USING (k)`` / ``NATURAL JOIN`` merge the two ``k`` columns into one that
  unqualified ``k`` and ``*`` see (first in ``*``), while ``a.k`` and ``b.k`` still name
  each side's own column;
* ``*`` therefore is not simply "every column in order";
* a correlated subquery must know whether it read any column of an enclosing query
  (then it is re-run per outer row, else computed once): ``Boundary`` records that.

The expression compiler only calls ``find``/``has_qualifier`` and indexes ``columns``,
so these subclasses plug in without changing it.
"""

from __future__ import annotations

from omendb_server import errors
from omendb_server.sql.expr import Scope, ScopeColumn


class RelScope(Scope):
    """The columns a FROM item (or a join of them) produces, in row order."""

    def __init__(self, columns: list[ScopeColumn] | None = None, outer: Scope | None = None,
                 star: list[int] | None = None, hidden: set[int] | None = None,
                 aliases: dict[str, list[int]] | None = None) -> None:
        super().__init__(list(columns or []), outer)
        #: Row positions ``*`` expands to, in order.
        self.star = list(range(len(self.columns))) if star is None else star
        #: Positions unqualified names do not see (the two sides of a USING column).
        self.hidden = hidden or set()
        #: Unqualified name → the merged USING/NATURAL column(s) it means.
        self.aliases = aliases or {}

    def find(self, name: str, qualifier: str | None) -> int | None:
        if qualifier is not None:
            hits = [i for i, c in enumerate(self.columns)
                    if c.name == name and c.qualifier == qualifier]
        else:
            hits = [i for i, c in enumerate(self.columns)
                    if c.name == name and i not in self.hidden and c.qualifier != HIDDEN]
            hits += self.aliases.get(name, [])
        if len(hits) > 1:
            raise errors.AmbiguousColumn(f'column reference "{name}" is ambiguous')
        return hits[0] if hits else None

    def star_indices(self, qualifier: str | None) -> list[int]:
        if qualifier is None:
            return list(self.star)
        return [i for i, c in enumerate(self.columns) if c.qualifier == qualifier]


#: Qualifier of computed helper columns (FULL JOIN's merged USING values) that no
#: name reaches directly.
HIDDEN = "\x00hidden"


def star_indices(scope: Scope, qualifier: str | None) -> list[int]:
    """What ``*`` / ``q.*`` expands to in any scope."""
    if isinstance(scope, RelScope):
        return scope.star_indices(qualifier)
    return [i for i, c in enumerate(scope.columns)
            if (qualifier is None or c.qualifier == qualifier) and c.qualifier != HIDDEN]


def as_rel(scope: Scope) -> RelScope:
    if isinstance(scope, RelScope):
        return scope
    return RelScope(scope.columns, scope.outer)


def combine(left: Scope, right: Scope, outer: Scope | None) -> RelScope:
    """The scope of ``left JOIN right``: left's columns, then right's."""
    lrel, rrel = as_rel(left), as_rel(right)
    lw = len(lrel.columns)
    aliases: dict[str, list[int]] = {k: list(v) for k, v in lrel.aliases.items()}
    for k, v in rrel.aliases.items():
        aliases.setdefault(k, []).extend(lw + i for i in v)
    return RelScope(
        lrel.columns + rrel.columns, outer,
        star=lrel.star + [lw + i for i in rrel.star],
        hidden=set(lrel.hidden) | {lw + i for i in rrel.hidden},
        aliases=aliases,
    )


class Boundary(Scope):
    """An enclosing query's scope seen from inside a subquery: records any use.

    Wraps every level of the outer chain (levels stay the same, so compiled outer
    references index ``ctx.outer`` exactly as without it)."""

    def __init__(self, inner: Scope, used: list[bool]) -> None:
        super().__init__(inner.columns, None)
        self.inner = inner
        self.used = used
        self.outer = Boundary(inner.outer, used) if inner.outer is not None else None

    def find(self, name: str, qualifier: str | None) -> int | None:
        idx = self.inner.find(name, qualifier)
        if idx is not None:
            self.used[0] = True
        return idx

    def has_qualifier(self, qualifier: str) -> bool:
        return self.inner.has_qualifier(qualifier)

    def star_indices(self, qualifier: str | None) -> list[int]:
        return star_indices(self.inner, qualifier)


def boundary(outer: Scope | None) -> tuple[Scope | None, list[bool]]:
    """``outer`` wrapped for a subquery, and the flag set when the subquery reads it."""
    used = [False]
    return (Boundary(outer, used) if outer is not None else None), used
