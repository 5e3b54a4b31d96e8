"""nextval / setval arithmetic with PostgreSQL's bounds, CYCLE and descending sequences.

Positions (the last value handed out) live in the transaction manager's
``sequences`` map and are persisted with the commit that touched them, like
PostgreSQL's non-transactional sequence state.
"""

from __future__ import annotations

from typing import Any

from omendb_server import errors


def _touch(ctx: Any, oid: int) -> None:
    touched = getattr(ctx.txn, "seq_touched", None)
    if touched is not None:
        touched.add(oid)


def next_value(ctx: Any, seq: Any) -> int:
    positions = ctx.tm.sequences
    cur = positions.get(seq.oid)
    value = seq.start if cur is None else cur + seq.increment
    if seq.increment > 0 and value > seq.max_value:
        if not seq.cycle:
            raise errors.DBError(f'nextval: reached maximum value of sequence "{seq.name}" '
                                 f"({seq.max_value})", "2200H")
        value = seq.min_value
    elif seq.increment < 0 and value < seq.min_value:
        if not seq.cycle:
            raise errors.DBError(f'nextval: reached minimum value of sequence "{seq.name}" '
                                 f"({seq.min_value})", "2200H")
        value = seq.max_value
    positions[seq.oid] = value
    _touch(ctx, seq.oid)
    return value


def set_value(ctx: Any, seq: Any, value: int, called: bool) -> int:
    if value < seq.min_value or value > seq.max_value:
        raise errors.NumericValueOutOfRange(
            f'setval: value {value} is out of bounds for sequence "{seq.name}" '
            f"({seq.min_value}..{seq.max_value})")
    ctx.tm.sequences[seq.oid] = value if called else value - seq.increment
    _touch(ctx, seq.oid)
    return value
