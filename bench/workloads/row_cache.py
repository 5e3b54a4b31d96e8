"""Zipfian point reads with OmenDB's LRU row cache on and off (same data, same key sequence)."""

from __future__ import annotations

import numpy as np
import psycopg

from bench.core import Cmp, Context, Table, workload
from bench.workloads.data import ensure_accounts, ensure_accounts_datadir, scan_log, stop_clean
from bench.workloads.point_select import detail, measure

ZIPF_S = 1.1
CACHE_ROWS = 100_000
STATS_SQL = "SELECT capacity, entries, hits, misses, evictions, hit_ratio FROM omendb_stat_row_cache"
STAT_COLS = ("capacity", "entries", "hits", "misses", "evictions", "hit_ratio")


def zipf_keys(n_keys: int, count: int, s: float, seed: int) -> list[int]:
    """``count`` draws of a Zipf(s) distribution over ranks 1..n_keys (finite support), with ranks
    mapped to ids 1..n_keys through a fixed random permutation (hot ids are scattered)."""
    rng = np.random.default_rng(seed)
    weights = np.arange(1, n_keys + 1, dtype=np.float64) ** -s
    cdf = np.cumsum(weights)
    ranks = np.searchsorted(cdf, rng.random(count) * cdf[-1], side="right")
    ranks = np.minimum(ranks, n_keys - 1)
    perm = rng.permutation(n_keys) + 1
    return perm[ranks].tolist()


def stats(dsn: str) -> dict:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(STATS_SQL).fetchone()
    return dict(zip(STAT_COLS, row))


def repeat_fraction(keys: list[int], timed: int) -> float:
    """Share of the timed lookups whose key was looked up before (since the server started): the
    hit ratio of a cache that never evicts."""
    warm = len(keys) - timed
    seen = set(keys[:warm])
    rep = 0
    for k in keys[warm:]:
        if k in seen:
            rep += 1
        else:
            seen.add(k)
    return rep / timed if timed else 0.0


@workload(
    "row_cache",
    "Row cache: Zipfian point reads, cache on vs off",
    f"""Prepared `SELECT id, balance, name FROM accounts WHERE id = %s` (psycopg `prepare=True`, one
    connection) with ids drawn from a Zipf distribution (s = {ZIPF_S}) over all ids of the accounts
    table (1,000,000; 100,000 with --quick), hot ids scattered by a fixed permutation. Two OmenDB
    servers, one after the other, on the same data directory (accounts loaded with COPY,
    CHECKPOINTed): `--row-cache-rows {CACHE_ROWS}` and `--row-cache-rows 0`, each freshly started
    (cold cache), then a warm-up, then the timed run (timed duration or lookup cap). The hit ratio is
    the delta of hits/(hits+misses) from `omendb_stat_row_cache` over the timed run. PostgreSQL
    runs the same key sequence on its accounts table for reference. Figures are queries/s (higher is
    better); every returned row is checked.""",
    order=15,
)
def run(ctx: Context) -> list[Table]:
    rows = ctx.rows
    ensure_accounts(ctx)  # PostgreSQL's accounts (same rows)
    warm = 20_000 if not ctx.quick else 5_000
    timed = ctx.max_lookups
    keys = zipf_keys(rows, warm + timed, ZIPF_S, ctx.seed)
    warm_keys, timed_keys = keys[:warm], keys[warm:]

    ctx.log(f"row cache: Zipf s={ZIPF_S} over {rows:,} ids, warm-up {warm:,}, up to {timed:,} timed: PostgreSQL")
    measure(ctx.pg.dsn, warm_keys, True, 1e9)
    pg = measure(ctx.pg.dsn, timed_keys, True, ctx.duration, warmup=0)

    results: dict[int, dict] = {}
    errors: dict[int, str] = {}
    try:
        d = ensure_accounts_datadir(ctx)
    except Exception as e:
        msg = ctx.problem("preparing the row-cache data dir", e)
        d = None
        errors = {CACHE_ROWS: msg, 0: msg}
    if d is not None:
        server = d["server"]
        for cache in (CACHE_ROWS, 0):
            server.extra_args = ["--row-cache-rows", str(cache)]
            try:
                ctx.log(f"row cache: OmenDB --row-cache-rows {cache}")
                server.start(timeout=600)
                try:
                    measure(server.dsn, warm_keys, True, 1e9, server_pid=server.pid)
                    s0 = stats(server.dsn)
                    r = measure(server.dsn, timed_keys, True, ctx.duration, server_pid=server.pid, warmup=0)
                    s1 = stats(server.dsn)
                finally:
                    stop_clean(ctx, server, f"row_cache: stop (--row-cache-rows {cache})")
                hits, misses = s1["hits"] - s0["hits"], s1["misses"] - s0["misses"]
                r["hits"], r["misses"] = hits, misses
                r["hit_ratio"] = hits / (hits + misses) if hits + misses else None
                r["stats"] = s1
                # the timed run may stop at the time limit: the bound covers the lookups that ran
                r["ideal"] = repeat_fraction(keys[:warm + r["n"]], r["n"])
                if r["wrong"]:
                    ctx.problem(f"row cache {cache}", f"{r['wrong']} of {r['n']} lookups returned no row or the wrong row")
                results[cache] = r
            except Exception as e:
                errors[cache] = ctx.problem(f"row cache --row-cache-rows {cache}", e)
            finally:
                server.ensure_stopped()
        scan_log(ctx, server, "row_cache server")

    cmps = []
    for cache, label in ((CACHE_ROWS, f"OmenDB --row-cache-rows {CACHE_ROWS:,}"), (0, "OmenDB --row-cache-rows 0 (off)")):
        c = Cmp(f"{label} vs PostgreSQL", "queries/s", pg=pg["qps"], pg_detail=detail(pg))
        if cache in results:
            r = results[cache]
            c.omendb = r["qps"]
            c.omendb_detail = detail(r) + (f"; hit ratio {r['hit_ratio']:.1%}" if r["hit_ratio"] is not None else "")
        else:
            c.omendb_error = errors.get(cache, "not run")
        cmps.append(c)
        ctx.log(f"  {c.measure}: OmenDB {c.omendb} | PostgreSQL {c.pg}")

    on, off = results.get(CACHE_ROWS), results.get(0)
    summary_rows = []
    for cache, r in ((CACHE_ROWS, on), (0, off)):
        if r is None:
            summary_rows.append([f"{cache:,}", "—", "—", "—", "—", "—", "—", errors.get(cache, "")])
            continue
        st = r["stats"]
        summary_rows.append([
            f"{cache:,}", f"{r['qps']:,.0f}",
            f"{r['cpu_us']:,.0f}" if r["cpu_us"] is not None else "—",
            f"{r['hit_ratio']:.1%}" if r["hit_ratio"] is not None else "— (cache off: none counted)",
            f"{r['hits']:,} / {r['misses']:,}",
            f"{st['entries']:,} / {st['capacity']:,}", f"{st['evictions']:,}", f"n={r['n']:,}",
        ])
    notes = []
    if on and off:
        notes.append(f"**Speedup from the cache: {on['qps'] / off['qps']:.2f}x** in queries/s "
                     f"(cache on / cache off); server CPU per query "
                     + (f"{off['cpu_us']:,.0f} → {on['cpu_us']:,.0f} µs." if on["cpu_us"] and off["cpu_us"] else "n/a."))
    if on:
        notes.append(f"Hit ratio of a cache that never evicts on the same lookups (share of the {on['n']:,} "
                     f"timed lookups whose id had been looked up before since the server started): "
                     f"{on['ideal']:.1%}; the warm-up was {warm:,} lookups.")
    notes.append("Server CPU per query: all threads of the OmenDB process; the PostgreSQL backend of the connection.")
    return [
        Table(f"Zipf(s={ZIPF_S}) point reads over {rows:,} ids, {ctx.duration:g} s per run", cmp=cmps),
        Table("OmenDB row cache on vs off",
              columns=["--row-cache-rows", "queries/s", "server CPU µs/query", "hit ratio (timed run)",
                       "hits / misses (timed run)", "entries / capacity (end)", "evictions (total)", "lookups"],
              rows=summary_rows, notes=notes),
    ]
