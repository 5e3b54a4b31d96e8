"""Randomized differential tests: AlexIndex against the pure-Python ReferenceIndex."""

from __future__ import annotations

import numpy as np
import pytest

from omendb_server.index.alex import AlexIndex
from omendb_server.index.reference import ReferenceIndex

I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


@pytest.fixture(scope="module", autouse=True)
def _compiled():
    """Load (or compile once) every kernel before timing-sensitive tests run."""
    idx = AlexIndex(np.arange(10, dtype=np.int64))
    idx.insert_many(np.arange(10, 2000, dtype=np.int64), np.arange(1990, dtype=np.int64))
    idx.delete_many(np.arange(0, 2000, 3, dtype=np.int64))
    idx.lookup_many(np.arange(5, dtype=np.int64))
    idx.range(3, 50, reverse=True)
    idx.range(3, 50)


def gen_keys(dist: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if dist == "uniform":
        k = rng.integers(-(2**62), 2**62, n)
    elif dist == "sequential":
        k = np.arange(n, dtype=np.int64) * 3 + 1_000_000
    elif dist == "lognormal":
        k = (rng.lognormal(0.0, 2.0, n) * 1e6).astype(np.int64)
    elif dist == "clustered":
        centers = rng.integers(-(10**15), 10**15, 8)
        k = centers[rng.integers(0, 8, n)] + rng.integers(0, 5 * n, n)
    elif dist == "extreme":
        k = np.concatenate(
            [
                rng.integers(I64_MIN, I64_MIN + 10 * n, n // 3),
                rng.integers(I64_MAX - 10 * n, I64_MAX, n // 3),
                rng.integers(-n, n, n - 2 * (n // 3)),
                np.array([I64_MIN, I64_MAX, 0, -1], dtype=np.int64),
            ]
        )
    else:
        raise AssertionError(dist)
    return k.astype(np.int64)


def assert_same(idx: AlexIndex, ref: ReferenceIndex, rng: np.random.Generator, probes: np.ndarray) -> None:
    assert len(idx) == len(ref)
    k1, p1 = idx.range()
    k2, p2 = ref.range()
    np.testing.assert_array_equal(k1, k2)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(idx.lookup_many(probes), ref.lookup_many(probes))
    assert idx.min() == ref.min() and idx.max() == ref.max()
    # a few ranges with random bounds and flags
    for _ in range(8):
        a, b = sorted(rng.choice(probes, 2).tolist())
        li, hi_ = bool(rng.integers(2)), bool(rng.integers(2))
        lim = None if rng.integers(2) else int(rng.integers(0, 50))
        rev = bool(rng.integers(2))
        r1 = idx.range(a, b, li, hi_, limit=lim, reverse=rev)
        r2 = ref.range(a, b, li, hi_, limit=lim, reverse=rev)
        np.testing.assert_array_equal(r1[0], r2[0])
        np.testing.assert_array_equal(r1[1], r2[1])
    idx.check()


DISTS = ["uniform", "sequential", "lognormal", "clustered", "extreme"]


@pytest.mark.parametrize("dist", DISTS)
@pytest.mark.parametrize("seed", [1, 2])
def test_interleaved_ops(dist: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    pool = np.unique(gen_keys(dist, 40_000, rng))
    rng.shuffle(pool)
    base = np.sort(pool[: len(pool) // 3])
    rest = pool[len(pool) // 3 :]
    idx = AlexIndex()
    ref = ReferenceIndex()
    idx.bulk_load(base, base ^ 0x5A5A)
    ref.bulk_load(base, base ^ 0x5A5A)
    pos = 0
    for step in range(12):
        op = step % 4
        if op == 0:  # batched inserts, with some duplicates mixed in
            batch = rest[pos : pos + 2500]
            pos += 2500
            dups = rng.choice(base, 50)
            ks = np.concatenate([batch, dups, batch[:20]])
            r1 = idx.insert_many(ks, ks // 7)
            r2 = ref.insert_many(ks, ks // 7)
            np.testing.assert_array_equal(r1, r2)
        elif op == 1:  # single inserts
            for k in rest[pos : pos + 300].tolist():
                assert idx.insert(k, k % 1000) == ref.insert(k, k % 1000)
            pos += 300
        elif op == 2:  # deletes, present and absent
            present = ref.keys()
            victims = np.concatenate([rng.choice(present, min(1500, len(present)), replace=False), rest[-100:]])
            np.testing.assert_array_equal(idx.delete_many(victims), ref.delete_many(victims))
            for k in rng.choice(ref.keys(), 50).tolist():
                assert idx.delete(k) == ref.delete(k)
        else:  # updates
            for k in rng.choice(pool, 100).tolist():
                assert idx.update(k, 7) == ref.update(k, 7)
        probes = np.concatenate([rng.choice(pool, 2000), rng.integers(-(2**63), 2**63 - 1, 200)])
        assert_same(idx, ref, rng, probes)


@pytest.mark.parametrize("dist", DISTS)
def test_insert_only_from_empty(dist: str) -> None:
    """No bulk load: every node is created by expansions, splits and root expansions."""
    rng = np.random.default_rng(7)
    ks = np.unique(gen_keys(dist, 30_000, rng))
    if dist != "sequential":
        rng.shuffle(ks)
    idx = AlexIndex()
    ref = ReferenceIndex()
    assert idx.insert_many(ks, ks * 2).all()
    ref.insert_many(ks, ks * 2)
    assert_same(idx, ref, rng, np.concatenate([ks[:3000], ks[:300] + 1]))


def test_delete_everything_then_reinsert() -> None:
    rng = np.random.default_rng(3)
    ks = np.unique(gen_keys("lognormal", 20_000, rng))
    idx = AlexIndex(ks, ks + 1)
    order = rng.permutation(ks)
    assert idx.delete_many(order).all()
    assert len(idx) == 0
    assert idx.range()[0].shape[0] == 0
    assert idx.min() is None and idx.max() is None
    assert (idx.lookup_many(ks[:100]) == -1).all()
    idx.check()
    assert idx.stats()["contractions"] > 0
    assert idx.insert_many(order, order - 1).all()
    np.testing.assert_array_equal(idx.lookup_many(ks), ks - 1)
    idx.check()
