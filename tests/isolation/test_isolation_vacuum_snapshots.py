"""VACUUM and CHECKPOINT keep every row version an open snapshot can still see.

A REPEATABLE READ transaction reads a table; other sessions then update every row several
times, delete some and insert others, and VACUUM (and CHECKPOINT) run. The old snapshot
must still read exactly what it read first; once it ends, a new VACUUM may drop the dead
versions and new readers see the newest data.
"""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("maintenance", [["VACUUM {t}"], ["CHECKPOINT", "VACUUM {t}", "CHECKPOINT"]],
                         ids=["vacuum", "checkpoint+vacuum"])
def test_old_snapshot_survives_vacuum(sessions, table_name, maintenance):
    t = table_name
    admin, reader = sessions("admin"), sessions("reader")
    admin.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, v int NOT NULL, note text)")
    with admin.conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {t} (id, v, note) VALUES (%s, %s, %s)",
                        [(i, i * 10, f"n{i}") for i in range(1, 201)])
    reader.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    first = reader.rows(f"SELECT id, v, note FROM {t} ORDER BY id")
    assert len(first) == 200
    for round_ in range(3):
        admin.execute(f"UPDATE {t} SET v = v + 1, note = 'round {round_}'")
    admin.execute(f"DELETE FROM {t} WHERE id % 7 = 0")
    admin.execute(f"INSERT INTO {t} (id, v, note) VALUES (1000, 1, 'new')")
    for stmt in maintenance:
        admin.execute(stmt.format(t=t))
    assert reader.rows(f"SELECT id, v, note FROM {t} ORDER BY id") == first, \
        "the old snapshot lost row versions it can still see"
    assert reader.scalar(f"SELECT v FROM {t} WHERE id = 7") == 70, "point lookup of a vacuumed-away version"
    reader.execute("COMMIT")
    for stmt in maintenance:
        admin.execute(stmt.format(t=t))
    now = admin.rows(f"SELECT id, v, note FROM {t} ORDER BY id")
    assert len(now) == 200 - 28 + 1
    assert now[0] == (1, 13, "round 2") and now[-1] == (1000, 1, "new")
    assert admin.scalar(f"SELECT count(*) FROM {t} WHERE id % 7 = 0") == 0
