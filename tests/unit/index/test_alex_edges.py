"""Edge cases and structural behaviour of the ALEX index."""

from __future__ import annotations

import numpy as np
import pytest

from omendb_server.index import alex_kernels as K
from omendb_server.index.alex import AlexIndex
from omendb_server.index.reference import ReferenceIndex

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


@pytest.fixture(params=[AlexIndex, ReferenceIndex], ids=["alex", "reference"])
def cls(request):
    return request.param


def test_empty(cls) -> None:
    idx = cls()
    assert len(idx) == 0
    assert idx.lookup(5) == -1
    assert idx.get(5) is None
    assert 5 not in idx
    assert idx.min() is None and idx.max() is None
    assert list(idx) == []
    ks, ps = idx.range()
    assert ks.shape == (0,) and ps.shape == (0,)
    assert idx.lookup_many(np.empty(0, np.int64)).shape == (0,)
    assert idx.delete(5) is False
    assert idx.update(5, 1) is False


def test_single_key(cls) -> None:
    idx = cls()
    assert idx.insert(42, 7) is True
    assert idx.insert(42, 8) is False
    assert idx.lookup(42) == 7
    assert idx.min() == 42 == idx.max()
    assert list(idx) == [42]
    assert list(idx.items()) == [(42, 7)]
    assert idx.range(42, 42)[0].tolist() == [42]
    assert idx.range(42, 42, lo_inclusive=False)[0].tolist() == []
    assert idx.delete(42) is True
    assert len(idx) == 0 and idx.lookup(42) == -1


def test_extremes_and_negatives(cls) -> None:
    idx = cls()
    ks = [I64_MIN, I64_MIN + 1, -5, -1, 0, 1, I64_MAX - 1, I64_MAX]
    for i, k in enumerate(reversed(ks)):
        assert idx.insert(k, i)
    assert list(idx) == ks
    assert idx.lookup(I64_MIN) == 7 and idx.lookup(I64_MAX) == 0
    assert idx.range(None, None)[0].tolist() == ks
    assert idx.range(I64_MAX, None, lo_inclusive=False)[0].tolist() == []
    assert idx.range(None, I64_MIN, hi_inclusive=False)[0].tolist() == []
    assert idx.range(-5, 1, lo_inclusive=False, hi_inclusive=False)[0].tolist() == [-1, 0]
    assert idx.range(None, None, limit=3, reverse=True)[0].tolist() == ks[::-1][:3]
    assert idx.delete(I64_MAX) and idx.max() == I64_MAX - 1
    assert idx.delete(I64_MIN) and idx.min() == I64_MIN + 1
    assert idx.lookup(I64_MAX) == -1


def test_payload_minus_one_and_get(cls) -> None:
    idx = cls()
    idx.insert(3, -1)
    assert idx.get(3) == -1 and 3 in idx and idx.get(4, "x") == "x"


def test_bulk_load_validation() -> None:
    with pytest.raises(ValueError):
        AlexIndex().bulk_load(np.array([1, 1, 2]))
    with pytest.raises(ValueError):
        AlexIndex().bulk_load(np.array([3, 2]))
    with pytest.raises(ValueError):
        AlexIndex().bulk_load(np.array([1, 2]), np.array([1]))
    with pytest.raises(OverflowError):
        AlexIndex().insert(2**63, 1)
    assert AlexIndex().lookup(2**70) == -1


def test_bulk_load_replaces_and_iterates() -> None:
    ks = np.arange(0, 300_000, 3, dtype=np.int64)
    idx = AlexIndex(ks)
    np.testing.assert_array_equal(idx.lookup_many(ks), np.arange(ks.shape[0]))
    assert np.array_equal(np.fromiter(iter(idx), np.int64), ks)
    idx.bulk_load(np.array([5, 6], np.int64), np.array([1, 2], np.int64))
    assert list(idx.items()) == [(5, 1), (6, 2)]


def test_skewed_inserts_split_nodes() -> None:
    """Inserts concentrated in a narrow key range must split nodes (not just grow one)."""
    rng = np.random.default_rng(11)
    base = np.unique(rng.integers(0, 10**12, 20_000))
    idx = AlexIndex(base, base)
    hot = np.unique((rng.lognormal(0, 1.5, 120_000) * 1e4).astype(np.int64) + 5 * 10**11)
    hot = hot[~np.isin(hot, base)]
    rng.shuffle(hot)
    assert idx.insert_many(hot, hot).all()
    st = idx.stats()
    assert st["splits_sideways"] + st["splits_downward"] > 0, st
    assert st["max_depth"] <= 8, st
    np.testing.assert_array_equal(idx.lookup_many(hot), hot)
    idx.check()


def test_sequential_appends_expand_root() -> None:
    idx = AlexIndex(np.arange(1000, dtype=np.int64))
    up = np.arange(1000, 150_000, dtype=np.int64)
    assert idx.insert_many(up, up).all()
    down = np.arange(-1, -50_000, -1, dtype=np.int64)
    assert idx.insert_many(down, down).all()
    st = idx.stats()
    assert st["root_expansions"] >= 2, st
    assert st["max_depth"] <= 4, st
    allk = np.concatenate([down[::-1], np.arange(150_000)])
    np.testing.assert_array_equal(idx.keys(), allk)
    idx.check()


def test_appends_into_empty_index() -> None:
    idx = AlexIndex()
    ks = np.arange(0, 200_000, dtype=np.int64) * 1_000_000_007
    for part in np.array_split(ks, 20):
        assert idx.insert_many(part, part).all()
    st = idx.stats()
    assert st["max_depth"] <= 4, st
    np.testing.assert_array_equal(idx.lookup_many(ks[::7]), ks[::7])
    idx.check()


def test_memory_report_after_bulk_load() -> None:
    rng = np.random.default_rng(5)
    ks = np.unique(rng.integers(0, 2**62, 300_000))
    idx = AlexIndex(ks)
    m = idx.memory_bytes()
    assert m["keys_payloads"] == 16 * ks.shape[0]
    assert m["overhead"] == m["gap_slots"] + m["node_headers_allocated"] + m["child_pointers"] + m["arena_free"]
    assert m["overhead_per_key"] <= 4.0, m


def test_kernels_cached_on_disk() -> None:
    from numba.core.caching import NullCache

    for fn in (K.lookup_many, K.insert_many, K.build, K.range_scan):
        assert not isinstance(fn._cache, NullCache)


def test_appends_do_not_shift() -> None:
    """Ascending inserts (sequences, timestamps) land in free space at the end of
    append-heavy leaves instead of shifting a growing block."""
    idx = AlexIndex(np.arange(0, 100_000, dtype=np.int64) * 10)
    up = np.arange(100_000, 400_000, dtype=np.int64) * 10
    assert idx.insert_many(up, up).all()
    st = idx.stats()
    assert st["shifts"] < up.shape[0], st
    assert st["splits_sideways"] > 0 and st["max_depth"] <= 3, st
    np.testing.assert_array_equal(idx.lookup_many(up[::13]), up[::13])
    idx.check()


def test_ordered_deletes() -> None:
    """Deleting in ascending and descending key order (long gap runs get rebuilt)."""
    ks = np.arange(0, 60_000, dtype=np.int64) * 3
    for order in (ks, ks[::-1]):
        idx = AlexIndex(ks, ks)
        assert idx.delete_many(order[:40_000]).all()
        rest = np.sort(order[40_000:])
        np.testing.assert_array_equal(idx.keys(), rest)
        np.testing.assert_array_equal(idx.lookup_many(rest), rest)
        assert (idx.lookup_many(order[:1000]) == -1).all()
        idx.check()


def test_compact_releases_space() -> None:
    rng = np.random.default_rng(9)
    ks = np.unique(rng.integers(0, 10**9, 50_000))
    idx = AlexIndex()
    perm = rng.permutation(ks)
    idx.insert_many(perm, perm)
    before = idx.memory_bytes()
    idx.compact()
    after = idx.memory_bytes()
    assert after["arena_free"] == 0 and after["overhead"] <= before["overhead"]
    np.testing.assert_array_equal(idx.lookup_many(ks), ks)
    idx.check()
