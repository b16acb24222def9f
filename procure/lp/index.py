"""Index helpers every formulation uses: dense grouping of integer keys, ragged ranges
and key matching, all numpy index arithmetic (no Python loop per element)."""

from __future__ import annotations

import numpy as np

from procure.lp.model import IntArray


def within_runs(counts: IntArray) -> IntArray:
    """For runs of the given lengths laid end to end, each element's offset in its run:
    ``[2, 3] -> [0, 1, 0, 1, 2]``."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    out: IntArray = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts,
                                                                counts)
    return out


def ranges(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """For each i with lo[i] <= hi[i], the integers lo[i]..hi[i], as (owner i, value)."""
    n = np.maximum(np.asarray(hi) - np.asarray(lo) + 1, 0).astype(np.int64)
    owner = np.repeat(np.arange(n.size, dtype=np.int64), n)
    return owner, np.asarray(lo, dtype=np.int64)[owner] + within_runs(n)


def group(keys: IntArray) -> tuple[IntArray, IntArray]:
    """Dense ids for integer keys (in increasing key order), and the distinct keys.

    The same as ``np.unique(keys, return_inverse=True)``. Keys here are usually small
    nonnegative mixed-radix numbers (e.g. (r * |V| + v) * H + t), so when their range
    is within a few times their count a presence table and a running count replace the
    sort: O(n + range) instead of O(n log n)."""
    keys = np.asarray(keys, dtype=np.int64)
    if keys.size and keys.min() >= 0 and keys.max() < max(8 * keys.size, 1 << 16):
        seen = np.zeros(int(keys.max()) + 1, dtype=np.bool_)
        seen[keys] = True
        rank = np.cumsum(seen.astype(np.int64)) - 1  # (a cast first is 8x faster)
        return rank[keys], np.flatnonzero(seen).astype(np.int64)
    uniq, inv = np.unique(keys, return_inverse=True)
    return inv.astype(np.int64).reshape(-1), uniq.astype(np.int64)


def match_keys(row_keys: IntArray, item_keys: IntArray) -> tuple[IntArray, IntArray]:
    """All index pairs (i, j) with ``row_keys[i] == item_keys[j]`` (a sort-merge join)."""
    order = np.argsort(item_keys, kind="stable")
    sorted_keys = item_keys[order]
    lo = np.searchsorted(sorted_keys, row_keys, side="left")
    hi = np.searchsorted(sorted_keys, row_keys, side="right")
    counts = (hi - lo).astype(np.int64)
    rows = np.repeat(np.arange(row_keys.size, dtype=np.int64), counts)
    return rows, order[np.repeat(lo, counts) + within_runs(counts)]
