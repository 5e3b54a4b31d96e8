"""COPY ... FROM STDIN (FORMAT binary) decoded column-at-a-time.

PostgreSQL's binary COPY is row-oriented (per row: a field count, then a length and the bytes
of each field), so one compiled pass (numba) finds every field's offset and length in a chunk,
and numpy/Arrow then gather each column in one operation: big-endian integers and floats,
dates (days since 2000-01-01), booleans, and UTF-8 text. Types with another binary layout
(numeric, timestamps, arrays...) keep the row path, as do malformed rows, so its errors stay
PostgreSQL's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
from numba import njit

from omendb_server.sql.copy_columnar import NotColumnar

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_PG_EPOCH_DAYS = 10957  # 2000-01-01 - 1970-01-01

#: type oid → (field width, numpy big-endian dtype, Arrow type)
_FIXED = {21: (2, ">i2", pa.int16()), 23: (4, ">i4", pa.int32()), 20: (8, ">i8", pa.int64()),
          701: (8, ">f8", pa.float64()), 16: (1, "u1", pa.bool_()), 1082: (4, ">i4", pa.date32())}
_TEXT = {25, 1043, 1042}


@njit(cache=True, nogil=True)
def scan_rows(buf, pos, ncols):  # type: ignore[no-untyped-def]
    """(rows, end position, trailer seen, ok, starts, lengths) for the complete rows in buf."""
    n = buf.shape[0]
    cap = (n - pos) // (2 + 4 * ncols) + 1
    starts = np.empty((cap, ncols), dtype=np.int64)
    lengths = np.empty((cap, ncols), dtype=np.int64)
    rows = 0
    done = False
    while pos + 2 <= n:
        nf = (np.int64(buf[pos]) << 8) | np.int64(buf[pos + 1])
        if nf == 0xFFFF:
            done = True
            pos += 2
            break
        if nf != ncols:
            return rows, pos, done, False, starts, lengths
        p = pos + 2
        complete = True
        for c in range(ncols):
            if p + 4 > n:
                complete = False
                break
            length = ((np.int64(buf[p]) << 24) | (np.int64(buf[p + 1]) << 16)
                      | (np.int64(buf[p + 2]) << 8) | np.int64(buf[p + 3]))
            p += 4
            if length == 0xFFFFFFFF:
                starts[rows, c] = 0
                lengths[rows, c] = -1
                continue
            if p + length > n:
                complete = False
                break
            starts[rows, c] = p
            lengths[rows, c] = length
            p += length
        if not complete:
            break
        rows += 1
        pos = p
    return rows, pos, done, True, starts, lengths


@njit(cache=True, nogil=True)
def gather_bytes(buf, starts, lengths):  # type: ignore[no-untyped-def]
    """Variable-length fields copied into one buffer with Arrow offsets."""
    n = starts.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int32)
    total = 0
    for i in range(n):
        if lengths[i] > 0:
            total += lengths[i]
        offsets[i + 1] = total
    out = np.empty(total, dtype=np.uint8)
    for i in range(n):
        L = lengths[i]
        if L > 0:
            o = offsets[i]
            s = starts[i]
            for k in range(L):
                out[o + k] = buf[s + k]
    return offsets, out


def binary_supported(columns: list[Any]) -> bool:
    return all(c.type.oid in _FIXED or c.type.oid in _TEXT for c in columns)


def decode_chunk(buf: bytes, state: dict[str, Any], columns: list[Any]
                 ) -> tuple[pa.Table, bytes, bool]:
    """(typed columns of the complete rows, the rest of ``buf``, trailer seen)."""
    data = np.frombuffer(buf, dtype=np.uint8)
    pos = 0
    if not state.get("header_done"):
        if len(buf) < 19:
            return pa.table({}), buf, False
        if buf[:11] != SIGNATURE:
            raise NotColumnar
        pos = 19 + int.from_bytes(buf[15:19], "big")
    rows, end, done, ok, starts, lengths = scan_rows(data, pos, len(columns))
    if not ok:
        raise NotColumnar  # wrong field count: the row path reports it
    starts, lengths = starts[:rows], lengths[:rows]
    arrays = []
    for c, col in enumerate(columns):
        arrays.append(_column(data, starts[:, c], lengths[:, c], col))
    names = [f"c{i}" for i in range(len(columns))]
    table = pa.Table.from_arrays(arrays, names=names) if rows else pa.Table.from_arrays(
        [pa.array([], a.type) for a in arrays], names=names)
    return table, buf[end:], done


def _validity(lengths: np.ndarray) -> tuple[np.ndarray, Any]:
    valid = lengths >= 0
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return valid, bitmap


def _column(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, col: Any) -> pa.Array:
    oid = col.type.oid
    n = len(starts)
    valid, bitmap = _validity(lengths)
    if oid in _FIXED:
        width, dtype, atype = _FIXED[oid]
        if bool((lengths[valid] != width).any()):
            raise NotColumnar  # 08P01 / 22P03 wording: row path
        idx = np.where(valid, starts, 0)[:, None] + np.arange(width)
        raw = np.ascontiguousarray(data[idx]).view(dtype).ravel()
        if oid == 16:
            values = raw != 0
            return pa.Array.from_buffers(pa.bool_(), n, [bitmap, pa.py_buffer(
                np.packbits(values, bitorder="little"))])
        native = raw.astype(dtype[1:] if dtype.startswith(">") else dtype)
        if oid == 1082:
            native = native + _PG_EPOCH_DAYS
        return pa.Array.from_buffers(atype, n, [bitmap, pa.py_buffer(np.ascontiguousarray(native))])
    offsets, out = gather_bytes(data, starts, lengths)
    arr = pa.Array.from_buffers(pa.string(), n, [bitmap, pa.py_buffer(offsets), pa.py_buffer(out)])
    try:
        arr.validate(full=True)  # UTF-8
    except pa.ArrowInvalid:
        raise NotColumnar from None
    typmod = col.typmod
    if typmod >= 4 and n:
        limit = typmod - 4
        import pyarrow.compute as pc

        if (pc.max(pc.utf8_length(arr)).as_py() or 0) > limit:
            raise NotColumnar
        if oid == 1042:
            arr = pc.utf8_rpad(arr, width=limit, padding=" ")
    return arr


def warm_up() -> None:
    buf = np.frombuffer(b"\x00\x01\x00\x00\x00\x01a\xff\xff", dtype=np.uint8)
    _, _, _, _, s, ln = scan_rows(buf, 0, 1)
    gather_bytes(buf, s[:1, 0], ln[:1, 0])
