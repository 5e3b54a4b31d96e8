"""Bank transfers under concurrency (Jepsen's bank test, toydb's ``workload bank``).

8 clients move money between 50 accounts, each transfer one transaction of two UPDATEs:
``balance = balance - x WHERE id = a AND balance >= x`` and ``balance = balance + x WHERE
id = b``. The two rows are always locked in id order (no deadlocks by construction), and a
transfer that fails with 40001/40P01 is retried. While they run, an auditor reads the
accounts every ~20 ms in three ways (one SUM statement, two partial sums in one REPEATABLE
READ transaction, all rows) and every reading must show the same total, 50 accounts and no
negative balance. At the end each account must equal its initial balance plus the ledger
of the transfers whose COMMIT succeeded (catches lost updates, not just a wrong total).
"""

from __future__ import annotations

import os
import random
import threading
import time

import pytest

from reliability_support import RETRYABLE, Worker, close_quietly, join_all, sqlstate_of

ACCOUNTS = 50
INITIAL = 1_000
CLIENTS = 8
TOTAL = ACCOUNTS * INITIAL
RUN_TIMEOUT = 150.0


def _setup(target, name):
    with target.connect(autocommit=True) as c:
        c.execute(f"CREATE TABLE {name} (id int PRIMARY KEY, balance int8 NOT NULL)")
        with c.cursor() as cur:
            cur.executemany(f"INSERT INTO {name} (id, balance) VALUES (%s, %s)",
                            [(i, INITIAL) for i in range(1, ACCOUNTS + 1)])


def _run_bank(target, name, level, transfers_total, seed):
    per_client = -(-transfers_total // CLIENTS)  # committed transfers per client
    ledgers: list[list[tuple[int, int, int]]] = [[] for _ in range(CLIENTS)]
    stats = {"retries": 0, "insufficient": 0, "reads": 0, "rr_reads": 0, "row_reads": 0}
    stats_lock = threading.Lock()
    bad_reads: list[str] = []
    stop = threading.Event()
    conns = []

    def transfer_worker(i):
        rng = random.Random(seed * 1000 + i)
        conn = target.connect(autocommit=True)
        conns.append(conn)
        try:
            done = 0
            while done < per_client:
                src, dst = rng.sample(range(1, ACCOUNTS + 1), 2)
                amount = rng.randint(1, 100)
                debit = (f"UPDATE {name} SET balance = balance - %s WHERE id = %s AND balance >= %s",
                         (amount, src, amount))
                credit = (f"UPDATE {name} SET balance = balance + %s WHERE id = %s", (amount, dst))
                steps = [debit, credit] if src < dst else [credit, debit]
                for _attempt in range(50):
                    try:
                        conn.execute(f"BEGIN ISOLATION LEVEL {level}")
                        ok = True
                        for sql, params in steps:
                            cur = conn.execute(sql, params)
                            if sql is debit[0] and cur.rowcount == 0:
                                ok = False
                                break
                            assert cur.rowcount == 1, (sql, params, cur.rowcount)
                        if not ok:  # not enough money: no transfer, pick another one
                            conn.execute("ROLLBACK")
                            with stats_lock:
                                stats["insufficient"] += 1
                            break
                        conn.execute("COMMIT")
                        ledgers[i].append((src, dst, amount))
                        done += 1
                        break
                    except Exception as e:  # noqa: BLE001
                        if sqlstate_of(e) not in RETRYABLE:
                            raise
                        conn.execute("ROLLBACK")
                        with stats_lock:
                            stats["retries"] += 1
                else:
                    raise AssertionError(f"transfer {src}->{dst} failed 50 times in a row")
        except BaseException:
            close_quietly(conn)
            raise

    def auditor():
        conn = target.connect(autocommit=True)
        conns.append(conn)
        n = 0
        while not stop.is_set():
            n += 1
            s, cnt, lo = conn.execute(f"SELECT sum(balance), count(*), min(balance) FROM {name}").fetchone()
            stats["reads"] += 1
            if (s, cnt) != (TOTAL, ACCOUNTS) or lo < 0:
                bad_reads.append(f"read {n}: sum={s} count={cnt} min={lo}")
            if n % 2 == 0:
                conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
                lo_half = conn.execute(f"SELECT sum(balance) FROM {name} WHERE id <= %s", (ACCOUNTS // 2,)).fetchone()[0]
                hi_half = conn.execute(f"SELECT sum(balance) FROM {name} WHERE id > %s", (ACCOUNTS // 2,)).fetchone()[0]
                conn.execute("COMMIT")
                stats["rr_reads"] += 1
                if lo_half + hi_half != TOTAL:
                    bad_reads.append(f"RR read {n}: {lo_half} + {hi_half} = {lo_half + hi_half}")
            if n % 5 == 0:
                rows = conn.execute(f"SELECT id, balance FROM {name} ORDER BY id").fetchall()
                stats["row_reads"] += 1
                ids = [r[0] for r in rows]
                if ids != list(range(1, ACCOUNTS + 1)) or sum(r[1] for r in rows) != TOTAL:
                    bad_reads.append(f"row read {n}: ids={ids[:5]}.. n={len(ids)} sum={sum(r[1] for r in rows)}")
                if any(r[1] < 0 for r in rows):
                    bad_reads.append(f"row read {n}: negative balance {[r for r in rows if r[1] < 0]}")
            stop.wait(0.02)

    started = time.monotonic()
    workers = [Worker(lambda i=i: transfer_worker(i), f"bank-client-{i}") for i in range(CLIENTS)]
    audit = Worker(auditor, "bank-auditor")
    audit.start()
    for w in workers:
        w.start()
    try:
        stuck = join_all(workers, RUN_TIMEOUT, conns)
        stop.set()
        stuck += join_all([audit], 20.0, conns)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        for c in conns:
            close_quietly(c)

    assert not stuck, f"threads still running after {RUN_TIMEOUT:.0f}s (lock wait that never ends?): {stuck}"
    for w in workers + [audit]:
        if w.exc is not None:
            raise AssertionError(f"{w.name} failed: {type(w.exc).__name__} [{sqlstate_of(w.exc)}]: {w.exc}") from w.exc
    committed = sum(len(led) for led in ledgers)
    print(f"\nbank {level}: {committed} transfers in {elapsed:.1f}s ({committed / elapsed:.0f}/s), "
          f"retries={stats['retries']} insufficient={stats['insufficient']} reads={stats['reads']} "
          f"rr_reads={stats['rr_reads']} row_reads={stats['row_reads']}")
    assert not bad_reads, f"{len(bad_reads)} inconsistent reads during the run, first ones: {bad_reads[:5]}"
    assert stats["reads"] >= 10, f"the auditor only managed {stats['reads']} reads"

    expected = {i: INITIAL for i in range(1, ACCOUNTS + 1)}
    for led in ledgers:
        for src, dst, amount in led:
            expected[src] -= amount
            expected[dst] += amount
    with target.connect(autocommit=True) as c:
        final = dict(c.execute(f"SELECT id, balance FROM {name} ORDER BY id").fetchall())
    assert sum(final.values()) == TOTAL
    wrong = {i: (final.get(i), expected[i]) for i in expected if final.get(i) != expected[i]}
    assert not wrong, f"balances differ from the committed ledger (got, expected): {dict(list(wrong.items())[:10])}"
    assert min(final.values()) >= 0
    return committed, stats


def test_bank_transfers_read_committed(omendb_server, table_name):
    transfers = int(os.environ.get("OMENDB_BANK_TRANSFERS", "5000"))
    _setup(omendb_server, table_name)
    committed, stats = _run_bank(omendb_server, table_name, "READ COMMITTED", transfers, seed=1)
    assert committed >= transfers


def test_bank_transfers_repeatable_read_with_retries(omendb_server, table_name):
    """The same under snapshot isolation: conflicting transfers fail with 40001 and are retried."""
    _setup(omendb_server, table_name)
    committed, stats = _run_bank(omendb_server, table_name, "REPEATABLE READ", 1200, seed=2)
    assert committed >= 1200


@pytest.mark.usefixtures("managed_only")
def test_bank_total_survives_sigkill(fresh_server, table_name):
    """Kill -9 the server in the middle of the transfers, three times: after each restart the
    total is intact and every account is there (in-doubt commits may or may not be present,
    but a transfer is never half there)."""
    _setup(fresh_server, table_name)
    for cycle in range(3):
        conns = []
        stop = threading.Event()

        def load(i, cycle=cycle):
            rng = random.Random(cycle * 100 + i)
            conn = fresh_server.connect(autocommit=True)
            conns.append(conn)
            while not stop.is_set():
                a, b = sorted(rng.sample(range(1, ACCOUNTS + 1), 2))
                amount = rng.randint(1, 50)
                try:
                    conn.execute("BEGIN")
                    conn.execute(f"UPDATE {table_name} SET balance = balance - %s WHERE id = %s", (amount, a))
                    conn.execute(f"UPDATE {table_name} SET balance = balance + %s WHERE id = %s", (amount, b))
                    conn.execute("COMMIT")
                except Exception as e:  # noqa: BLE001
                    if sqlstate_of(e) in RETRYABLE:
                        conn.execute("ROLLBACK")
                        continue
                    return  # the server went away

        workers = [Worker(lambda i=i: load(i), f"bank-kill-{i}") for i in range(CLIENTS)]
        for w in workers:
            w.start()
        time.sleep(random.Random(cycle).uniform(0.5, 1.5))
        fresh_server.crash()
        stop.set()
        stuck = join_all(workers, 15.0, conns)
        for c in conns:
            close_quietly(c)
        assert not stuck, f"clients did not notice the server died: {stuck}"
        fresh_server.start()
        with fresh_server.connect(autocommit=True) as c:
            s, cnt = c.execute(f"SELECT sum(balance), count(*) FROM {table_name}").fetchone()
        assert (s, cnt) == (TOTAL, ACCOUNTS), f"after crash {cycle + 1}: sum={s} count={cnt}"
