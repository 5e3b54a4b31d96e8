"""Arrays with lower bounds other than 1 ('[0:2]={1,2,3}') in both wire formats.

The binary array format carries a lower bound per dimension; OmenDB sends the value's
own bounds (1 for ordinary arrays) and keeps the bounds it receives."""

from __future__ import annotations

import struct

import psycopg


def _raw(conn: psycopg.Connection, sql: str, params: tuple = ()) -> bytes:
    cur = conn.cursor(binary=True)
    cur.execute(sql, params)
    cur.fetchone()
    return cur.pgresult.get_value(0, 0)


def test_text_and_binary_bounds(conn):
    assert conn.execute("SELECT '[0:2]={1,2,3}'::int[]::text, array_lower('[0:2]={1,2,3}'::int[], 1),"
                        " ('[0:2]={1,2,3}'::int[])[0]").fetchone() == ("[0:2]={1,2,3}", 0, 1)
    data = _raw(conn, "SELECT '[-1:0][3:4]={{1,2},{3,4}}'::int[]")
    ndim, _flags, oid = struct.unpack_from(">iii", data)
    assert (ndim, oid) == (2, 23)
    assert struct.unpack_from(">iiii", data, 12) == (2, -1, 2, 3)
    plain = _raw(conn, "SELECT '{5,6}'::int[]")
    assert struct.unpack_from(">ii", plain, 12) == (2, 1)


def test_binary_bounds_are_kept_on_input(conn):
    """A binary parameter with lower bound 0 reads back as '[0:1]={7,8}'."""
    payload = struct.pack(">iiiii", 1, 0, 23, 2, 0) + struct.pack(">ii", 4, 7) + struct.pack(">ii", 4, 8)
    res = conn.pgconn.exec_params(b"SELECT $1::int4[]::text, array_lower($1::int4[], 1)", [payload], [1007], [1])
    assert res.get_value(0, 0) == b"[0:1]={7,8}"
    assert res.get_value(0, 1) == b"0"
