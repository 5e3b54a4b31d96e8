"""Restart after many commits: the data read back is identical to the data before.

Hundreds of small committed transactions (inserts, updates, deletes, several column types,
NULLs, long and non-ASCII text, a serial key) on two tables, plus some rolled-back ones;
then a clean restart (SIGTERM), then SIGKILL of the idle server and another start. After
each, every table reads back exactly as before, aggregates agree, point lookups agree with
the scan, the serial sequence continues past its last value, and new writes work.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

COMMITS = 400


def _snapshot(c):
    items = c.execute("SELECT id, name, qty, price, flag, ratio, at, day FROM items ORDER BY id").fetchall()
    events = c.execute("SELECT id, item_id, note FROM events ORDER BY id").fetchall()
    aggs = c.execute("SELECT count(*), sum(qty), min(id), max(id) FROM items").fetchone()
    return items, events, aggs


@pytest.mark.usefixtures("managed_only")
def test_restart_after_many_commits_reads_back_identical(fresh_server):
    server = fresh_server
    rng = random.Random(7)
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    with server.connect(autocommit=False) as c:
        c.execute(
            "CREATE TABLE items (id int8 PRIMARY KEY, name text, qty int4 NOT NULL, price numeric(12,2), "
            "flag boolean, ratio float8, at timestamptz, day date)"
        )
        c.execute("CREATE TABLE events (id serial PRIMARY KEY, item_id int8 NOT NULL, note text NOT NULL)")
        c.commit()
        live: set[int] = set()
        next_id = 1
        for n in range(COMMITS):
            op = rng.random()
            if op < 0.6 or len(live) < 10:
                rows = []
                for _ in range(rng.randint(1, 5)):
                    i = next_id
                    next_id += 1
                    rows.append((
                        i,
                        rng.choice([f"item {i}", "", "ünïcødé ✓ " * rng.randint(1, 3), "x" * 2000, None]),
                        rng.randint(-1000, 1000),
                        rng.choice([Decimal(rng.randint(-10**6, 10**6)) / 100, None]),
                        rng.choice([True, False, None]),
                        rng.choice([rng.random() * 1e6, -0.5, None]),
                        rng.choice([base + dt.timedelta(seconds=rng.randint(0, 10**8)), None]),
                        rng.choice([dt.date(2000, 1, 1) + dt.timedelta(days=rng.randint(0, 9000)), None]),
                    ))
                    live.add(i)
                with c.cursor() as cur:
                    cur.executemany("INSERT INTO items VALUES (%s, %s, %s, %s, %s, %s, %s, %s)", rows)
                c.execute("INSERT INTO events (item_id, note) VALUES (%s, %s)", (rows[0][0], f"insert {len(rows)}"))
            elif op < 0.85:
                i = rng.choice(sorted(live))
                c.execute("UPDATE items SET qty = qty + %s, name = %s, flag = NOT flag WHERE id = %s",
                          (rng.randint(1, 9), f"updated {n}", i))
                c.execute("INSERT INTO events (item_id, note) VALUES (%s, 'update')", (i,))
            else:
                i = rng.choice(sorted(live))
                c.execute("DELETE FROM items WHERE id = %s", (i,))
                live.discard(i)
                c.execute("INSERT INTO events (item_id, note) VALUES (%s, 'delete')", (i,))
            c.commit()
            if n % 37 == 0:  # a rolled-back transaction now and then: must leave no trace
                c.execute("INSERT INTO items (id, qty) VALUES (%s, 0)", (10**9 + n,))
                c.execute("UPDATE items SET qty = -99999 WHERE id = %s", (rng.choice(sorted(live)),))
                c.execute("INSERT INTO events (item_id, note) VALUES (0, 'rolled back')")
                c.rollback()
        before = _snapshot(c)
        c.commit()
    assert before[2][0] == len(before[0]) > 100
    assert not any(r[0] >= 10**9 for r in before[0])
    assert not any(r[2] == "rolled back" for r in before[1])
    assert not any(r[2] == -99999 for r in before[0])
    last_event = before[1][-1][0]

    for how in ("clean restart", "SIGKILL while idle"):
        if how == "clean restart":
            server.restart()
        else:
            server.kill()
        with server.connect(autocommit=True) as c:
            after = _snapshot(c)
            assert after[2] == before[2], f"after {how}: aggregates differ: {after[2]} vs {before[2]}"
            assert after[0] == before[0], f"after {how}: items differ (first: {_first_diff(after[0], before[0])})"
            assert after[1] == before[1], f"after {how}: events differ (first: {_first_diff(after[1], before[1])})"
            for row in random.Random(how).sample(before[0], 20):
                got = c.execute("SELECT id, name, qty, price, flag, ratio, at, day FROM items WHERE id = %s",
                                (row[0],)).fetchall()
                assert got == [row], f"after {how}: lookup of id {row[0]}"

    with server.connect(autocommit=True) as c:
        new_id = c.execute("INSERT INTO events (item_id, note) VALUES (1, 'after') RETURNING id").fetchone()[0]
        assert new_id > last_event, f"serial restarted at {new_id}, last value before restart was {last_event}"
        c.execute("UPDATE items SET qty = 0 WHERE id = %s", (before[0][0][0],))
    server.restart()
    with server.connect(autocommit=True) as c:
        assert c.execute("SELECT qty FROM items WHERE id = %s", (before[0][0][0],)).fetchone()[0] == 0
        assert c.execute("SELECT note FROM events WHERE id = %s", (new_id,)).fetchone()[0] == "after"


def _first_diff(a, b):
    for x, y in zip(a, b):
        if x != y:
            return f"{x!r} != {y!r}"
    return f"lengths {len(a)} vs {len(b)}"
