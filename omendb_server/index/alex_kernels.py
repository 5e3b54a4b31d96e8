"""numba kernels for the ALEX learned index (see ``alex.py`` for the design notes).

State is a handful of flat numpy arrays so every kernel can be ``@njit(cache=True)``:

* ``hi``   int64 [nodes, NI]   node headers; ``hf = hi.view(float64)`` reads the model
           (slope, intercept) from the same row, so one cache line serves a node visit.
* ``hb``   int64 [nodes, 2]    cold per-node key-interval hints (lo, hi inclusive).
* ``slots`` int64 [2 * n]      arena of gapped arrays; slot i = (key at 2i, payload at 2i+1)
           so a key and its row id share a cache line.
* ``ch``   int64 [m]           arena of internal-node child pointers.
* ``meta`` int64 [META_N]      counters (root, sizes, first/last leaf, statistics).

Gapped arrays keep keys non-decreasing: a gap holds a copy of the next real key to its
right, gaps after the last real key (``LAST``) hold INT64_MAX. So slot i <= LAST is real
iff i == LAST or key[i] != key[i+1]; no bitmap is needed and search never looks at one.

Kernels never reallocate the shared arenas: ones that need room return a status and the
Python wrapper grows the arrays (or restructures a node) and calls again.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

I64_MIN = np.int64(-(2**63))
I64_MAX = np.int64(2**63 - 1)

# node header fields (hot ones first: they share the row's first cache line)
H_TYPE = 0  # 0 leaf (data node), 1 internal
H_ANCHOR = 1  # model input is float(satsub(key, anchor))
H_START = 2  # leaf: first slot in arena; internal: first child pointer in ch
H_CAP = 3  # leaf: capacity (slots); internal: fanout
H_OFFS = 4  # internal: integer slot offset added after floor (root expansion to the left)
H_APPENDS = 4  # leaf: inserts after the last key since the last rebuild (same field)
H_LAST = 5  # leaf: position of the last real key, -1 when empty
H_SLOPE = 6  # float64 (via the hf view)
H_ICPT = 7  # float64 (via the hf view)
H_NKEYS = 8
H_NEXT = 9
H_PREV = 10
H_PARENT = 11
H_PLO = 12  # slots [PLO, PHI) of the parent that point at this node
H_PHI = 13
H_WORK = 14  # leaf: shifts + search distance accumulated by inserts since the last rebuild
H_INS = 15  # leaf: inserts since the last rebuild
NI = 16

T_LEAF = 0
T_INNER = 1

M_ROOT = 0  # the root is always node 0 (bulk load builds it first; splits keep its id)
M_NNODES = 1
M_SLOTS_USED = 2
M_CH_USED = 3
M_NKEYS = 4
M_FIRST = 5
M_LAST = 6
M_SLOT_GARBAGE = 7
M_CH_GARBAGE = 8
M_EXPANSIONS = 9
M_SPLITS_SIDE = 10
M_SPLITS_DOWN = 11
M_FANOUT_DOUBLINGS = 12
M_ROOT_EXPANSIONS = 13
M_SHIFTS = 14
M_CONTRACTIONS = 15
M_CLAMPED_LEFT = 16  # a key below the root's slot domain was inserted: no left expansion
M_CLAMPED_RIGHT = 17
META_N = 20

# tuning
BULK_DENSITY = 0.85  # gapped-array fill after bulk load (~2.8 B/key of gap slots)
INSERT_DENSITY = 0.7  # fill after an expansion / split on the insert path
MAX_DENSITY = 0.92  # a leaf is full beyond this
MIN_DENSITY = 0.15  # deletes shrink a leaf below this
MIN_CAP = 8
LEAF_TARGET = 2048  # bulk load aims at leaves of about this many keys
LEAF_MAX_BULK = 4096  # ... and never builds a bigger one unless forced
LEAF_MAX = 8192  # inserts split a leaf at this size
LEAF_SPLIT_MIN = 256  # below this a full leaf always just expands
COST_T = 2.5  # max mean log2 search distance for a node to stay a single leaf ...
SPLIT_GAIN = 0.75  # ... unless splitting it in two gains less than this
MAX_FANOUT = 1 << 16
MAX_ROOT_FANOUT = 1 << 20
DOUBLE_MAX_FANOUT = 4096  # a full one-slot leaf doubles its parent's fanout up to this
MAX_DEPTH = 48
DELETE_RUN_REBUILD = 256  # a delete rewriting a longer gap run has the leaf rebuilt
APPEND_DENSITY = 0.5  # an append-heavy leaf expands to this, keys packed at the left
WORK_PER_INSERT = 24  # degraded-leaf trigger (shifts + search distance per insert)

ST_DONE = 0
ST_NEED_ROOM = 1
ST_NEED_ROOT_EXPAND = 2


@njit(cache=True)
def satsub(a, b):
    """a - b saturated to the int64 range (monotone in a)."""
    d = a - b
    if ((a ^ b) & (a ^ d)) < 0:
        if a > b:
            return I64_MAX
        return I64_MIN
    return d


@njit(cache=True)
def inner_raw(hi, hf, node, key):
    return hf[node, H_SLOPE] * float(satsub(key, hi[node, H_ANCHOR])) + hf[node, H_ICPT]


@njit(cache=True)
def inner_slot(hi, hf, node, key):
    raw = hf[node, H_SLOPE] * float(satsub(key, hi[node, H_ANCHOR])) + hf[node, H_ICPT]
    f = hi[node, H_CAP]
    offs = hi[node, H_OFFS]
    if raw < -offs:
        return 0
    if raw >= f - offs:
        return f - 1
    return np.int64(math.floor(raw)) + offs


@njit(cache=True)
def leaf_pred(hi, hf, node, key):
    raw = hf[node, H_SLOPE] * float(satsub(key, hi[node, H_ANCHOR])) + hf[node, H_ICPT]
    cap = hi[node, H_CAP]
    if raw < 0.0:
        return np.int64(0)
    if raw >= cap:
        return cap - 1
    return np.int64(raw)


@njit(cache=True)
def route(hi, hf, ch, root, key):
    node = root
    while hi[node, H_TYPE] == T_INNER:
        node = ch[hi[node, H_START] + inner_slot(hi, hf, node, key)]
    return node


@njit(cache=True)
def find_le(slots, start, cap, p, key):
    """Last position i in [0, cap) of the gapped array at ``start`` with key[i] <= key
    (-1 if none), by exponential search from the predicted position p."""
    base = 2 * start
    if slots[base + 2 * p] <= key:
        lo = p
        step = 1
        hi_ = p + 1
        while hi_ < cap and slots[base + 2 * hi_] <= key:
            lo = hi_
            step *= 2
            hi_ = p + step
        if hi_ > cap:
            hi_ = cap
    else:
        hi_ = p
        step = 1
        lo = p - 1
        while lo >= 0 and slots[base + 2 * lo] > key:
            hi_ = lo
            step *= 2
            lo = p - step
        if lo < -1:
            lo = -1
    while hi_ - lo > 1:
        m = (lo + hi_) >> 1
        if slots[base + 2 * m] <= key:
            lo = m
        else:
            hi_ = m
    return lo


@njit(cache=True)
def leaf_locate(hi, slots, leaf, i, key):
    """Given i = find_le(key), the position of key in the leaf or -1."""
    if i < 0:
        return np.int64(-1)
    base = 2 * hi[leaf, H_START]
    if slots[base + 2 * i] != key:
        return np.int64(-1)
    if key == I64_MAX:
        last = hi[leaf, H_LAST]
        if last < 0 or slots[base + 2 * last] != key:
            return np.int64(-1)
        return last
    return i


@njit(cache=True)
def lookup_one(hi, slots, ch, key):
    hf = hi.view(np.float64)
    leaf = route(hi, hf, ch, 0, key)
    cap = hi[leaf, H_CAP]
    start = hi[leaf, H_START]
    i = find_le(slots, start, cap, leaf_pred(hi, hf, leaf, key), key)
    i = leaf_locate(hi, slots, leaf, i, key)
    if i < 0:
        return np.int64(-1)
    return slots[2 * (start + i) + 1]


LOOKUP_BATCH = 32


@njit(cache=True)
def lookup_many(hi, hf, slots, ch, root, qs, out):
    """out[j] = payload of qs[j] or -1. Works in groups: route and predict a group,
    touch every predicted slot (independent loads the CPU overlaps), then search."""
    n = qs.shape[0]
    leafs = np.empty(LOOKUP_BATCH, np.int64)
    pos = np.empty(LOOKUP_BATCH, np.int64)
    probe = np.empty(LOOKUP_BATCH, np.int64)
    for b0 in range(0, n, LOOKUP_BATCH):
        b1 = min(b0 + LOOKUP_BATCH, n)
        m = b1 - b0
        for j in range(m):
            key = qs[b0 + j]
            leaf = route(hi, hf, ch, root, key)
            leafs[j] = leaf
            pos[j] = leaf_pred(hi, hf, leaf, key)
        for j in range(m):
            probe[j] = slots[2 * (hi[leafs[j], H_START] + pos[j])]
        for j in range(m):
            key = qs[b0 + j]
            leaf = leafs[j]
            start = hi[leaf, H_START]
            cap = hi[leaf, H_CAP]
            p = pos[j]
            if probe[j] == key and key != I64_MAX and (p + 1 >= cap or slots[2 * (start + p + 1)] != key):
                out[b0 + j] = slots[2 * (start + p) + 1]
                continue
            i = find_le(slots, start, cap, p, key)
            i = leaf_locate(hi, slots, leaf, i, key)
            if i < 0:
                out[b0 + j] = -1
            else:
                out[b0 + j] = slots[2 * (start + i) + 1]


# ---------------------------------------------------------------- leaf building


@njit(cache=True)
def fit_leaf(keys, pays, i0, i1, cap):
    """Least-squares model rank -> position (scaled by cap / n), anchor = first key."""
    n = i1 - i0
    if n == 0:
        return I64_MIN, 0.0, 0.0
    anchor = keys[i0]
    if n == 1:
        return anchor, 0.0, float(cap // 2)
    scale = cap / n
    sx = 0.0
    for i in range(i0, i1):
        sx += float(satsub(keys[i], anchor))
    mx = sx / n
    my = (n - 1) * 0.5 * scale
    sxx = 0.0
    sxy = 0.0
    for i in range(i0, i1):
        dx = float(satsub(keys[i], anchor)) - mx
        sxx += dx * dx
        sxy += dx * ((i - i0) * scale - my)
    if sxx <= 0.0:
        return anchor, 0.0, my
    slope = sxy / sxx
    if slope < 0.0:
        slope = 0.0
    return anchor, slope, my - slope * mx


@njit(cache=True)
def _pred_raw(anchor, slope, icpt, cap, key):
    raw = slope * float(satsub(key, anchor)) + icpt
    if raw < 0.0:
        return np.int64(0)
    if raw >= cap:
        return cap - 1
    return np.int64(raw)


@njit(cache=True)
def leaf_cost(keys, i0, i1, cap):
    """Mean log2 distance between predicted and placed position after a model-based
    bulk placement of keys[i0:i1] into ``cap`` slots: the expected search cost."""
    n = i1 - i0
    if n <= 1:
        return 0.0
    anchor, slope, icpt = fit_leaf(keys, keys, i0, i1, cap)
    prev = -1
    tot = 0.0
    for i in range(n):
        pr = _pred_raw(anchor, slope, icpt, cap, keys[i0 + i])
        p = pr
        if p <= prev:
            p = prev + 1
        if p > cap - (n - i):
            p = cap - (n - i)
        prev = p
        tot += math.log2(abs(p - pr) + 1.0)
    return tot / n


@njit(cache=True)
def leaf_is_worth_it(keys, i0, i1, density):
    """Keep keys[i0:i1] as one leaf unless its expected search cost is high and
    splitting it in two would lower that cost noticeably (random, locally uniform keys
    do not improve by splitting; curved CDFs do)."""
    n = i1 - i0
    c = leaf_cost(keys, i0, i1, cap_for(n, density))
    if c <= COST_T:
        return True
    m = i0 + n // 2
    c2 = (leaf_cost(keys, i0, m, cap_for(m - i0, density)) * (m - i0)
          + leaf_cost(keys, m, i1, cap_for(i1 - m, density)) * (i1 - m)) / n
    return c2 > c - SPLIT_GAIN


@njit(cache=True)
def place_leaf(slots, start, cap, keys, pays, i0, i1, anchor, slope, icpt):
    """Model-based placement of sorted keys into the gapped array; returns LAST."""
    n = i1 - i0
    base = 2 * start
    for j in range(cap):
        slots[base + 2 * j] = I64_MAX
        slots[base + 2 * j + 1] = -1
    prev = -1
    for i in range(n):
        p = _pred_raw(anchor, slope, icpt, cap, keys[i0 + i])
        if p <= prev:
            p = prev + 1
        if p > cap - (n - i):
            p = cap - (n - i)
        slots[base + 2 * p] = keys[i0 + i]
        slots[base + 2 * p + 1] = pays[i0 + i]
        # gaps between prev and p copy this key
        for g in range(prev + 1, p):
            slots[base + 2 * g] = keys[i0 + i]
        prev = p
    return np.int64(prev)


@njit(cache=True)
def cap_for(n, density):
    c = np.int64(math.ceil(n / density)) + 1
    if c < MIN_CAP:
        c = MIN_CAP
    return c


@njit(cache=True)
def init_leaf(hi, hf, slots, node, start, cap, keys, pays, i0, i1):
    init_leaf_fit(hi, hf, slots, node, start, cap, keys, pays, i0, i1, cap)


@njit(cache=True)
def init_leaf_fit(hi, hf, slots, node, start, cap, keys, pays, i0, i1, fit_cap):
    """A leaf of ``cap`` slots whose model spreads the keys over the first ``fit_cap``
    (fit_cap < cap leaves free room at the end for appends to extrapolate into)."""
    anchor, slope, icpt = fit_leaf(keys, pays, i0, i1, fit_cap)
    hi[node, H_TYPE] = T_LEAF
    hi[node, H_ANCHOR] = anchor
    hi[node, H_START] = start
    hi[node, H_CAP] = cap
    hi[node, H_OFFS] = 0
    hf[node, H_SLOPE] = slope
    hf[node, H_ICPT] = icpt
    hi[node, H_LAST] = place_leaf(slots, start, cap, keys, pays, i0, i1, anchor, slope, icpt)
    hi[node, H_NKEYS] = i1 - i0
    hi[node, H_WORK] = 0
    hi[node, H_INS] = 0


@njit(cache=True)
def leaf_extract(hi, slots, leaf):
    n = hi[leaf, H_NKEYS]
    keys = np.empty(n, np.int64)
    pays = np.empty(n, np.int64)
    base = 2 * hi[leaf, H_START]
    last = hi[leaf, H_LAST]
    k = 0
    for i in range(last + 1):
        if i == last or slots[base + 2 * i] != slots[base + 2 * i + 2]:
            keys[k] = slots[base + 2 * i]
            pays[k] = slots[base + 2 * i + 1]
            k += 1
    return keys, pays


# ---------------------------------------------------------------- builder


@njit(cache=True)
def pow2ceil(x):
    p = np.int64(1)
    while p < x:
        p *= 2
    return p


@njit(cache=True)
def _grow2(a, need_rows):
    if need_rows <= a.shape[0]:
        return a
    rows = max(need_rows, a.shape[0] * 2)
    b = np.zeros((rows, a.shape[1]), a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True)
def _grow1(a, need):
    if need <= a.shape[0]:
        return a
    b = np.empty(max(need, a.shape[0] * 2), a.dtype)
    b[: a.shape[0]] = a
    return b


@njit(cache=True)
def inv_slot(hi, hf, node, s, lo, hi_):
    """Smallest key k in [lo, hi_] with inner_slot(k) >= s (hi_ + 1 saturated if none)."""
    if inner_slot(hi, hf, node, hi_) < s:
        if hi_ == I64_MAX:
            return I64_MAX
        return hi_ + 1
    a = lo
    b = hi_
    while a < b:
        m = (a >> 1) + (b >> 1) + (a & b & 1)
        if inner_slot(hi, hf, node, m) >= s:
            b = m
        else:
            a = m + 1
    return a


@njit(cache=True)
def build(keys, pays, hint_lo, hint_hi, top_mode, density):
    """Bulk-build a subtree over sorted unique keys into fresh local arrays.

    top_mode: 0 = decide (leaf if small and cheap), 1 = internal node fitted to the key CDF,
    2 = internal node spreading [hint_lo, hint_hi] (clipped to 3x the key spread) evenly.
    Nodes are created depth-first in key order, so leaves come out linked in key order.
    Returns (hi, hb, ch, slots, nnodes, nch, nslots, first_leaf, last_leaf).
    """
    n_all = keys.shape[0]
    hi = np.zeros((64, NI), np.int64)
    hb = np.zeros((64, 2), np.int64)
    ch = np.empty(64, np.int64)
    slots = np.empty(2 * (cap_for(n_all, density) + 64 * MIN_CAP), np.int64)
    nn = 0
    nch = 0
    nsl = 0
    first_leaf = -1
    prev_leaf = -1
    # stack rows: i0, i1, hint_lo, hint_hi, parent, plo, phi, depth, mode
    stack = np.empty((64, 9), np.int64)
    sp = 0
    stack[0, 0] = 0
    stack[0, 1] = n_all
    stack[0, 2] = hint_lo
    stack[0, 3] = hint_hi
    stack[0, 4] = -1
    stack[0, 5] = 0
    stack[0, 6] = 1
    stack[0, 7] = 0
    stack[0, 8] = top_mode
    sp = 1
    counts = np.empty(16, np.int64)
    while sp > 0:
        sp -= 1
        i0 = stack[sp, 0]
        i1 = stack[sp, 1]
        hlo = stack[sp, 2]
        hhi = stack[sp, 3]
        parent = stack[sp, 4]
        plo = stack[sp, 5]
        phi = stack[sp, 6]
        depth = stack[sp, 7]
        mode = stack[sp, 8]
        n = i1 - i0
        node = nn
        nn += 1
        if nn > hi.shape[0]:
            hi = _grow2(hi, nn)
            hb = _grow2(hb, nn)
        hf = hi.view(np.float64)
        hi[node, H_PARENT] = parent
        hi[node, H_PLO] = plo
        hi[node, H_PHI] = phi
        hb[node, 0] = hlo
        hb[node, 1] = hhi
        if parent >= 0:
            for s in range(plo, phi):
                ch[hi[parent, H_START] + s] = node
        make_leaf = False
        if mode == 0:
            if n <= 1 or depth >= MAX_DEPTH:
                make_leaf = True
            elif n <= LEAF_MAX_BULK:
                make_leaf = n <= 64 or leaf_is_worth_it(keys, i0, i1, density)
        if make_leaf:
            cap = cap_for(n, density)
            if 2 * (nsl + cap) > slots.shape[0]:
                slots = _grow1(slots, 2 * (nsl + cap) + slots.shape[0] // 4)
            init_leaf(hi, hf, slots, node, nsl, cap, keys, pays, i0, i1)
            nsl += cap
            hi[node, H_PREV] = prev_leaf
            hi[node, H_NEXT] = -1
            if prev_leaf >= 0:
                hi[prev_leaf, H_NEXT] = node
            else:
                first_leaf = node
            prev_leaf = node
            continue
        # ---- internal node
        kmin = keys[i0]
        kmax = keys[i1 - 1]
        if mode == 2:
            f = pow2ceil((2 * n + LEAF_TARGET - 1) // LEAF_TARGET)
            if f < 4:
                f = 4
        else:
            f = pow2ceil((n + LEAF_TARGET - 1) // LEAF_TARGET)
            if f < 2:
                f = 2
        if f > MAX_FANOUT:
            f = MAX_FANOUT
        hi[node, H_TYPE] = T_INNER
        hi[node, H_OFFS] = 0
        # fit; double the fanout while one slot would still hold more than half the keys
        # (a strongly skewed CDF is split into several levels otherwise)
        fmax = min(MAX_FANOUT, max(f, pow2ceil(n // 4)))
        while True:
            hi[node, H_CAP] = f
            ok = False
            if mode != 2:
                anchor, slope, icpt = fit_leaf(keys, keys, i0, i1, f)
                # keep every key inside [0, f) unclamped (root expansion relies on it)
                if icpt < 0.0:
                    icpt = 0.0
                if icpt > 0.5 * f:
                    icpt = 0.5 * f
                xmax = float(satsub(kmax, kmin))
                if slope * xmax + icpt > f - 1.0:
                    slope = (f - 1.0 - icpt) / xmax
                hi[node, H_ANCHOR] = anchor
                hf[node, H_SLOPE] = slope
                hf[node, H_ICPT] = icpt
                # degenerate if every key lands in one slot
                ok = inner_slot(hi, hf, node, kmin) != inner_slot(hi, hf, node, kmax)
            if not ok:
                lo_d = kmin
                hi_d = kmax
                if mode == 2:
                    spread = satsub(kmax, kmin)
                    lo_d = max(hlo, satsub(kmin, spread))
                    e = kmax + spread
                    if e < kmax:  # overflow
                        e = I64_MAX
                    hi_d = min(hhi, e)
                    if lo_d > kmin:
                        lo_d = kmin
                    if hi_d < kmax:
                        hi_d = kmax
                hi[node, H_ANCHOR] = lo_d
                hf[node, H_SLOPE] = (f - 0.5) / (float(satsub(hi_d, lo_d)) + 1.0)
                hf[node, H_ICPT] = 0.0
            if f > counts.shape[0]:
                counts = np.empty(f, np.int64)
            for s in range(f):
                counts[s] = 0
            maxc = 0
            for i in range(i0, i1):
                sl = inner_slot(hi, hf, node, keys[i])
                counts[sl] += 1
                if counts[sl] > maxc:
                    maxc = counts[sl]
            if 2 * maxc <= n or 2 * f > fmax:
                break
            f *= 2
        hi[node, H_START] = nch
        nch += f
        if nch > ch.shape[0]:
            ch = _grow1(ch, nch)
        # group consecutive slots into children of about LEAF_TARGET keys (at most half
        # the node's keys, so an internal node always separates its keys)
        gtarget = min(LEAF_TARGET, (n + 1) // 2)
        ngroups = 0
        gstart = np.empty(f + 1, np.int64)
        gkeys = np.empty(f + 1, np.int64)
        acc = 0
        gstart[0] = 0
        for s in range(f):
            c = counts[s]
            if acc > 0 and acc + c > gtarget:
                gkeys[ngroups] = acc
                ngroups += 1
                gstart[ngroups] = s
                acc = 0
            acc += c
        gkeys[ngroups] = acc
        ngroups += 1
        gstart[ngroups] = f
        # push children in reverse order so the leftmost is built first
        if sp + ngroups > stack.shape[0]:
            stack = _grow2(stack, sp + ngroups)
        ends = i1
        lo_cur_hi = hhi
        for g in range(ngroups - 1, -1, -1):
            a = gstart[g]
            b = gstart[g + 1]
            c0 = ends - gkeys[g]
            if a == 0:
                clo = hlo
            else:
                clo = inv_slot(hi, hf, node, a, hlo, hhi)
            chi = lo_cur_hi
            stack[sp, 0] = c0
            stack[sp, 1] = ends
            stack[sp, 2] = clo
            stack[sp, 3] = chi
            stack[sp, 4] = node
            stack[sp, 5] = a
            stack[sp, 6] = b
            stack[sp, 7] = depth + 1
            stack[sp, 8] = 0
            sp += 1
            ends = c0
            if clo == I64_MIN:
                lo_cur_hi = I64_MIN
            else:
                lo_cur_hi = clo - 1
    return hi, hb, ch, slots, nn, nch, nsl, first_leaf, prev_leaf


@njit(cache=True)
def commit(hi, hb, slots, ch, meta, bhi, bhb, bch, bslots, bnn, bnch, bnsl, bfirst, blast,
           top, parent, plo, phi, prev_leaf, next_leaf):
    """Copy a built subtree into the main arrays. Local node 0 becomes node ``top``
    (an existing node id being replaced, or -1 to allocate); the subtree's leaves are
    spliced between prev_leaf and next_leaf. Caller guarantees room."""
    nn0 = meta[M_NNODES]
    sbase = meta[M_SLOTS_USED]
    cbase = meta[M_CH_USED]
    idmap = np.empty(bnn, np.int64)
    nxt = nn0
    for i in range(bnn):
        if i == 0 and top >= 0:
            idmap[i] = top
        else:
            idmap[i] = nxt
            nxt += 1
    meta[M_NNODES] = nxt
    for i in range(bnn):
        g = idmap[i]
        for f in range(NI):
            hi[g, f] = bhi[i, f]
        hb[g, 0] = bhb[i, 0]
        hb[g, 1] = bhb[i, 1]
        if bhi[i, H_TYPE] == T_LEAF:
            hi[g, H_START] = bhi[i, H_START] + sbase
            p = bhi[i, H_PREV]
            hi[g, H_PREV] = idmap[p] if p >= 0 else prev_leaf
            q = bhi[i, H_NEXT]
            hi[g, H_NEXT] = idmap[q] if q >= 0 else next_leaf
        else:
            hi[g, H_START] = bhi[i, H_START] + cbase
        par = bhi[i, H_PARENT]
        hi[g, H_PARENT] = idmap[par] if par >= 0 else parent
        if par < 0:
            hi[g, H_PLO] = plo
            hi[g, H_PHI] = phi
    for j in range(bnch):
        ch[cbase + j] = idmap[bch[j]]
    for j in range(2 * bnsl):
        slots[2 * sbase + j] = bslots[j]
    meta[M_SLOTS_USED] = sbase + bnsl
    meta[M_CH_USED] = cbase + bnch
    f_leaf = idmap[bfirst]
    l_leaf = idmap[blast]
    if prev_leaf >= 0:
        hi[prev_leaf, H_NEXT] = f_leaf
    else:
        meta[M_FIRST] = f_leaf
    if next_leaf >= 0:
        hi[next_leaf, H_PREV] = l_leaf
    else:
        meta[M_LAST] = l_leaf
    top_id = idmap[0]
    if parent >= 0:
        for s in range(plo, phi):
            ch[hi[parent, H_START] + s] = top_id
    return top_id


# ---------------------------------------------------------------- inserts


@njit(cache=True)
def root_outside(hi, hf, root, key):
    """-1 / 1 if key falls left / right of the root's slot domain, else 0."""
    if hi[root, H_TYPE] != T_INNER or hf[root, H_SLOPE] <= 0.0:
        return 0
    raw = inner_raw(hi, hf, root, key)
    if raw < -hi[root, H_OFFS]:
        return -1
    if raw >= hi[root, H_CAP] - hi[root, H_OFFS]:
        return 1
    return 0


@njit(cache=True)
def root_expand_target(hi, hf, root, key):
    """The root fanout that brings key inside its domain (positive: grow right,
    negative: grow left), or 0 if it is inside or that would exceed MAX_ROOT_FANOUT."""
    if hi[root, H_TYPE] != T_INNER or hf[root, H_SLOPE] <= 0.0:
        return np.int64(0)
    raw = inner_raw(hi, hf, root, key)
    f = hi[root, H_CAP]
    offs = hi[root, H_OFFS]
    if raw >= f - offs:
        nf = f
        while raw >= nf - offs:
            nf *= 2
            if nf > MAX_ROOT_FANOUT:
                return np.int64(0)
        return nf
    if raw < -offs:
        nf = f
        while raw < -offs - (nf - f):
            nf *= 2
            if nf > MAX_ROOT_FANOUT:
                return np.int64(0)
        return -nf
    return np.int64(0)


@njit(cache=True)
def root_expand(hi, hb, slots, ch, meta, nf_signed):
    """Grow the root's fanout to cover keys beyond its domain; the new slots all point
    at one new empty leaf (which later splits sideways as it fills). Needs room for
    |nf| child pointers, one node and MIN_CAP slots."""
    hf = hi.view(np.float64)
    root = meta[M_ROOT]
    f = hi[root, H_CAP]
    nf = abs(nf_signed)
    d = nf - f
    old = hi[root, H_START]
    new = meta[M_CH_USED]
    leaf = meta[M_NNODES]
    meta[M_NNODES] = leaf + 1
    start = meta[M_SLOTS_USED]
    meta[M_SLOTS_USED] = start + MIN_CAP
    empty = np.empty(0, np.int64)
    init_leaf(hi, hf, slots, leaf, start, MIN_CAP, empty, empty, 0, 0)
    hi[leaf, H_PARENT] = root
    hi[root, H_CAP] = nf
    if nf_signed > 0:
        for s in range(f):
            ch[new + s] = ch[old + s]
        for s in range(f, nf):
            ch[new + s] = leaf
        hi[leaf, H_PLO] = f
        hi[leaf, H_PHI] = nf
        hb[leaf, 0] = inv_slot(hi, hf, root, f, I64_MIN, I64_MAX)
        hb[leaf, 1] = I64_MAX
        last = meta[M_LAST]
        hi[leaf, H_PREV] = last
        hi[leaf, H_NEXT] = -1
        hi[last, H_NEXT] = leaf
        meta[M_LAST] = leaf
    else:
        for s in range(f):
            ch[new + d + s] = ch[old + s]
        for s in range(d):
            ch[new + s] = leaf
        prev = -1
        for s in range(f):
            c = ch[old + s]
            if c != prev:
                hi[c, H_PLO] += d
                hi[c, H_PHI] += d
                prev = c
        hi[root, H_OFFS] += d
        hi[leaf, H_PLO] = 0
        hi[leaf, H_PHI] = d
        hb[leaf, 0] = I64_MIN
        hb[leaf, 1] = satsub(inv_slot(hi, hf, root, d, I64_MIN, I64_MAX), 1)
        first = meta[M_FIRST]
        hi[leaf, H_NEXT] = first
        hi[leaf, H_PREV] = -1
        hi[first, H_PREV] = leaf
        meta[M_FIRST] = leaf
    hi[root, H_CAP] = nf
    hi[root, H_START] = new
    meta[M_CH_USED] = new + nf
    meta[M_CH_GARBAGE] += f
    meta[M_ROOT_EXPANSIONS] += 1


@njit(cache=True)
def leaf_insert_at(hi, hf, slots, leaf, i, key, pay):
    """Insert a key known to be absent; i = find_le(key). Returns shifts done.
    Caller guarantees at least one gap."""
    base = 2 * hi[leaf, H_START]
    cap = hi[leaf, H_CAP]
    last = hi[leaf, H_LAST]
    p = i + 1  # first slot with key > key (trailing gaps hold INT64_MAX, so for
    if p > last + 1:  # key == INT64_MAX the slot right after LAST)
        p = last + 1
    pred = leaf_pred(hi, hf, leaf, key)
    shifts = 0
    # gap run [p, r) before the real key r (or the trailing region)
    if p > last:
        gend = cap  # exclusive
    else:
        v = slots[base + 2 * p]
        r = p
        while r < last and slots[base + 2 * r + 2] == v:
            r += 1
        gend = r
    if p < gend:
        j = pred
        if j < p:
            j = p
        if j > gend - 1:
            j = gend - 1
        # appending past the last key with a saturated model: take the first trailing
        # gap, not the last slot (else each further append shifts a growing block);
        # prepending before the first key: symmetric
        if p > last and pred >= cap - 1:
            j = p
        elif p == 0 and pred == 0 and last >= 0:
            j = gend - 1
        for g in range(p, j):
            slots[base + 2 * g] = key
        slots[base + 2 * j] = key
        slots[base + 2 * j + 1] = pay
        if j > last:
            hi[leaf, H_LAST] = j
    else:
        # no gap at p: shift towards the nearest gap
        gr = -1
        gl = -1
        a = p
        b = p - 1
        while True:
            if a < cap:
                if a > last or (a < last and slots[base + 2 * a] == slots[base + 2 * a + 2]):
                    gr = a
                    break
                a += 1
            if b >= 0:
                if b < last and slots[base + 2 * b] == slots[base + 2 * b + 2]:
                    gl = b
                    break
                b -= 1
            if a >= cap and b < 0:
                break
        if gr >= 0:
            for g in range(gr, p, -1):
                slots[base + 2 * g] = slots[base + 2 * g - 2]
                slots[base + 2 * g + 1] = slots[base + 2 * g - 1]
            slots[base + 2 * p] = key
            slots[base + 2 * p + 1] = pay
            if gr > last:
                hi[leaf, H_LAST] = gr
            shifts = gr - p
        else:
            for g in range(gl, p - 1):
                slots[base + 2 * g] = slots[base + 2 * g + 2]
                slots[base + 2 * g + 1] = slots[base + 2 * g + 3]
            slots[base + 2 * (p - 1)] = key
            slots[base + 2 * (p - 1) + 1] = pay
            shifts = p - 1 - gl
    hi[leaf, H_NKEYS] += 1
    return shifts


@njit(cache=True)
def leaf_full(hi, leaf):
    n = hi[leaf, H_NKEYS] + 1
    if n > hi[leaf, H_CAP] * MAX_DENSITY or n >= hi[leaf, H_CAP]:
        return True
    ins = hi[leaf, H_INS]
    return ins >= 64 and hi[leaf, H_WORK] > WORK_PER_INSERT * ins


@njit(cache=True)
def insert_many(hi, slots, ch, meta, keys, pays, res, j0):
    """Insert keys[j0:] in order; res[j] = 1 inserted, 0 duplicate. Stops at a key that
    needs the root expanded or a leaf restructured: returns (j, status, leaf)."""
    hf = hi.view(np.float64)
    root = meta[M_ROOT]
    n = keys.shape[0]
    for j in range(j0, n):
        key = keys[j]
        leaf = route(hi, hf, ch, root, key)
        start = hi[leaf, H_START]
        cap = hi[leaf, H_CAP]
        pred = leaf_pred(hi, hf, leaf, key)
        i = find_le(slots, start, cap, pred, key)
        if leaf_locate(hi, slots, leaf, i, key) >= 0:
            res[j] = 0
            continue
        side = root_outside(hi, hf, root, key)
        if side != 0:
            if (side < 0 and meta[M_CLAMPED_LEFT] == 0) or (side > 0 and meta[M_CLAMPED_RIGHT] == 0):
                if root_expand_target(hi, hf, root, key) != 0:
                    return j, ST_NEED_ROOT_EXPAND, leaf
        if leaf_full(hi, leaf):
            return j, ST_NEED_ROOM, leaf
        if i >= hi[leaf, H_LAST] and hi[leaf, H_LAST] == cap - 1 and hi[leaf, H_INS] >= 16 \
                and 4 * hi[leaf, H_APPENDS] >= 3 * hi[leaf, H_INS]:
            return j, ST_NEED_ROOM, leaf  # append-heavy leaf out of room at its end
        if side < 0:
            meta[M_CLAMPED_LEFT] = 1
        elif side > 0:
            meta[M_CLAMPED_RIGHT] = 1
        if i >= hi[leaf, H_LAST]:
            hi[leaf, H_APPENDS] += 1
        sh = leaf_insert_at(hi, hf, slots, leaf, i, key, pays[j])
        d = i + 1 - pred
        if d < 0:
            d = -d
        hi[leaf, H_WORK] += sh + min(d, 64)
        hi[leaf, H_INS] += 1
        meta[M_SHIFTS] += sh
        meta[M_NKEYS] += 1
        res[j] = 1
    return n, ST_DONE, -1


@njit(cache=True)
def update_many(hi, slots, ch, root, keys, pays, res):
    hf = hi.view(np.float64)
    for j in range(keys.shape[0]):
        key = keys[j]
        leaf = route(hi, hf, ch, root, key)
        start = hi[leaf, H_START]
        i = find_le(slots, start, hi[leaf, H_CAP], leaf_pred(hi, hf, leaf, key), key)
        i = leaf_locate(hi, slots, leaf, i, key)
        if i < 0:
            res[j] = 0
        else:
            slots[2 * (start + i) + 1] = pays[j]
            res[j] = 1


# ---------------------------------------------------------------- restructuring


@njit(cache=True)
def rebuild_leaf(hi, slots, meta, leaf, keys, pays, cap, fit_cap):
    """Re-place a leaf's keys into a new region of ``cap`` slots with a retrained model
    (spreading them over the first ``fit_cap`` slots)."""
    hf = hi.view(np.float64)
    start = meta[M_SLOTS_USED]
    meta[M_SLOT_GARBAGE] += hi[leaf, H_CAP]
    meta[M_SLOTS_USED] = start + cap
    init_leaf_fit(hi, hf, slots, leaf, start, cap, keys, pays, 0, keys.shape[0], fit_cap)


@njit(cache=True)
def split_point(hi, hf, parent, keys, a, b):
    """Parent slot s in (a, b) that best balances keys between [a, s) and [s, b)."""
    n = keys.shape[0]
    best = a + 1
    if n == 0:
        return (a + b) >> 1
    med = inner_slot(hi, hf, parent, keys[n // 2])
    bestd = n + 1
    for cand in (med, med + 1):
        if cand <= a or cand >= b:
            continue
        # count keys with slot < cand
        lo = 0
        hi_ = n
        while lo < hi_:
            m = (lo + hi_) >> 1
            if inner_slot(hi, hf, parent, keys[m]) < cand:
                lo = m + 1
            else:
                hi_ = m
        d = abs(2 * lo - n)
        if d < bestd:
            bestd = d
            best = cand
    if bestd == n + 1:
        best = a + 1 if med <= a else b - 1
    return best


@njit(cache=True)
def split_sideways(hi, hb, slots, ch, meta, leaf, keys, pays, s, density, dens_left):
    """Split a leaf covering parent slots [a, b) at slot s: the leaf keeps [a, s) and a
    new leaf takes [s, b). Needs one node and room for both new regions."""
    hf = hi.view(np.float64)
    parent = hi[leaf, H_PARENT]
    b = hi[leaf, H_PHI]
    n = keys.shape[0]
    lo = 0
    hi_ = n
    while lo < hi_:
        m = (lo + hi_) >> 1
        if inner_slot(hi, hf, parent, keys[m]) < s:
            lo = m + 1
        else:
            hi_ = m
    cut = lo
    right = meta[M_NNODES]
    meta[M_NNODES] = right + 1
    capl = cap_for(cut, dens_left)
    capr = cap_for(n - cut, density)
    meta[M_SLOT_GARBAGE] += hi[leaf, H_CAP]
    sl = meta[M_SLOTS_USED]
    meta[M_SLOTS_USED] = sl + capl + capr
    nxt = hi[leaf, H_NEXT]
    init_leaf(hi, hf, slots, leaf, sl, capl, keys, pays, 0, cut)
    init_leaf(hi, hf, slots, right, sl + capl, capr, keys, pays, cut, n)
    hi[right, H_PARENT] = parent
    hi[right, H_PLO] = s
    hi[right, H_PHI] = b
    hi[leaf, H_PHI] = s
    mid = inv_slot(hi, hf, parent, s, hb[leaf, 0], hb[leaf, 1])
    hb[right, 0] = mid
    hb[right, 1] = hb[leaf, 1]
    hb[leaf, 1] = satsub(mid, 1)
    for t in range(s, b):
        ch[hi[parent, H_START] + t] = right
    hi[right, H_PREV] = leaf
    hi[right, H_NEXT] = nxt
    hi[leaf, H_NEXT] = right
    if nxt >= 0:
        hi[nxt, H_PREV] = right
    else:
        meta[M_LAST] = right
    meta[M_SPLITS_SIDE] += 1


@njit(cache=True)
def double_fanout(hi, ch, meta, node):
    """Double an internal node's fanout; routing of every key stays the same child
    (floor(2x) is 2*floor(x) or 2*floor(x)+1, and scaling by 2 is exact in floats).
    Needs room for 2*fanout child pointers."""
    hf = hi.view(np.float64)
    f = hi[node, H_CAP]
    old = hi[node, H_START]
    new = meta[M_CH_USED]
    for s in range(f):
        c = ch[old + s]
        ch[new + 2 * s] = c
        ch[new + 2 * s + 1] = c
    prev = -1
    for s in range(f):
        c = ch[old + s]
        if c != prev:
            hi[c, H_PLO] *= 2
            hi[c, H_PHI] *= 2
            prev = c
    hf[node, H_SLOPE] *= 2.0
    hf[node, H_ICPT] *= 2.0
    hi[node, H_OFFS] *= 2
    hi[node, H_CAP] = 2 * f
    hi[node, H_START] = new
    meta[M_CH_USED] = new + 2 * f
    meta[M_CH_GARBAGE] += f
    meta[M_FANOUT_DOUBLINGS] += 1


# ---------------------------------------------------------------- deletes


@njit(cache=True)
def delete_many(hi, slots, ch, meta, keys, res, j0):
    """Delete keys[j0:]; res[j] = 1 if it was present. Returns (j, leaf): when a delete
    leaves a leaf needing a rebuild, it stops after key j - 1 with that leaf (else -1)."""
    hf = hi.view(np.float64)
    root = meta[M_ROOT]
    for j in range(j0, keys.shape[0]):
        key = keys[j]
        leaf = route(hi, hf, ch, root, key)
        start = hi[leaf, H_START]
        base = 2 * start
        cap = hi[leaf, H_CAP]
        i = find_le(slots, start, cap, leaf_pred(hi, hf, leaf, key), key)
        i = leaf_locate(hi, slots, leaf, i, key)
        if i < 0:
            res[j] = 0
            continue
        res[j] = 1
        last = hi[leaf, H_LAST]
        if i == last:
            nl = i - 1
            while nl >= 0 and slots[base + 2 * nl] == slots[base + 2 * nl + 2]:
                nl -= 1
            for g in range(nl + 1, i + 1):
                slots[base + 2 * g] = I64_MAX
            hi[leaf, H_LAST] = nl
            run = i - nl
        else:
            nv = slots[base + 2 * i + 2]
            g = i
            while g >= 0 and slots[base + 2 * g] == key:
                slots[base + 2 * g] = nv
                g -= 1
            run = i - g
        nk = hi[leaf, H_NKEYS] - 1
        hi[leaf, H_NKEYS] = nk
        meta[M_NKEYS] -= 1
        # rebuild a leaf that fell below MIN_DENSITY (once, when crossing it), or whose
        # gap runs got long (deleting in key order grows one run per delete)
        sparse = cap > 4 * MIN_CAP and nk < cap * MIN_DENSITY and nk + 1 >= cap * MIN_DENSITY
        if sparse or run > DELETE_RUN_REBUILD:
            return j + 1, leaf
    return keys.shape[0], np.int64(-1)


# ---------------------------------------------------------------- scans


@njit(cache=True)
def range_scan(hi, slots, ch, root, lo, hi_key, limit):
    """Keys in [lo, hi_key] (inclusive) in ascending order, at most limit (<0: all)."""
    hf = hi.view(np.float64)
    size = 64
    ok = np.empty(size, np.int64)
    op = np.empty(size, np.int64)
    k = 0
    if lo > hi_key or limit == 0:
        return ok[:0], op[:0]
    leaf = route(hi, hf, ch, root, lo)
    start = hi[leaf, H_START]
    base = 2 * start
    i = find_le(slots, start, hi[leaf, H_CAP], leaf_pred(hi, hf, leaf, lo), lo)
    if i >= 0 and slots[base + 2 * i] == lo:
        while i > 0 and slots[base + 2 * i - 2] == lo:
            i -= 1
    else:
        i += 1
    while leaf >= 0:
        base = 2 * hi[leaf, H_START]
        last = hi[leaf, H_LAST]
        while i <= last:
            kk = slots[base + 2 * i]
            if i == last or kk != slots[base + 2 * i + 2]:
                if kk > hi_key:
                    return ok[:k], op[:k]
                if k == size:
                    size *= 2
                    ok = _grow1(ok, size)
                    op = _grow1(op, size)
                ok[k] = kk
                op[k] = slots[base + 2 * i + 1]
                k += 1
                if k == limit:
                    return ok[:k], op[:k]
            i += 1
        leaf = hi[leaf, H_NEXT]
        i = 0
    return ok[:k], op[:k]


@njit(cache=True)
def range_scan_rev(hi, slots, ch, root, lo, hi_key, limit):
    """Keys in [lo, hi_key] in descending order, at most limit (<0: all)."""
    hf = hi.view(np.float64)
    size = 64
    ok = np.empty(size, np.int64)
    op = np.empty(size, np.int64)
    k = 0
    if lo > hi_key or limit == 0:
        return ok[:0], op[:0]
    leaf = route(hi, hf, ch, root, hi_key)
    start = hi[leaf, H_START]
    i = find_le(slots, start, hi[leaf, H_CAP], leaf_pred(hi, hf, leaf, hi_key), hi_key)
    if i > hi[leaf, H_LAST]:
        i = hi[leaf, H_LAST]
    while leaf >= 0:
        base = 2 * hi[leaf, H_START]
        last = hi[leaf, H_LAST]
        while i >= 0:
            kk = slots[base + 2 * i]
            if i == last or kk != slots[base + 2 * i + 2]:
                if kk < lo:
                    return ok[:k], op[:k]
                if k == size:
                    size *= 2
                    ok = _grow1(ok, size)
                    op = _grow1(op, size)
                ok[k] = kk
                op[k] = slots[base + 2 * i + 1]
                k += 1
                if k == limit:
                    return ok[:k], op[:k]
            i -= 1
        leaf = hi[leaf, H_PREV]
        if leaf >= 0:
            i = hi[leaf, H_LAST]
    return ok[:k], op[:k]


@njit(cache=True)
def compact(hi, slots, meta, new_slots):
    """Copy every leaf region, in leaf order, into new_slots; returns slots used."""
    pos = 0
    leaf = meta[M_FIRST]
    while leaf >= 0:
        cap = hi[leaf, H_CAP]
        s = 2 * hi[leaf, H_START]
        for j in range(2 * cap):
            new_slots[2 * pos + j] = slots[s + j]
        hi[leaf, H_START] = pos
        pos += cap
        leaf = hi[leaf, H_NEXT]
    return pos


@njit(cache=True)
def compact_children(hi, ch, meta, new_ch):
    pos = 0
    for node in range(meta[M_NNODES]):
        if hi[node, H_TYPE] == T_INNER:
            f = hi[node, H_CAP]
            s = hi[node, H_START]
            for j in range(f):
                new_ch[pos + j] = ch[s + j]
            hi[node, H_START] = pos
            pos += f
    return pos


@njit(cache=True)
def stats(hi, meta):
    """(sum of leaf capacities, leaves, internal nodes, max depth)."""
    cap = 0
    leaves = 0
    inner = 0
    maxd = 0
    for node in range(meta[M_NNODES]):
        if hi[node, H_TYPE] == T_LEAF:
            cap += hi[node, H_CAP]
            leaves += 1
            d = 1
            p = hi[node, H_PARENT]
            while p >= 0:
                d += 1
                p = hi[p, H_PARENT]
            if d > maxd:
                maxd = d
        else:
            inner += 1
    return cap, leaves, inner, maxd
