"""ALEX learned-index micro-benchmarks: runs bench/alex_bench.py --json (owned by the index work)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench.core import REPO, Context, Skip, Table, workload

SCRIPT = REPO / "bench" / "alex_bench.py"


def _parse(stdout: str):
    text = stdout.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    # Tolerate progress lines before the JSON: take the last line or block that parses.
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith(("{", "[")):
            try:
                return json.loads(line)
            except ValueError:
                continue
    start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
    if start >= 0:
        return json.loads(text[start:])
    raise ValueError("no JSON in alex_bench.py output")


def _cell(v) -> str:
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, (dict, list)):
        return json.dumps(v, sort_keys=True)[:120]
    return str(v)


def _flatten(obj, prefix: str = "") -> list[tuple[str, object]]:
    if isinstance(obj, dict):
        out = []
        for k, v in obj.items():
            out += _flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    return [(prefix or "value", obj)]


def _distribution_tables(data: dict) -> list[Table]:
    """alex_bench.py's shape: {"distributions": {dist: {impl: {metric: value, ...}, scalar: ...}},
    "targets": {...}, "targets_met": {...}, ...}: one table per key distribution, one row per
    structure, one column per scalar metric; nested dicts (memory, structure) become short notes."""
    tables = []
    for dist, body in data["distributions"].items():
        if not isinstance(body, dict):
            continue
        impls = {k: v for k, v in body.items() if isinstance(v, dict)}
        scalars = {k: v for k, v in body.items() if not isinstance(v, dict)}
        cols: list[str] = []
        for v in impls.values():
            cols += [k for k, x in v.items() if not isinstance(x, dict) and k != "note" and k not in cols]
        has_note = any("note" in v for v in impls.values())
        rows = [[name] + [_cell(v.get(c, "")) for c in cols] + ([str(v.get("note", ""))] if has_note else [])
                for name, v in impls.items()]
        notes = [f"{k}: {_cell(v)}" for k, v in scalars.items()]
        for name, v in impls.items():
            st = v.get("structure")
            if isinstance(st, dict):
                keep = ("leaves", "internal_nodes", "max_depth")
                notes.append(f"{name} structure: " + ", ".join(f"{k} {_cell(st[k])}" for k in keep if k in st))
        tables.append(Table(f"ALEX vs alternatives, {dist} keys", columns=["structure"] + cols
                            + (["note"] if has_note else []), rows=rows, notes=notes))
    extra = {k: v for k, v in data.items() if k != "distributions" and not isinstance(v, list)}
    if tables and extra:
        tables[0].notes += [f"{k}: {_cell(v)}" for k, v in _flatten(extra)]
    return tables


def tables_from(data) -> list[Table]:
    """Render whatever alex_bench.py reports: its {"distributions": ...} shape as one table per
    distribution, a list of flat dicts as one table, a dict of such lists one table per key,
    anything else a flattened key/value table."""
    if isinstance(data, dict) and isinstance(data.get("distributions"), dict):
        tabs = _distribution_tables(data)
        if tabs:
            return tabs
    if isinstance(data, dict) and "results" in data and isinstance(data["results"], list):
        meta = {k: v for k, v in data.items() if k != "results"}
        tabs = tables_from(data["results"])
        if meta and tabs:
            tabs[0].notes += [f"{k}: {_cell(v)}" for k, v in meta.items()]
        return tabs
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        cols: list[str] = []
        for r in data:
            cols += [k for k in r if k not in cols]
        return [Table("ALEX micro-benchmarks", columns=cols,
                      rows=[[_cell(r.get(c, "")) for c in cols] for r in data])]
    if isinstance(data, dict) and data and all(isinstance(v, list) for v in data.values()):
        out = []
        for k, v in data.items():
            for t in tables_from(v):
                t.title = f"ALEX: {k}"
                out.append(t)
        return out
    return [Table("ALEX micro-benchmarks", columns=["measure", "value"],
                  rows=[[k, _cell(v)] for k, v in _flatten(data)])]


@workload(
    "alex",
    "ALEX learned index micro-benchmarks",
    """`bench/alex_bench.py --json --n N` (N = 10,000,000 keys; 1,000,000 with --quick), which times
    ALEX lookups (batched and one at a time, uniform and skewed keys) next to numpy.searchsorted, a
    dict and sortedcontainers, and reports index bytes per key. In-process, no servers involved; the
    figures are shown as alex_bench.py reports them.""",
    order=60,
)
def run(ctx: Context) -> list[Table]:
    if not SCRIPT.exists():
        raise Skip("bench/alex_bench.py does not exist yet")
    n = 1_000_000 if ctx.quick else 10_000_000
    timeout = 240 if ctx.quick else 480
    ctx.log(f"running {SCRIPT.name} --json --n {n}")
    try:
        proc = subprocess.run([sys.executable, str(SCRIPT), "--json", "--n", str(n)], cwd=str(REPO),
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise Skip(f"alex_bench.py did not finish within {timeout} s") from None
    if proc.returncode != 0:
        tail = " | ".join(l for l in proc.stderr.strip().splitlines()[-3:])
        raise Skip(f"alex_bench.py exited with status {proc.returncode}: {tail[:500]}")
    try:
        data = _parse(proc.stdout)
    except ValueError as e:
        raise Skip(f"could not read alex_bench.py --json output ({e}): {proc.stdout[-200:]!r}") from None
    tabs = tables_from(data)
    for t in tabs:
        t.title += f" (n = {n:,})"
    return tabs
