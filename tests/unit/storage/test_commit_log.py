"""The commit log file format: CRC-framed records, torn tails, rotation and truncation."""

from __future__ import annotations

from pathlib import Path

from omendb_server.storage.wal import CommitLog


def _rec(ts: int, body: bytes = b"x") -> tuple[int, bytes]:
    return ts, ts.to_bytes(8, "big") + body


def test_records_come_back_in_write_order_across_rotations(tmp_path: Path) -> None:
    log = CommitLog(tmp_path)
    log.open_for_append(1)
    log.append([_rec(1), _rec(2)])
    log.rotate(3)
    log.append([_rec(3, b"three")])
    log.close()
    # a restart continues in a new file named after the next timestamp
    again = CommitLog(tmp_path)
    assert [ts for ts, _ in again.replay()] == [1, 2, 3]
    again.open_for_append(4)
    again.append([_rec(4)])
    assert [ts for ts, _ in again.replay()] == [1, 2, 3, 4]
    # a name that exists already (a file that may end in a torn record) is never reused
    again.rotate(4)
    again.append([_rec(5)])
    assert [ts for ts, _ in again.replay()] == [1, 2, 3, 4, 5]
    assert len(again.files()) == 4
    again.close()


def test_torn_tail_is_ignored_and_later_files_still_replay(tmp_path: Path) -> None:
    log = CommitLog(tmp_path)
    log.open_for_append(1)
    log.append([_rec(1), _rec(2, b"payload")])
    first = log.files()[0]
    log.close()
    data = first.read_bytes()
    first.write_bytes(data[:-3])  # crash in the middle of the last record
    log = CommitLog(tmp_path)
    assert [ts for ts, _ in log.replay()] == [1]
    log.open_for_append(2)  # recovery continues in a fresh file
    log.append([_rec(2, b"again")])
    log.close()
    assert [(ts, p[8:]) for ts, p in CommitLog(tmp_path).replay()] == [(1, b"x"), (2, b"again")]


def test_damaged_record_stops_that_file(tmp_path: Path) -> None:
    log = CommitLog(tmp_path)
    log.open_for_append(1)
    log.append([_rec(1), _rec(2), _rec(3)])
    path = log.files()[0]
    log.close()
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # flip a bit in the last payload: its CRC no longer matches
    path.write_bytes(bytes(data))
    assert [ts for ts, _ in CommitLog(tmp_path).replay()] == [1, 2]


def test_drop_through_keeps_files_with_newer_records(tmp_path: Path) -> None:
    log = CommitLog(tmp_path)
    log.open_for_append(1)
    log.append([_rec(1), _rec(2)])
    log.rotate(3)
    log.append([_rec(3), _rec(5)])
    log.rotate(6)
    assert log.drop_through(2) == 1  # only the first file is fully covered
    assert [ts for ts, _ in log.replay()] == [3, 5]
    assert log.drop_through(4) == 0  # the second file still holds ts 5
    log.close()
