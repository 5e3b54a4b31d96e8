"""Dates and timestamps beyond Python's datetime: BC, years after 9999, ±infinity, '24:00:00'.

They travel in PostgreSQL's own text and binary formats (binary: int32 days / int64
microseconds since 2000-01-01, infinities at the integer bounds), compare and sort like
PostgreSQL, and survive the commit log, a checkpoint and a restart (Parquet + the ALEX
primary key). psycopg maps binary infinities to nothing by default (it raises DataError),
so the binary tests install loaders that keep the raw integers.
"""

from __future__ import annotations

import datetime as dt
import struct

import psycopg
import pytest
from psycopg.adapt import Dumper, Loader

INT32_MAX, INT32_MIN = 2**31 - 1, -(2**31)
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)


class _RawInt32(Loader):
    format = psycopg.pq.Format.BINARY

    def load(self, data: bytes) -> int:
        return struct.unpack(">i", data)[0]


class _RawInt64(Loader):
    format = psycopg.pq.Format.BINARY

    def load(self, data: bytes) -> int:
        return struct.unpack(">q", data)[0]


class _TextLoader(Loader):
    def load(self, data: bytes) -> str:
        return bytes(data).decode()


def _raw_binary(conn: psycopg.Connection) -> None:
    conn.adapters.register_loader("date", _RawInt32)
    for name in ("time", "timestamp", "timestamptz"):
        conn.adapters.register_loader(name, _RawInt64)


def _text(conn: psycopg.Connection) -> None:
    for name in ("date", "time", "timestamp", "timestamptz"):
        conn.adapters.register_loader(name, _TextLoader)


VALUES_SQL = (
    "SELECT 'infinity'::date, '-infinity'::date, '4713-01-01 BC'::date, '10000-01-01'::date,"
    " 'infinity'::timestamp, '-infinity'::timestamptz, '0001-12-31 23:59:59 BC'::timestamp,"
    " '12345-06-07 08:09:10.5+00'::timestamptz, '24:00:00'::time, '2000-01-01'::date")


def test_text_format(conn):
    _text(conn)
    conn.execute("SET TIME ZONE 'UTC'")
    row = conn.execute(VALUES_SQL).fetchone()
    assert row == ("infinity", "-infinity", "4713-01-01 BC", "10000-01-01", "infinity", "-infinity",
                   "0001-12-31 23:59:59 BC", "12345-06-07 08:09:10.5+00", "24:00:00", "2000-01-01")


def test_binary_format(conn):
    _raw_binary(conn)
    row = conn.execute(VALUES_SQL, binary=True).fetchone()
    # 4713-01-01 BC is julian day 38 (PostgreSQL's epoch 2000-01-01 is 2451545)
    assert row[:4] == (INT32_MAX, INT32_MIN, 38 - 2451545, 2921940)
    assert row[4:6] == (INT64_MAX, INT64_MIN)
    assert row[6] == (1721425 - 2451545) * 86_400_000_000 + 86_399_000_000  # 0000-12-31 is jd 1721425
    assert row[8] == 86_400_000_000
    assert row[9] == 0


class _Raw(int):
    """An integer sent as the raw binary value of ``oid`` (days or microseconds)."""

    oid = 0


class _RawDate(_Raw):
    oid = 1082


class _RawTimestamp(_Raw):
    oid = 1114


class _RawTimestamptz(_Raw):
    oid = 1184


def _raw_dumper(cls: type[_Raw], fmt: str) -> type[Dumper]:
    class RawDumper(Dumper):
        format = psycopg.pq.Format.BINARY
        oid = cls.oid

        def dump(self, obj: int) -> bytes:
            return struct.pack(fmt, int(obj))

    return RawDumper


def test_binary_parameters_round_trip(conn):
    """Values sent in binary are read as PostgreSQL reads them and come back unchanged."""
    _raw_binary(conn)
    conn.adapters.register_dumper(_RawDate, _raw_dumper(_RawDate, ">i"))
    conn.adapters.register_dumper(_RawTimestamp, _raw_dumper(_RawTimestamp, ">q"))
    conn.adapters.register_dumper(_RawTimestamptz, _raw_dumper(_RawTimestamptz, ">q"))
    cur = conn.cursor(binary=True)
    for value, expect_gt in ((_RawDate(INT32_MAX), True), (_RawDate(INT32_MIN), False),
                             (_RawDate(38 - 2451545), False), (_RawTimestamp(INT64_MAX), True),
                             (_RawTimestamptz(INT64_MIN), False),
                             (_RawTimestamp((1721425 - 2451545) * 86_400_000_000), False)):
        typ = {1082: "date", 1114: "timestamp", 1184: "timestamptz"}[value.oid]
        got = cur.execute(f"SELECT %b, %b > '2000-01-01'::{typ}", (value, value)).fetchone()
        assert got == (int(value), expect_gt)


def test_psycopg_default_loaders(conn):
    """Without custom loaders psycopg's text loader refuses infinity and BC (its choice);
    finite in-range values still load as datetime objects in both formats."""
    for binary in (False, True):
        assert conn.execute("SELECT '2024-02-29'::date, '2024-02-29 10:00'::timestamp",
                            binary=binary).fetchone() == (dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 10))
        with pytest.raises(psycopg.DataError):
            conn.execute("SELECT 'infinity'::timestamp", binary=binary).fetchone()


def test_sorting_and_comparison(conn):
    _text(conn)
    rows = conn.execute(
        "SELECT x FROM (VALUES ('infinity'::date), ('-infinity'), ('2024-01-01'), ('0100-01-01 BC'),"
        " ('20000-01-01'), (NULL)) v(x) ORDER BY x NULLS FIRST").fetchall()
    assert [r[0] for r in rows] == [None, "-infinity", "0100-01-01 BC", "2024-01-01", "20000-01-01",
                                    "infinity"]
    assert conn.execute("SELECT 'infinity'::timestamp > '294246-12-31 23:59:59'::timestamp,"
                        " '-infinity'::date < '4713-01-01 BC'::date,"
                        " isfinite('infinity'::date), isfinite('0044-03-15 BC'::date)").fetchone() == (
        True, True, False, True)


@pytest.mark.usefixtures("managed_only")
def test_storage_checkpoint_and_restart(fresh_server):
    """Far values in a table: the commit log, a checkpoint to Parquet, restart, the primary key."""
    with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
        c.execute("CREATE TABLE far (d date PRIMARY KEY, ts timestamp, tz timestamptz, t time)")
        c.execute("CREATE TABLE far_ts (ts timestamp PRIMARY KEY, n int)")
        c.execute("INSERT INTO far VALUES ('infinity', '-infinity', 'infinity', '24:00'),"
                  " ('-infinity', '0001-01-01 BC', '12345-01-01 00:00+00', '10:00'),"
                  " ('4713-01-01 BC', '10000-01-01', NULL, NULL), ('2024-01-01', '2024-01-01', NULL, NULL)")
        c.execute("INSERT INTO far_ts VALUES ('infinity', 1), ('-infinity', 2), ('0100-06-01 BC', 3),"
                  " ('2024-01-01', 4), ('99999-12-31 23:59:59', 5)")
    expected_far = None
    expected_ts = None
    for step in ("log", "checkpoint"):
        fresh_server.restart()
        with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
            _text(c)
            c.execute("SET TIME ZONE 'UTC'")
            far = c.execute("SELECT * FROM far ORDER BY d").fetchall()
            ts = c.execute("SELECT * FROM far_ts ORDER BY ts").fetchall()
            assert far == [
                ("-infinity", "0001-01-01 00:00:00 BC", "12345-01-01 00:00:00+00", "10:00:00"),
                ("4713-01-01 BC", "10000-01-01 00:00:00", None, None),
                ("2024-01-01", "2024-01-01 00:00:00", None, None),
                ("infinity", "-infinity", "infinity", "24:00:00")], step
            assert [r[1] for r in ts] == [2, 3, 4, 5, 1]
            expected_far, expected_ts = far, ts
            # primary-key lookups and ranges over the far keys
            assert c.execute("SELECT n FROM far_ts WHERE ts = 'infinity'").fetchall() == [(1,)]
            assert c.execute("SELECT n FROM far_ts WHERE ts = '0100-06-01 BC'").fetchall() == [(3,)]
            assert c.execute("SELECT n FROM far_ts WHERE ts > '3000-01-01' ORDER BY ts").fetchall() == [
                (5,), (1,)]
            assert c.execute("SELECT d FROM far WHERE d = '4713-01-01 BC'").fetchall() == [("4713-01-01 BC",)]
            assert c.execute("SELECT d FROM far WHERE d < '0001-01-01' ORDER BY d").fetchall() == [
                ("-infinity",), ("4713-01-01 BC",)]
            # aggregates and filters over the column (the vectorized path once rows are in the base)
            assert c.execute("SELECT min(d), max(d), count(*) FILTER (WHERE d > '2000-01-01'),"
                             " count(*) FILTER (WHERE d < '0001-01-01') FROM far").fetchone() == (
                "-infinity", "infinity", 2, 2)
            assert c.execute("SELECT count(*) FROM far WHERE d >= '-infinity' AND d <= '4713-01-01 BC'"
                             ).fetchone() == (2,)
            assert c.execute("SELECT min(ts), max(ts) FROM far_ts").fetchone() == ("-infinity", "infinity")
            assert c.execute("SELECT count(*), min(d), max(d) FROM far WHERE d > '0001-01-01'").fetchone() == (
                2, "2024-01-01", "infinity")
            assert c.execute("SELECT count(*), min(d), max(d) FROM far WHERE d < '2000-01-01'").fetchone() == (
                2, "-infinity", "4713-01-01 BC")
            if step == "log":
                c.execute("CHECKPOINT")
    fresh_server.restart()
    with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
        _text(c)
        c.execute("SET TIME ZONE 'UTC'")
        assert c.execute("SELECT * FROM far ORDER BY d").fetchall() == expected_far
        assert c.execute("SELECT * FROM far_ts ORDER BY ts").fetchall() == expected_ts
        # base rows written again (promotion) and a second checkpoint
        c.execute("UPDATE far SET ts = 'infinity' WHERE d = '-infinity'")
        c.execute("INSERT INTO far VALUES ('5874897-12-31', '294246-12-31 23:59:59.999999', NULL, NULL)")
        c.execute("CHECKPOINT")
    fresh_server.restart()
    with psycopg.connect(fresh_server.dsn, autocommit=True) as c:
        _text(c)
        assert c.execute("SELECT ts FROM far WHERE d = '-infinity'").fetchone() == ("infinity",)
        assert c.execute("SELECT ts FROM far WHERE d > '10000-01-01' ORDER BY d").fetchall() == [
            ("294246-12-31 23:59:59.999999",), ("-infinity",)]
