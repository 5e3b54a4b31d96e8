"""The one visibility rule. Every read of a row version goes through ``is_visible``.

A version is visible to a reader with snapshot ``read_ts`` and transaction id
``txid`` when it was created by a commit at or before the snapshot (or by the
reader itself) and not deleted by a commit at or before the snapshot (nor by
the reader itself). In-flight stamps are stored as ``-txid``.
"""

from __future__ import annotations

from omendb_server.storage.delta import INF, RowVersion


def is_visible(v: RowVersion, read_ts: int, txid: int) -> bool:
    b = v.begin
    if b < 0:
        if b != -txid:
            return False
    elif b > read_ts:
        return False
    e = v.end
    if e == INF:
        return True
    if e < 0:
        return e != -txid
    return e > read_ts
