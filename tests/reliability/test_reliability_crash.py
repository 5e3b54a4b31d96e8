"""Kill -9 durability under concurrent writes (PostgreSQL's 013_crash_restart, RocksDB's blackbox
crash test), sized for a 2-core CI box.

Each cycle: 4 writer clients run small transactions, each inserting 3 rows that share one
``tag`` and bumping the writer's own counter row; the server gets SIGKILL at a random moment
0.2-1.0 s into the load and is started again on the same data directory. Every transaction's
fate is tracked on the client side:

* ``acked``: COMMIT returned: the 3 rows and the counter bump must be there;
* ``in doubt``: COMMIT was sent but no answer came: all or nothing;
* everything else (failed before COMMIT was sent): must not be there.

After every restart: each tag present has exactly 3 rows, acked ⊆ present ⊆ acked ∪ in doubt,
each writer's counter equals the number of its transactions present (the insert and the
update of one transaction commit together), point lookups by primary key agree with the
scan, and row count equals 3 × tags. Tags found present count as committed from then on;
in-doubt tags found absent must never come back in a later cycle.
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from reliability_support import Worker, close_quietly, join_all

CYCLES = int(os.environ.get("OMENDB_CRASH_CYCLES", "20"))
WRITERS = 4
ROWS_PER_TXN = 3


@pytest.mark.usefixtures("managed_only")
def test_sigkill_during_concurrent_writes(fresh_server):
    server = fresh_server
    with server.connect(autocommit=True) as c:
        c.execute("CREATE TABLE crash_rows (id int8 PRIMARY KEY, tag int8 NOT NULL, writer int4 NOT NULL, "
                  "payload text NOT NULL)")
        c.execute("CREATE TABLE crash_counters (writer int4 PRIMARY KEY, n int8 NOT NULL)")
        for w in range(WRITERS):
            c.execute("INSERT INTO crash_counters (writer, n) VALUES (%s, 0)", (w,))

    rng = random.Random(20240229)
    committed: dict[int, int] = {}  # tag -> writer, known durable
    lost_in_doubt: set[int] = set()  # in-doubt tags found absent: must stay absent
    next_tag = [1]
    tag_lock = threading.Lock()
    total_acked = 0
    restart_times = []

    for cycle in range(1, CYCLES + 1):
        acked: dict[int, int] = {}
        in_doubt: dict[int, int] = {}
        aborted: set[int] = set()
        conns = []
        state_lock = threading.Lock()

        def writer(w, cycle=cycle):
            conn = server.connect(autocommit=True)
            with state_lock:
                conns.append(conn)
            while True:
                with tag_lock:
                    tag = next_tag[0]
                    next_tag[0] += 1
                ids = [tag * ROWS_PER_TXN + k for k in range(ROWS_PER_TXN)]
                phase = "before-commit"
                try:
                    conn.execute("BEGIN")
                    conn.execute(
                        "INSERT INTO crash_rows (id, tag, writer, payload) VALUES (%s, %s, %s, %s), (%s, %s, %s, %s)",
                        (ids[0], tag, w, f"c{cycle}-{tag}-a", ids[1], tag, w, f"c{cycle}-{tag}-b"),
                    )
                    conn.execute("UPDATE crash_counters SET n = n + 1 WHERE writer = %s", (w,))
                    conn.execute("INSERT INTO crash_rows (id, tag, writer, payload) VALUES (%s, %s, %s, %s)",
                                 (ids[2], tag, w, f"c{cycle}-{tag}-c"))
                    phase = "commit-sent"
                    conn.execute("COMMIT")
                except Exception:  # noqa: BLE001 - the server was killed
                    with state_lock:
                        if phase == "commit-sent":
                            in_doubt[tag] = w
                        else:
                            aborted.add(tag)
                    return
                with state_lock:
                    acked[tag] = w

        workers = [Worker(lambda w=w: writer(w), f"crash-writer-{w}") for w in range(WRITERS)]
        for w in workers:
            w.start()
        time.sleep(rng.uniform(0.2, 1.0))
        server.crash()
        stuck = join_all(workers, 15.0, conns)
        for c in conns:
            close_quietly(c)
        assert not stuck, f"cycle {cycle}: writers did not notice the SIGKILL: {stuck}"
        for w in workers:
            assert w.exc is None, f"cycle {cycle}: {w.name} failed in the harness: {w.exc!r}"
        t0 = time.monotonic()
        server.start()
        restart_times.append(time.monotonic() - t0)

        with server.connect(autocommit=True) as c:
            per_tag = dict(c.execute("SELECT tag, count(*) FROM crash_rows GROUP BY tag").fetchall())
            counters = dict(c.execute("SELECT writer, n FROM crash_counters").fetchall())
            row_count = c.execute("SELECT count(*) FROM crash_rows").fetchone()[0]
            sample = rng.sample(sorted(acked), min(10, len(acked)))
            looked_up = {}
            for tag in sample:
                looked_up[tag] = c.execute("SELECT id, tag FROM crash_rows WHERE id = %s",
                                           (tag * ROWS_PER_TXN + 1,)).fetchall()

        where = f"cycle {cycle}/{CYCLES} (acked {len(acked)}, in doubt {len(in_doubt)}, aborted {len(aborted)})"
        partial = {t: n for t, n in per_tag.items() if n != ROWS_PER_TXN}
        assert not partial, f"{where}: partially visible transactions (tag: rows): {dict(list(partial.items())[:10])}"
        missing = sorted(set(acked) - set(per_tag))
        assert not missing, f"{where}: {len(missing)} acknowledged transactions lost, e.g. tags {missing[:10]}"
        lost_before = sorted(set(committed) - set(per_tag))
        assert not lost_before, f"{where}: transactions committed in earlier cycles vanished: {lost_before[:10]}"
        unexpected = set(per_tag) - set(acked) - set(in_doubt) - set(committed)
        assert not unexpected, (
            f"{where}: rows of transactions that never sent COMMIT or were already found absent: "
            f"{sorted(unexpected)[:10]} (aborted: {sorted(unexpected & aborted)[:10]}, "
            f"lost in doubt earlier: {sorted(unexpected & lost_in_doubt)[:10]})"
        )
        assert row_count == ROWS_PER_TXN * len(per_tag), f"{where}: count(*)={row_count} vs {len(per_tag)} tags"
        for tag, rows in looked_up.items():
            assert rows == [(tag * ROWS_PER_TXN + 1, tag)], f"{where}: lookup by primary key of tag {tag}: {rows}"

        for tag, w in {**acked, **in_doubt}.items():
            if tag in per_tag:
                committed[tag] = w
        lost_in_doubt |= {t for t in in_doubt if t not in per_tag}
        expected_counters = {w: 0 for w in range(WRITERS)}
        for w in committed.values():
            expected_counters[w] += 1
        assert counters == expected_counters, (
            f"{where}: counter rows disagree with the inserted rows of the same transactions: "
            f"{counters} vs {expected_counters}"
        )
        total_acked += len(acked)

    # The load must really have been running when the server was killed.
    assert total_acked >= CYCLES, f"only {total_acked} transactions acknowledged over {CYCLES} cycles"
    # Writes after the last recovery work and are durable across a clean restart too.
    with server.connect(autocommit=True) as c:
        c.execute("INSERT INTO crash_rows (id, tag, writer, payload) VALUES (-1, -1, -1, 'after')")
    server.restart()
    with server.connect(autocommit=True) as c:
        assert c.execute("SELECT payload FROM crash_rows WHERE id = -1").fetchall() == [("after",)]
        assert c.execute("SELECT count(*) FROM crash_rows WHERE tag >= 0").fetchone()[0] == ROWS_PER_TXN * len(committed)
    print(f"\ncrash: {CYCLES} SIGKILL cycles, {total_acked} acked txns, {len(committed)} durable, "
          f"{len(lost_in_doubt)} in-doubt lost; restart {min(restart_times):.2f}-{max(restart_times):.2f}s")
    assert max(restart_times) <= 10.0, f"restart took {max(restart_times):.1f}s"
