"""``FETCH FIRST n ROWS WITH TIES``: the first n rows plus every following row that
ties with the n-th on the ORDER BY keys (the input is sorted)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omendb_server import errors
from omendb_server.sql import operators as ops
from omendb_server.sql.context import ExecContext
from omendb_server.sql.expr import Fn

Row = tuple[Any, ...]


class LimitWithTies(ops.Limit):
    """Limit's OFFSET/LIMIT, then the rows that tie with the last one taken."""

    def __init__(self, child: ops.Operator, limit: Fn | None, offset: Fn | None,
                 keys: list[int]) -> None:
        super().__init__(child, limit, offset)
        self.keys = keys

    def rows(self, ctx: ExecContext) -> Iterator[Row]:
        off, lim = self.bounds(ctx)
        if lim is None:
            raise errors.DBError("row count cannot be null in FETCH FIRST ... WITH TIES clause",
                                 "2201W")
        keys = self.keys
        taken = 0
        last: tuple[Any, ...] | None = None
        for i, row in enumerate(self.child.rows(ctx)):
            if i < (off or 0):
                continue
            key = tuple(row[k] for k in keys)
            if taken >= lim and key != last:
                return
            if taken >= lim and lim == 0:
                return
            taken += 1
            last = key
            yield row
